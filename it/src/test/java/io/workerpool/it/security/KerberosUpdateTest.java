package io.workerpool.it.security;

import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static io.workerpool.it.security.SecurityFixture.submit;
import static io.workerpool.it.security.SecurityFixture.withClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.workerpool.client.WorkerPoolException;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.proto.UpdateApplicationRequest;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerPoolGrpc;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.protocol.TlsStores;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.minikdc.MiniKdc;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kerberos end to end: a MiniKdc, an RM and NM that log in from keytabs, the Worker Pool over TLS; alice
 * logs in from her keytab and updates her application.
 */
class KerberosUpdateTest {
  private static final int WORKER_MB = 128;
  private static MiniKdc kdc;
  private static File keytab;
  private static UpdateFixture fixture;
  private static TestCluster cluster;
  private static TestApplication app;

  @BeforeAll
  static void startCluster() throws Exception {
    Path dir = Path.of("target", "kerberos-update").toAbsolutePath();
    kdc = new MiniKdc(MiniKdc.createConf(), dir.resolve("kdc").toFile());
    kdc.start();
    keytab = dir.resolve("test.keytab").toFile();
    kdc.createPrincipal(keytab, "yarn/localhost", "alice", "bob");
    String yarn = "yarn/localhost@" + kdc.getRealm();

    Path serverKeys = TestKeystores.keyPair(dir, "rm");
    Path serverXml = TestKeystores.sslServerXml(dir.resolve("ssl-server.xml"), serverKeys);
    Path clientXml = TestKeystores.sslClientXml(dir.resolve("ssl-client.xml"), TestKeystores.trustStore(dir, "rm"));

    Configuration security = new Configuration();
    security.set("hadoop.security.authentication", "kerberos");
    UserGroupInformation.setConfiguration(security);
    // MiniYARNCluster's RM and NM skip their keytab login: the JVM logs in as their principal for them.
    UserGroupInformation.loginUserFromKeytab(yarn, keytab.getAbsolutePath());
    TestCluster.Builder builder = TestCluster.builder("kerberos-update").nodeManagers(1)
        .set("hadoop.security.authentication", "kerberos")
        .set("yarn.resourcemanager.principal", yarn)
        .set("yarn.resourcemanager.keytab", keytab.getAbsolutePath())
        .set("yarn.nodemanager.principal", yarn)
        .set("yarn.nodemanager.keytab", keytab.getAbsolutePath())
        // The RM web UI would need an HTTP principal for its token filter; this test has no use for it.
        .set("yarn.resourcemanager.webapp.delegation-token-auth-filter.enabled", "false")
        .set("yarn.nodemanager.delete.debug-delay-sec", "600")
        .set(WorkerPoolConfigKeys.SSL_ENABLED, "true")
        .set(WorkerPoolConfigKeys.SSL_SERVER_CONF, serverXml.toString())
        .set(WorkerPoolConfigKeys.SSL_CLIENT_CONF, clientXml.toString());
    fixture = UpdateFixture.start(builder, 8_000, 1L << 20);
    cluster = fixture.cluster();
    app = fixture.app();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    try {
      if (fixture != null) {
        fixture.close();
      }
      if (kdc != null) {
        kdc.stop();
      }
    } finally {
      UserGroupInformation.reset();
      System.clearProperty(MiniKdc.JAVA_SECURITY_KRB5_CONF);
    }
  }

  @Test
  void theOwnerUpdatesOverTlsWithItsKerberosLoginAndOthersAreRefused() throws Exception {
    UserGroupInformation alice = login("alice");
    UserGroupInformation bob = login("bob");
    ApplicationId appId = submit(alice, conf(), app, "kerberos", 2, WORKER_MB, Map.of(), KerberosUpdateTest::withKrb5);
    List<String> workers = containerIds(awaitRunning(cluster.report(), attempt(appId, 1), 2));
    ContainerLaunchContext v2 = app.amLaunchContext("2", 2, WORKER_MB);
    withKrb5(v2);

    WorkerPoolException refused = assertThrows(WorkerPoolException.class,
        () -> withClient(bob, conf(), c -> c.updateApplication(appId, v2)));
    assertEquals(Status.Code.PERMISSION_DENIED, refused.code(), refused.getMessage());
    assertTrue(refused.getMessage().contains("user bob may not update " + appId), refused.getMessage());

    // No Kerberos credentials: no RM delegation token to be had, and a bare user name is not believed.
    UserGroupInformation nobody = UserGroupInformation.createRemoteUser("alice");
    Exception noCredentials = assertThrows(Exception.class,
        () -> withClient(nobody, conf(), c -> c.updateApplication(appId, v2)));
    System.out.println("client without credentials: " + noCredentials);
    StatusRuntimeException bareName = assertThrows(StatusRuntimeException.class, () -> bareNameUpdate(appId, v2));
    assertEquals(Status.Code.UNAUTHENTICATED, bareName.getStatus().getCode());
    assertTrue(bareName.getStatus().getDescription().startsWith("this cluster is secure"),
        bareName.getStatus().getDescription());
    assertEquals(attempt(appId, 1), cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId());
    assertEquals(workers, containerIds(cluster.report().running(attempt(appId, 1))));

    int aliceTokensWhileUpdating = withClient(alice, conf(), c -> {
      UpdateStatus status = c.updateApplication(appId, v2).await(Duration.ofMinutes(2));
      assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
      return rmTokensOf("alice");
    });
    assertEquals(1, aliceTokensWhileUpdating, "one RM delegation token per client");
    assertEquals(0, rmTokensOf("alice"), "the stopped client cancelled its token in the RM");
    List<WorkerReport> v2Workers = awaitRunning(cluster.report(), attempt(appId, 2), 2);
    assertTrue(v2Workers.stream().allMatch(w -> w.fileVersion().equals("2")), v2Workers.toString());
    app.stopAttempt(attempt(appId, 2).toString());
  }

  /** The AM's JVM finds the KDC's realm as Hadoop processes on a Kerberos host would, from krb5.conf. */
  private static void withKrb5(ContainerLaunchContext launchContext) {
    Map<String, String> env = new java.util.HashMap<>(launchContext.getEnvironment());
    env.put("JAVA_TOOL_OPTIONS", "-D" + MiniKdc.JAVA_SECURITY_KRB5_CONF + "=" + kdc.getKrb5conf().getAbsolutePath());
    launchContext.setEnvironment(env);
  }

  private static UserGroupInformation login(String user) throws Exception {
    return UserGroupInformation.loginUserFromKeytabAndReturnUGI(user + "@" + kdc.getRealm(),
        keytab.getAbsolutePath());
  }

  /** RM delegation tokens the RM's secret manager holds for {@code owner}. */
  private static int rmTokensOf(String owner) {
    return (int) rm().getRMContext().getRMDelegationTokenSecretManager().getAllTokens().keySet().stream()
        .filter(token -> token.getUser().getShortUserName().equals(owner)).count();
  }

  /** A TLS call that names a user but brings no token. */
  private static void bareNameUpdate(ApplicationId appId, ContainerLaunchContext launchContext) throws Exception {
    var address = conf().getSocketAddr(WorkerPoolConfigKeys.ADDRESS, "", 0);
    ManagedChannel channel = NettyChannelBuilder.forAddress(address.getHostString(), address.getPort())
        .sslContext(GrpcSslContexts.forClient().trustManager(TlsStores.clientTrust(conf())).build()).build();
    try {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of(WorkerPoolConfigKeys.USER_HEADER, Metadata.ASCII_STRING_MARSHALLER), "alice");
      WorkerPoolGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .updateApplication(UpdateApplicationRequest.newBuilder().setApplicationId(appId.toString())
              .setAmLaunchContext(LaunchContextCodec.encode(launchContext)).build());
    } finally {
      channel.shutdownNow();
    }
  }

  private static List<String> containerIds(List<WorkerReport> workers) {
    return workers.stream().map(WorkerReport::containerId).sorted().toList();
  }

  private static Configuration conf() {
    return cluster.config();
  }

  private static ResourceManager rm() {
    return cluster.yarn().getResourceManager();
  }
}
