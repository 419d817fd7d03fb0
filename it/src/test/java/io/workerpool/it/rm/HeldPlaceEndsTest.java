package io.workerpool.it.rm;

import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.Accounting;
import io.workerpool.it.app.TestAppMaster;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerState;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.SchedulerNode;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A pooled worker whose process dies keeps its place (HELD) until something ends it: the claim deadline, the new
 * attempt's end, the application's kill or the loss of its node. Each end path is judged from the scheduler: the
 * held container leaves its node's list and every node, queue and user charges exactly what runs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HeldPlaceEndsTest {
  private static final int NODES = 3;
  private static final int WORKERS = 2;
  private static final int WORKER_MB = 256;
  private static final long CLAIM_TIMEOUT_MS = 30_000;
  private static UpdateFixture fixture;
  private static TestCluster cluster;
  private static TestApplication app;
  private static WorkerPoolClient client;

  private ApplicationId appId;

  @BeforeAll
  static void startCluster() throws Exception {
    // MiniYARNCluster's NodeManagers do not unregister when stopped: a stopped one is lost when it misses
    // its heartbeats for this long, as a crashed node is.
    fixture = UpdateFixture.start(TestCluster.builder("held-place-ends").nodeManagers(NODES)
        .set("yarn.nm.liveness-monitor.expiry-interval-ms", "8000"), CLAIM_TIMEOUT_MS, 1L << 20);
    cluster = fixture.cluster();
    app = fixture.app();
    client = fixture.client();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @AfterEach
  void killApplication() throws Exception {
    if (appId != null && !cluster.client().getApplicationReport(appId).getYarnApplicationState().equals(
        YarnApplicationState.KILLED)) {
      cluster.client().killApplication(appId);
    }
  }

  @Test
  @Order(1)
  void theClaimDeadlineReleasesAHeldPlace() throws Exception {
    HeldWorker held = updateAndKillAPooledWorker("held-deadline");

    UpdateStatus ended = await().atMost(Duration.ofSeconds(60)).until(() -> client.getUpdate(held.updateId()),
        s -> WorkerPoolClient.isFinal(s.getPhase()));

    assertEquals(WorkerState.RELEASED, recordOf(ended, held.container()).getState(), ended.toString());
    assertPlaceGone(held);
  }

  @Test
  @Order(2)
  void theNewAttemptsEndReleasesAHeldPlace() throws Exception {
    HeldWorker held = updateAndKillAPooledWorker("held-am2-fails");

    cluster.client().failApplicationAttempt(attempt(appId, 2));

    UpdateStatus ended = await().atMost(Duration.ofSeconds(60)).until(() -> client.getUpdate(held.updateId()),
        s -> WorkerPoolClient.isFinal(s.getPhase()));
    assertEquals(UpdatePhase.FAILED, ended.getPhase(), ended.toString());
    // The scheduler ends the attempt's containers (keep-containers is off) before the pool releases its leftovers.
    assertTrue(List.of(WorkerState.RELEASED, WorkerState.LOST).contains(recordOf(ended, held.container()).getState()),
        ended.toString());
    assertPlaceGone(held);
  }

  @Test
  @Order(3)
  void killingTheApplicationReleasesAHeldPlace() throws Exception {
    HeldWorker held = updateAndKillAPooledWorker("held-app-killed");

    cluster.client().killApplication(appId);
    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.client().getApplicationReport(appId)
        .getYarnApplicationState() == YarnApplicationState.KILLED);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertEquals(0, containersOf(appId), "nothing of the killed application is charged on any node");
      Accounting.assertNodesAndRootQueueChargeWhatRuns(scheduler());
    });
    assertTrue(WorkerPoolClient.isFinal(client.getUpdate(held.updateId()).getPhase()));
  }

  /** Last: the cluster has one node fewer afterwards. */
  @Test
  @Order(4)
  void losingItsNodeEndsAHeldPlace() throws Exception {
    HeldWorker held = updateAndKillAPooledWorker("held-node-lost");
    NodeManager nodeManager = nodeManagerOf(held.node());

    nodeManager.stop();

    await().atMost(Duration.ofSeconds(60)).until(() -> scheduler().getSchedulerNode(held.node()) == null);
    UpdateStatus status = await().atMost(Duration.ofSeconds(30)).until(() -> client.getUpdate(held.updateId()),
        s -> recordOf(s, held.container()).getState() != WorkerState.HELD);
    WorkerRecord record = recordOf(status, held.container());
    assertEquals(WorkerState.LOST, record.getState(), record.toString());
    assertTrue(record.getReason().contains("its held place ended"), record.getReason());
    assertEquals(null, scheduler().getRMContainer(held.container()), "the scheduler no longer tracks it");
    Accounting.assertNodesAndRootQueueChargeWhatRuns(scheduler());
  }

  private record HeldWorker(String updateId, ContainerId container, NodeId node) {
  }

  /**
   * Updates a two-worker application whose new AM waits a minute before it registers (the update stays in
   * LAUNCHING_AM) and kills one pooled worker's process: its place is held.
   */
  private HeldWorker updateAndKillAPooledWorker(String name) throws Exception {
    appId = app.submit(cluster.client(), "1", WORKERS, WORKER_MB, SubmitOptions.defaults(name)
        .keepContainers(false).maxAttempts(3));
    List<WorkerReport> workers = awaitRunning(cluster.report(), attempt(appId, 1), WORKERS);
    await().atMost(Duration.ofSeconds(30)).until(() -> workers.stream().allMatch(w -> {
      RMContainer container = scheduler().getRMContainer(ContainerId.fromString(w.containerId()));
      return container != null && container.getState() == RMContainerState.RUNNING;
    }));
    ContainerLaunchContext v2 = app.amLaunchContext("2", WORKERS, WORKER_MB);
    Map<String, String> env = new HashMap<>(v2.getEnvironment());
    env.put(TestAppMaster.ENV_REGISTER_DELAY_MS, "60000");
    v2.setEnvironment(env);
    String updateId = client.updateApplication(appId, v2).status().getUpdateId();
    await().atMost(Duration.ofSeconds(60)).until(() -> client.getUpdate(updateId).getPhase(),
        phase -> phase == UpdatePhase.LAUNCHING_AM);

    // LAUNCHING_AM begins when the new attempt is added, a moment before its AM container is allocated.
    NodeId amNode = await().atMost(Duration.ofSeconds(30)).until(() -> cluster.yarn().getResourceManager()
        .getRMContext().getRMApps().get(appId).getCurrentAppAttempt().getMasterContainer(), Objects::nonNull)
        .getNodeId();
    WorkerReport victim = workers.stream().filter(w -> !w.nodeId().equals(amNode.toString())).findFirst()
        .orElse(workers.get(0));
    ProcessHandle.of(victim.pid()).ifPresent(ProcessHandle::destroyForcibly);
    ContainerId container = ContainerId.fromString(victim.containerId());
    await().atMost(Duration.ofSeconds(30)).until(() -> client.getUpdate(updateId),
        s -> recordOf(s, container).getState() == WorkerState.HELD);
    NodeId node = NodeId.fromString(victim.nodeId());
    assertTrue(scheduler().getSchedulerNode(node).getCopiedListOfRunningContainers().stream()
        .anyMatch(c -> c.getContainerId().equals(container)), "the node still charges the held place");
    Accounting.assertNodesAndRootQueueChargeWhatRuns(scheduler());
    return new HeldWorker(updateId, container, node);
  }

  /** The held container left its node and the scheduler; every node and the root queue charge what runs. */
  private static void assertPlaceGone(HeldWorker held) {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      SchedulerNode node = scheduler().getSchedulerNode(held.node());
      assertFalse(node.getCopiedListOfRunningContainers().stream()
          .anyMatch(c -> c.getContainerId().equals(held.container())), "the held place left " + held.node());
      assertEquals(null, scheduler().getRMContainer(held.container()));
      Accounting.assertNodesAndRootQueueChargeWhatRuns(scheduler());
    });
  }

  private static long containersOf(ApplicationId appId) {
    return scheduler().getAllNodes().stream().flatMap(n -> n.getCopiedListOfRunningContainers().stream())
        .filter(c -> c.getApplicationAttemptId().getApplicationId().equals(appId)).count();
  }

  private static WorkerRecord recordOf(UpdateStatus status, ContainerId container) {
    return status.getWorkersList().stream().filter(w -> w.getOldContainerId().equals(container.toString()))
        .findFirst().orElseThrow(() -> new AssertionError("no record of " + container + " in " + status));
  }

  private static NodeManager nodeManagerOf(NodeId node) {
    for (int i = 0; i < NODES; i++) {
      NodeManager nm = cluster.yarn().getNodeManager(i);
      if (nm.getNMContext().getNodeId().equals(node)) {
        return nm;
      }
    }
    throw new AssertionError("no NodeManager runs " + node);
  }

  private static CapacityScheduler scheduler() {
    return (CapacityScheduler) cluster.yarn().getResourceManager().getResourceScheduler();
  }
}
