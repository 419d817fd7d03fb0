package io.workerpool.it.security;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static io.workerpool.it.Workers.containerIds;
import static io.workerpool.it.security.SecurityFixture.submit;
import static io.workerpool.it.security.SecurityFixture.withClient;
import static org.awaitility.Awaitility.await;
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
import io.workerpool.client.cli.LaunchContextFile;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.DataInputByteBuffer;
import org.apache.hadoop.minikdc.MiniKdc;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.LocalResourceType;
import org.apache.hadoop.yarn.api.records.LocalResourceVisibility;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kerberos end to end: a MiniKdc, an RM and NM that log in from keytabs, a Kerberos HDFS, the Worker Pool over
 * TLS; alice logs in from her keytab and updates her application.
 */
class KerberosUpdateTest {
  private static final int WORKER_MB = 128;
  private static MiniKdc kdc;
  private static File keytab;
  private static SecureHdfs hdfs;
  private static UpdateFixture fixture;
  private static TestCluster cluster;
  private static TestApplication app;

  @BeforeAll
  static void startCluster() throws Exception {
    Path dir = Path.of("target", "kerberos-update").toAbsolutePath();
    kdc = new MiniKdc(MiniKdc.createConf(), dir.resolve("kdc").toFile());
    kdc.start();
    keytab = dir.resolve("test.keytab").toFile();
    kdc.createPrincipal(keytab, "yarn/localhost", "HTTP/localhost", "alice", "bob");
    String yarn = "yarn/localhost@" + kdc.getRealm();

    Path serverKeys = TestKeystores.keyPair(dir, "rm");
    Path serverXml = TestKeystores.sslServerXml(dir.resolve("ssl-server.xml"), serverKeys);
    Path clientXml = TestKeystores.sslClientXml(dir.resolve("ssl-client.xml"), TestKeystores.trustStore(dir, "rm"));

    Configuration security = new Configuration();
    security.set("hadoop.security.authentication", "kerberos");
    UserGroupInformation.setConfiguration(security);
    // MiniYARNCluster's RM and NM skip their keytab login: the JVM logs in as their principal for them.
    UserGroupInformation.loginUserFromKeytab(yarn, keytab.getAbsolutePath());
    hdfs = SecureHdfs.start(dir.resolve("hdfs"), yarn, "HTTP/localhost@" + kdc.getRealm(), keytab);
    TestCluster.Builder builder = TestCluster.builder("kerberos-update").nodeManagers(1)
        .set("hadoop.security.authentication", "kerberos")
        .set("yarn.resourcemanager.principal", yarn)
        .set("yarn.resourcemanager.keytab", keytab.getAbsolutePath())
        .set("yarn.nodemanager.principal", yarn)
        .set("yarn.nodemanager.keytab", keytab.getAbsolutePath())
        // The RM web UI would need an HTTP principal for its token filter; this test has no use for it.
        .set("yarn.resourcemanager.webapp.delegation-token-auth-filter.enabled", "false")
        .set(WorkerPoolConfigKeys.SSL_ENABLED, "true")
        .set(WorkerPoolConfigKeys.SSL_SERVER_CONF, serverXml.toString())
        .set(WorkerPoolConfigKeys.SSL_CLIENT_CONF, clientXml.toString());
    SecureHdfs.clientSettings(yarn).forEach(builder::set);
    fixture = UpdateFixture.start(builder, 30_000, 1L << 20);
    cluster = fixture.cluster();
    app = fixture.app();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    try {
      if (fixture != null) {
        fixture.close();
      }
      if (hdfs != null) {
        hdfs.close();
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
    Configuration noRetries = new Configuration(conf());
    // A refused Kerberos handshake is retried like a connection failure: for 15 minutes by default.
    noRetries.setLong("yarn.resourcemanager.connect.max-wait.ms", 1_000);
    noRetries.setLong("yarn.resourcemanager.connect.retry-interval.ms", 200);
    Exception noCredentials = assertThrows(Exception.class,
        () -> withClient(nobody, noRetries, c -> c.updateApplication(appId, v2)));
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
      assertEquals(2, assertEachNewWorkerStartedAfterItsOldOne(status, cluster.report()));
      return rmTokensOf("alice");
    });
    assertEquals(1, aliceTokensWhileUpdating, "one RM delegation token per client");
    assertEquals(0, rmTokensOf("alice"), "the stopped client cancelled its token in the RM");
    List<WorkerReport> v2Workers = awaitRunning(cluster.report(), attempt(appId, 2), 2);
    assertTrue(v2Workers.stream().allMatch(w -> w.fileVersion().equals("2")), v2Workers.toString());
    app.stopAttempt(attempt(appId, 2).toString());
  }

  @Test
  void am2LocalizesANewFileFromSecureHdfsWithTheTokenTheClientAdds() throws Exception {
    UserGroupInformation alice = login("alice");
    ApplicationId appId = submit(alice, conf(), app, "kerberos-hdfs", 1, WORKER_MB, Map.of(), KerberosUpdateTest::withKrb5);
    List<String> workers = containerIds(awaitRunning(cluster.report(), attempt(appId, 1), 1));
    String content = "2 from secure HDFS\n";
    org.apache.hadoop.fs.Path file = stageInHdfs(alice, "am-version-2.txt", content);
    IOException anonymous = assertThrows(IOException.class, () -> SecurityFixture.as(
        UserGroupInformation.createRemoteUser("alice"), () -> file.getFileSystem(conf()).open(file).read()));
    System.out.println("reading the file without credentials: " + anonymous);

    // What `worker-pool update --launch-context` does: the client adds alice's HDFS token, the RM as its renewer.
    LaunchContextFile spec = LaunchContextFile.of(withKrb5(app.amLaunchContext("2", 1, WORKER_MB)));
    spec.localResources.put("version.txt", new LaunchContextFile.ResourceEntry(file.toString(),
        LocalResourceType.FILE, LocalResourceVisibility.APPLICATION, null));
    ContainerLaunchContext v2 = SecurityFixture.as(alice, () -> spec.toLaunchContext(conf(), null));
    Token<?> hdfsToken = hdfsToken(v2);

    // The same context with a token alice asked for herself as renewer: the RM cannot renew it.
    ContainerLaunchContext unrenewable = SecurityFixture.as(alice, () -> spec.toLaunchContext(conf(), null));
    unrenewable.setTokens(SecurityFixture.tokens(SecurityFixture.as(alice, () -> {
      Credentials credentials = new Credentials();
      file.getFileSystem(conf()).addDelegationTokens("alice", credentials);
      return credentials;
    })));
    WorkerPoolException refused = assertThrows(WorkerPoolException.class,
        () -> withClient(alice, conf(), c -> c.updateApplication(appId, unrenewable)));
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.code(), refused.getMessage());
    assertTrue(refused.getMessage().contains("cannot renew the new launch context's HDFS_DELEGATION_TOKEN token for "
        + hdfsToken.getService()), refused.getMessage());
    assertEquals(attempt(appId, 1), cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId());
    assertEquals(workers, containerIds(cluster.report().running(attempt(appId, 1))));

    UpdateStatus status = withClient(alice, conf(), c -> c.updateApplication(appId, v2).await(Duration.ofMinutes(2)));
    assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
    awaitRunning(cluster.report(), attempt(appId, 2), 1);
    assertEquals(List.of(content), localizedCopies(appId, file.getName()));
    await().atMost(Duration.ofSeconds(30)).until(
        () -> rm().getRMContext().getDelegationTokenRenewer().getDelegationTokens().contains(hdfsToken));
    app.stopAttempt(attempt(appId, 2).toString());
  }

  /** {@code name} with {@code content} in alice's HDFS home, written by alice. */
  private static org.apache.hadoop.fs.Path stageInHdfs(UserGroupInformation alice, String name, String content)
      throws Exception {
    org.apache.hadoop.fs.Path home = new org.apache.hadoop.fs.Path(hdfs.superuser().getUri().toString(), "/user/alice");
    hdfs.superuser().mkdirs(home);
    hdfs.superuser().setOwner(home, "alice", null);
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(home, name);
    SecurityFixture.as(alice, () -> {
      try (var out = file.getFileSystem(conf()).create(file)) {
        out.write(content.getBytes(StandardCharsets.UTF_8));
      }
      return null;
    });
    return file;
  }

  private static Token<?> hdfsToken(ContainerLaunchContext launchContext) throws IOException {
    Credentials credentials = new Credentials();
    DataInputByteBuffer in = new DataInputByteBuffer();
    in.reset(launchContext.getTokens().duplicate());
    credentials.readTokenStorageStream(in);
    return credentials.getAllTokens().stream()
        .filter(token -> token.getKind().toString().equals("HDFS_DELEGATION_TOKEN")).findFirst().orElseThrow();
  }

  /** The contents of the copies of {@code fileName} the NodeManager localized for the application. */
  private static List<String> localizedCopies(ApplicationId appId, String fileName) throws IOException {
    List<String> copies = new ArrayList<>();
    for (String dir : cluster.yarn().getNodeManager(0).getNMContext().getLocalDirsHandler().getLocalDirs()) {
      Path appCache = Path.of(dir, "usercache", "alice", "appcache", appId.toString(), "filecache");
      if (Files.isDirectory(appCache)) {
        try (Stream<Path> files = Files.walk(appCache)) {
          for (Path copy : files.filter(f -> f.getFileName().toString().equals(fileName)).toList()) {
            copies.add(Files.readString(copy));
          }
        }
      }
    }
    return copies;
  }

  /** The AM's JVM finds the KDC's realm as Hadoop processes on a Kerberos host would, from krb5.conf. */
  private static ContainerLaunchContext withKrb5(ContainerLaunchContext launchContext) {
    Map<String, String> env = new java.util.HashMap<>(launchContext.getEnvironment());
    env.put("JAVA_TOOL_OPTIONS", "-D" + MiniKdc.JAVA_SECURITY_KRB5_CONF + "=" + kdc.getKrb5conf().getAbsolutePath());
    launchContext.setEnvironment(env);
    return launchContext;
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

  private static Configuration conf() {
    return cluster.config();
  }

  private static ResourceManager rm() {
    return cluster.yarn().getResourceManager();
  }
}
