package io.workerpool.it.rm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.UpdateHandle;
import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.WorkerPoolSettings;
import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerExitStatus;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttempt;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttempt;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.QueueMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** updateApplication on a real RM: AM2 gets AM1's workers as new containers on the same nodes. */
class InPlaceUpdateTest {
  private static TestCluster cluster;
  private static TestApplication app;
  private static WorkerPoolClient client;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = WorkerPoolSettings.apply(TestCluster.builder("in-place-update").nodeManagers(2), 15_000, false)
        .start();
    app = TestApplication.stage(cluster.workDir().resolve("staging"), cluster.report(), cluster.confDir(), 64L << 20);
    client = new WorkerPoolClient();
    client.init(cluster.config());
    client.start();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (client != null) {
      client.stop();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void updateHandsTheWorkersToTheNewAttemptOnTheSameNodes() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 4, 128, SubmitOptions.defaults("update-4"));
    List<WorkerReport> v1 = awaitWorkers(appId, 1, 4);
    Map<String, String> v1Nodes = v1.stream().collect(Collectors.toMap(WorkerReport::containerId, WorkerReport::nodeId));
    QueueMetrics queue = rm().getResourceScheduler().getRootQueueMetrics();
    long localityBefore = localityAllocations(queue);

    long started = System.currentTimeMillis();
    UpdateHandle handle = client.updateApplication(appId, app.amLaunchContext("2", 4, 128));
    List<WorkerReport> v2 = awaitWorkers(appId, 2, 4);
    long workersUp = System.currentTimeMillis() - started;
    UpdateStatus status = handle.await(Duration.ofMinutes(2));

    ApplicationAttemptId attempt2 = ApplicationAttemptId.newInstance(appId, 2);
    assertEquals(attempt2, cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId());
    assertTrue(cluster.report().amLines(attempt2.toString()).contains("start version=2 attempt=" + attempt2),
        "AM2 runs the new launch context");
    for (WorkerReport worker : v2) {
      assertEquals(attempt2, ContainerId.fromString(worker.containerId()).getApplicationAttemptId());
      assertEquals("2", worker.fileVersion());
    }
    List<String> allocated = cluster.report().amLines(attempt2.toString()).stream()
        .filter(l -> l.startsWith("allocated ")).toList();
    assertEquals(4, allocated.size(), "AM2 was given exactly 4 containers: " + allocated);
    assertTrue(allocated.stream().allMatch(l -> l.endsWith("priority=1 memory=128")), allocated.toString());
    assertEquals(v1Nodes.values().stream().sorted().toList(),
        v2.stream().map(WorkerReport::nodeId).sorted().toList(), "the new workers sit on the old workers' nodes");

    System.out.println("locality before=" + localityBefore + " after=" + localityAllocations(queue)
        + " node=" + queue.getAggregateNodeLocalContainersAllocated() + " rack=" + queue.getAggregateRackLocalContainersAllocated()
        + " off=" + queue.getAggregateOffSwitchContainersAllocated() + " aggAlloc=" + queue.getAggregateAllocatedContainers());
    assertEquals(1, localityAllocations(queue) - localityBefore, "only AM2's own container was scheduled");
    RMApp rmApp = rm().getRMContext().getRMApps().get(appId);
    assertEquals(1, rmApp.getCurrentAppAttempt().getRMAppAttemptMetrics().getTotalAllocatedContainers(),
        "attempt 2 got no worker through ordinary scheduling");
    RMAppAttempt attempt1 = rmApp.getRMAppAttempt(ApplicationAttemptId.newInstance(appId, 1));
    assertFalse(attempt1.shouldCountTowardsMaxAttemptRetry(), "ending AM1 does not count as a failed attempt");
    assertEquals(YarnApplicationState.RUNNING, cluster.client().getApplicationReport(appId).getYarnApplicationState());

    assertEquals(4, status.getWorkersCount());
    for (WorkerRecord record : status.getWorkersList()) {
      assertEquals(v1Nodes.get(record.getOldContainerId()), record.getNodeId(), record.toString());
      assertEquals(attempt2, ContainerId.fromString(record.getNewContainerId()).getApplicationAttemptId());
    }
    printTimings(status, workersUp);
  }

  private static void printTimings(UpdateStatus status, long workersUpMs) {
    long accepted = status.getPhaseTimes(0).getEnteredAtMs();
    StringBuilder line = new StringBuilder("update timings:");
    for (PhaseTime phase : status.getPhaseTimesList()) {
      line.append(' ').append(phase.getPhase()).append("=+").append(phase.getEnteredAtMs() - accepted).append("ms");
    }
    System.out.println(line + "; all 4 version-2 workers heartbeating after " + workersUpMs + " ms");
  }

  private static long localityAllocations(QueueMetrics queue) {
    return queue.getAggregateNodeLocalContainersAllocated() + queue.getAggregateRackLocalContainersAllocated()
        + queue.getAggregateOffSwitchContainersAllocated();
  }

  private static ResourceManager rm() {
    return cluster.yarn().getResourceManager();
  }

  private static List<WorkerReport> awaitWorkers(ApplicationId appId, int attempt, int count) {
    return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .until(() -> cluster.report().workers().stream()
            .filter(r -> ContainerId.fromString(r.containerId()).getApplicationAttemptId()
                .equals(ApplicationAttemptId.newInstance(appId, attempt)))
            .filter(r -> r.heartbeats() >= 2).toList(), r -> r.size() == count);
  }
}
