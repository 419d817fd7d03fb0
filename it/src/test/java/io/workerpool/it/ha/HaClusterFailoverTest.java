package io.workerpool.it.ha;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.YarnApplicationAttemptState;
import org.apache.hadoop.yarn.conf.HAUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HA fixture itself, and the client against it: only the active RM serves the Worker Pool, a failover moves
 * NodeManagers, the running AM and the Worker Pool client to the other RM, and updates work there.
 */
class HaClusterFailoverTest {
  private static HaCluster ha;
  private static TestCluster cluster;
  private static TestApplication app;

  @BeforeAll
  static void startCluster() throws Exception {
    ha = HaCluster.start("ha-cluster", TestCluster.builder("ha-cluster").nodeManagers(2), 15_000);
    cluster = ha.cluster();
    app = TestApplication.stage(cluster.workDir().resolve("staging"), cluster.report(), cluster.confDir(), 1L << 20);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (ha != null) {
      ha.close();
    }
  }

  @Test
  void onlyTheActiveRmServesAndAfterAFailoverTheOtherOneTakesNodesAmAndClientsOver() throws Exception {
    assertEquals(0, ha.activeIndex(), "MiniYARNCluster starts rm0 active");
    assertListening("rm0", true);
    assertListening("rm1", false);
    ApplicationId appId = app.submit(cluster.client(), "1", 2, 128, SubmitOptions.defaults("ha-fixture"));
    List<WorkerReport> workers = awaitRunning(cluster.report(), attempt(appId, 1), 2);
    WorkerPoolClient client = new WorkerPoolClient();
    client.init(cluster.config());
    client.start();
    try {
      long killedAt = System.currentTimeMillis();
      assertEquals(1, ha.killActive());
      assertListening("rm1", true);
      assertListening("rm0", false);

      ha.awaitNodes(2);
      await().atMost(Duration.ofSeconds(60)).until(() -> cluster.client().getApplicationAttemptReport(
          attempt(appId, 1)).getYarnApplicationAttemptState() == YarnApplicationAttemptState.RUNNING);
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.report().running(attempt(appId, 1)).stream()
          .allMatch(w -> w.lastHeartbeatMs() > killedAt + 1000) && cluster.report().running(attempt(appId, 1)).size() == 2);
      assertEquals(workers.stream().map(WorkerReport::containerId).sorted().toList(),
          cluster.report().running(attempt(appId, 1)).stream().map(WorkerReport::containerId).sorted().toList(),
          "the same worker processes run on after the failover");

      // The client was started against rm0: its next calls go to rm1.
      UpdateStatus status = client.updateApplication(appId, app.amLaunchContext("2", 2, 128))
          .await(Duration.ofMinutes(2));
      assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
      awaitRunning(cluster.report(), attempt(appId, 2), 2);
      assertEquals(2, assertEachNewWorkerStartedAfterItsOldOne(status, cluster.report()));

      ha.restartStopped();
      assertEquals(1, ha.activeIndex(), "the restarted rm0 is a standby");
      assertListening("rm0", false);
      app.stopAttempt(attempt(appId, 2).toString());
    } finally {
      client.stop();
    }
  }

  /** Whether the RM's Worker Pool port takes connections. */
  private static void assertListening(String rmId, boolean listening) {
    String[] hostPort = cluster.config().get(HAUtil.addSuffix("yarn.resourcemanager.worker-pool.address", rmId))
        .split(":");
    InetSocketAddress address = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
    if (listening) {
      assertTrue(connects(address), rmId + "'s Worker Pool listens on " + address);
    } else {
      assertThrows(ConnectException.class, () -> new Socket(address.getHostString(), address.getPort()).close(),
          rmId + "'s Worker Pool is not listening on " + address);
    }
  }

  private static boolean connects(InetSocketAddress address) {
    try (Socket socket = new Socket(address.getHostString(), address.getPort())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
