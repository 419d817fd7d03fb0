package io.workerpool.it.rm;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.CrashableAmService;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.WorkerPoolSettings;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import java.time.Duration;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The new AM launch context is durable: after an RM restart the application's next attempt still runs it. */
class RmRestartTest {
  private static TestCluster cluster;
  private static TestApplication app;

  @BeforeAll
  static void startCluster() throws Exception {
    java.nio.file.Path stateStore = java.nio.file.Path.of("target", "rm-restart", "state-store").toAbsolutePath();
    org.apache.commons.io.FileUtils.deleteDirectory(stateStore.toFile());
    TestCluster.Builder builder = TestCluster.builder("rm-restart").nodeManagers(1)
        // The NodeManager must reach the restarted RM over RPC at the same address.
        .set("yarn.minicluster.fixed.ports", "true")
        .set("yarn.minicluster.use-rpc", "true")
        // A stopping RM answers an AM call in flight with an error, on which a stock AM exits: stopped as a crash.
        .set(YarnConfiguration.RM_APPLICATION_MASTER_SERVICE_PROCESSORS, CrashableAmService.class.getName())
        .set("yarn.resourcemanager.address", "localhost:" + WorkerPoolSettings.freePort())
        .set("yarn.resourcemanager.scheduler.address", "localhost:" + WorkerPoolSettings.freePort())
        .set("yarn.resourcemanager.resource-tracker.address", "localhost:" + WorkerPoolSettings.freePort())
        .set("yarn.resourcemanager.admin.address", "localhost:" + WorkerPoolSettings.freePort())
        .set("yarn.resourcemanager.webapp.address", "localhost:" + WorkerPoolSettings.freePort())
        .set("yarn.nodemanager.address", "localhost:0")
        .set("yarn.nodemanager.localizer.address", "localhost:" + WorkerPoolSettings.freePort())
        .set("yarn.nodemanager.webapp.address", "localhost:" + WorkerPoolSettings.freePort())
        .set("yarn.nodemanager.collector-service.address", "localhost:" + WorkerPoolSettings.freePort())
        .set("yarn.resourcemanager.recovery.enabled", "true")
        // Clients and AMs reconnect to the restarted RM within a second instead of 30 s.
        .set("yarn.resourcemanager.connect.retry-interval.ms", "500")
        .set("yarn.resourcemanager.store.class",
            "org.apache.hadoop.yarn.server.resourcemanager.recovery.FileSystemRMStateStore")
        .set("yarn.resourcemanager.fs.state-store.uri", stateStore.toUri().toString());
    cluster = WorkerPoolSettings.apply(builder, 10_000, true).start();
    app = TestApplication.stage(cluster.workDir().resolve("staging"), cluster.report(), cluster.confDir(), 1L << 20);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void afterAnRmRestartTheNextAttemptRunsTheNewLaunchContext() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 2, 128, SubmitOptions.defaults("restart"));
    awaitRunning(cluster.report(), attempt(appId, 1), 2);
    try (WorkerPoolClient client = new WorkerPoolClient()) {
      client.init(cluster.config());
      client.start();
      UpdateStatus updated = client.updateApplication(appId, app.amLaunchContext("2", 2, 128))
          .await(Duration.ofMinutes(2));
      assertEquals(UpdatePhase.SUCCEEDED, updated.getPhase());
      assertEquals(2, assertEachNewWorkerStartedAfterItsOldOne(updated, cluster.report()));
    }
    awaitRunning(cluster.report(), attempt(appId, 2), 2);

    CrashableAmService.crash(cluster.yarn().getResourceManager(0).getRMContext());
    cluster.yarn().restartResourceManager(0);
    await().atMost(Duration.ofSeconds(60)).until(() -> cluster.client().getNodeReports(NodeState.RUNNING).size() == 1
        && cluster.client().getApplicationReport(appId).getYarnApplicationState() == YarnApplicationState.RUNNING);

    app.crashAttempt(attempt(appId, 2).toString());
    await().atMost(Duration.ofSeconds(90)).until(() -> cluster.report().amLines(attempt(appId, 3).toString())
        .stream().anyMatch(l -> l.startsWith("start ")));
    assertTrue(cluster.report().amLines(attempt(appId, 3).toString())
        .contains("start version=2 attempt=" + attempt(appId, 3)), "attempt 3 after the RM restart runs version 2: "
        + cluster.report().amLines(attempt(appId, 3).toString()));
  }
}
