package io.workerpool.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The harness itself: a stock cluster runs the test application, observed through its own reports. */
class TestApplicationTest {
  private static TestCluster cluster;
  private static TestApplication app;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = TestCluster.builder("test-application").nodeManagers(2).start();
    app = TestApplication.stage(cluster.workDir().resolve("staging"), cluster.report(), cluster.confDir(),
        64L << 20);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void fourWorkersRunVersionOneOnBothNodes() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 4, 128, SubmitOptions.defaults("harness"));

    List<WorkerReport> workers = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
        .until(() -> workersOf(appId), reports -> reports.size() == 4
            && reports.stream().allMatch(r -> r.heartbeats() >= 3));

    Set<String> containers = workers.stream().map(WorkerReport::containerId).collect(Collectors.toSet());
    assertEquals(4, containers.size(), "distinct worker containers");
    for (WorkerReport worker : workers) {
      assertEquals("1", worker.version(), "environment version of " + worker.containerId());
      assertEquals("1", worker.fileVersion(), "version.txt of " + worker.containerId());
      assertTrue(worker.bytesMissed() + worker.bytesCached() >= 64L << 20,
          "the image was localized for " + worker.containerId() + ": " + worker.localizationCounters());
    }
    Set<String> nodes = workers.stream().map(WorkerReport::nodeId).collect(Collectors.toSet());
    Set<String> clusterNodes = cluster.client().getNodeReports(NodeState.RUNNING).stream()
        .map(n -> n.getNodeId().toString()).collect(Collectors.toSet());
    assertEquals(clusterNodes, nodes, "workers run on both NodeManagers");

    String attempt = appId.toString().replace("application", "appattempt") + "_000001";
    assertTrue(cluster.report().amLines(attempt).contains("start version=1 attempt=" + attempt),
        "AM reports version 1: " + cluster.report().amLines(attempt));
  }

  private static List<WorkerReport> workersOf(ApplicationId appId) throws Exception {
    return cluster.report().workers().stream()
        .filter(r -> ContainerId.fromString(r.containerId()).getApplicationAttemptId().getApplicationId().equals(appId))
        .toList();
  }
}
