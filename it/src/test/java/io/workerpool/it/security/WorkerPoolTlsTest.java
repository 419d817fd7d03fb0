package io.workerpool.it.security;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static io.workerpool.it.Workers.containerIds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.workerpool.client.WorkerPoolClient;
import io.workerpool.client.WorkerPoolException;
import io.workerpool.it.LogCapture;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.proto.UpdateApplicationRequest;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerPoolGrpc;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Worker Pool channel with TLS on, keystore and truststore named the way Hadoop names its own. */
class WorkerPoolTlsTest {
  private static final int WORKER_MB = 128;
  private static UpdateFixture fixture;
  private static TestCluster cluster;
  private static TestApplication app;
  private static Path untrusting;

  @BeforeAll
  static void startCluster() throws Exception {
    Path dir = Path.of("target", "worker-pool-tls-keys").toAbsolutePath();
    Path serverKeys = TestKeystores.keyPair(dir, "rm");
    TestKeystores.keyPair(dir, "impostor");
    Path serverXml = TestKeystores.sslServerXml(dir.resolve("ssl-server.xml"), serverKeys);
    Path clientXml = TestKeystores.sslClientXml(dir.resolve("ssl-client.xml"), TestKeystores.trustStore(dir, "rm"));
    untrusting = TestKeystores.sslClientXml(dir.resolve("ssl-client-untrusting.xml"),
        TestKeystores.trustStore(dir, "impostor"));
    TestCluster.Builder builder = TestCluster.builder("worker-pool-tls").nodeManagers(1)
        .set(WorkerPoolConfigKeys.SSL_ENABLED, "true")
        .set(WorkerPoolConfigKeys.SSL_SERVER_CONF, serverXml.toString())
        .set(WorkerPoolConfigKeys.SSL_CLIENT_CONF, clientXml.toString());
    fixture = UpdateFixture.start(builder, 30_000, 1L << 20);
    cluster = fixture.cluster();
    app = fixture.app();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void updateRunsOverTlsWhilePlaintextAndUntrustingClientsAreRefused() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 2, WORKER_MB, SubmitOptions.defaults("tls"));
    List<String> workers = containerIds(awaitRunning(cluster.report(), attempt(appId, 1), 2));
    ContainerLaunchContext v2 = app.amLaunchContext("2", 2, WORKER_MB);
    LogCapture audit = LogCapture.start(RMAuditLogger.class);

    ManagedChannel plaintext = plaintextChannel();
    try {
      StatusRuntimeException raw = assertThrows(StatusRuntimeException.class, () -> WorkerPoolGrpc
          .newBlockingStub(plaintext).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(userHeader()))
          .updateApplication(UpdateApplicationRequest.newBuilder().setApplicationId(appId.toString())
              .setAmLaunchContext(LaunchContextCodec.encode(v2)).build()));
      assertEquals(Status.Code.UNAVAILABLE, raw.getStatus().getCode(), raw.getStatus().toString());
    } finally {
      plaintext.shutdownNow();
    }
    Configuration withoutTls = new Configuration(cluster.config());
    withoutTls.setBoolean(WorkerPoolConfigKeys.SSL_ENABLED, false);
    // A plaintext client cannot tell a TLS server from a broken connection: it retries as YARN clients do, so
    // the test bounds that (YARN's default is 15 minutes).
    withoutTls.setLong(YarnConfiguration.RESOURCEMANAGER_CONNECT_MAX_WAIT_MS, 2_000);
    withoutTls.setLong(YarnConfiguration.RESOURCEMANAGER_CONNECT_RETRY_INTERVAL_MS, 500);
    WorkerPoolException plain = assertThrows(WorkerPoolException.class, () -> update(withoutTls, appId, v2));
    assertEquals(Status.Code.UNAVAILABLE, plain.code());
    assertTrue(plain.getMessage().contains(WorkerPoolConfigKeys.SSL_ENABLED + " the same as the RM's"),
        plain.getMessage());

    Configuration distrustful = new Configuration(cluster.config());
    distrustful.set(WorkerPoolConfigKeys.SSL_CLIENT_CONF, untrusting.toString());
    WorkerPoolException untrusted = assertThrows(WorkerPoolException.class, () -> update(distrustful, appId, v2));
    System.out.println("untrusting client: " + untrusted.getMessage());
    assertTrue(untrusted.getMessage().startsWith("the Worker Pool's TLS certificate is not trusted by this client: add"
        + " the RM's certificate or its CA to the truststore"), untrusted.getMessage());

    assertTrue(audit.stop().stream().noneMatch(l -> l.contains("OPERATION=Worker Pool")),
        "no refused client got as far as a call");
    assertEquals(attempt(appId, 1), cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId());
    assertEquals(workers, containerIds(cluster.report().running(attempt(appId, 1))));

    UpdateStatus updated = update(cluster.config(), appId, v2);
    assertEquals(UpdatePhase.SUCCEEDED, updated.getPhase());
    assertEquals(2, assertEachNewWorkerStartedAfterItsOldOne(updated, cluster.report()));
    List<WorkerReport> v2Workers = awaitRunning(cluster.report(), attempt(appId, 2), 2);
    assertTrue(v2Workers.stream().allMatch(w -> w.fileVersion().equals("2")), v2Workers.toString());
    app.stopAttempt(attempt(appId, 2).toString());
  }

  private static io.workerpool.proto.UpdateStatus update(Configuration conf, ApplicationId appId,
      ContainerLaunchContext launchContext) throws Exception {
    WorkerPoolClient client = new WorkerPoolClient();
    client.init(conf);
    client.start();
    try {
      return client.updateApplication(appId, launchContext).await(Duration.ofMinutes(2));
    } finally {
      client.stop();
    }
  }

  private static ManagedChannel plaintextChannel() {
    var address = cluster.config().getSocketAddr(WorkerPoolConfigKeys.ADDRESS, "", 0);
    return NettyChannelBuilder.forAddress(address.getHostString(), address.getPort()).usePlaintext().build();
  }

  private static Metadata userHeader() throws Exception {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(WorkerPoolConfigKeys.USER_HEADER, Metadata.ASCII_STRING_MARSHALLER),
        UserGroupInformation.getCurrentUser().getShortUserName());
    return headers;
  }

  private static List<String> containerIds(List<WorkerReport> workers) {
    return workers.stream().map(WorkerReport::containerId).sorted().toList();
  }
}
