package io.workerpool.it.rm;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.Accounting;
import io.workerpool.it.CrashableAmService;
import io.workerpool.it.app.TestAppMaster;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.WorkerPoolSettings;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttempt;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;
import org.apache.hadoop.yarn.util.resource.ResourceUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ResourceManager restarts (work-preserving recovery, FileSystemRMStateStore) in the middle of an
 * update, in each phase, for an application like stock Flink without HA (keep-containers off, max
 * attempts 1): the restarted RM resumes the update from its journal and every worker is replaced in
 * place on its own node. Judged from the workers' own reports and the scheduler's accounting.
 */
class RmRestartMidUpdateTest {
  private static final int WORKERS = 2;
  private static final long PAUSE_BEFORE_AM_END_MS = 4_000;
  private static TestCluster cluster;
  private static TestApplication app;

  @BeforeAll
  static void startCluster() throws Exception {
    Path stateStore = Path.of("target", "rm-restart-mid-update", "state-store").toAbsolutePath();
    FileUtils.deleteDirectory(stateStore.toFile());
    TestCluster.Builder builder = TestCluster.builder("rm-restart-mid-update").nodeManagers(2)
        // The NodeManagers must reach the restarted RM over RPC at the same address.
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
        .set("yarn.nodemanager.localizer.address", "localhost:0")
        .set("yarn.nodemanager.webapp.address", "localhost:0")
        .set("yarn.nodemanager.collector-service.address", "localhost:0")
        // Memory-only scheduling overcommits vcores (as on most clusters): the restarted RM must still charge the
        // pooled workers again.
        .set("yarn.nodemanager.resource.cpu-vcores", "1")
        .set("yarn.resourcemanager.recovery.enabled", "true")
        .set("yarn.resourcemanager.work-preserving-recovery.scheduling-wait-ms", "1000")
        .set("yarn.resourcemanager.connect.retry-interval.ms", "500")
        .set("yarn.resourcemanager.store.class",
            "org.apache.hadoop.yarn.server.resourcemanager.recovery.FileSystemRMStateStore")
        .set("yarn.resourcemanager.fs.state-store.uri", stateStore.toUri().toString())
        .set(WorkerPoolConfigKeys.TEST_PAUSE_BEFORE_AM_END_MS, Long.toString(PAUSE_BEFORE_AM_END_MS));
    cluster = WorkerPoolSettings.apply(builder, 30_000, true).start();
    app = TestApplication.stage(cluster.workDir().resolve("staging"), cluster.report(), cluster.confDir(), 1L << 20);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private ApplicationId running;

  @AfterEach
  void stopApplication() throws Exception {
    if (running != null) {
      cluster.client().killApplication(running);
    }
  }

  @Test
  void restartWhileTheOldAmIsBeingEnded() throws Exception {
    restartIn(UpdatePhase.POOLING, "pooling");
  }

  @Test
  void restartWhileTheNewAmIsLaunching() throws Exception {
    restartIn(UpdatePhase.LAUNCHING_AM, "launching");
  }

  @Test
  void restartWhileWorkersAreConverted() throws Exception {
    restartIn(UpdatePhase.CONVERTING, "converting");
  }

  /**
   * The RM dies after it stored the new launch context and before it ended the old AM: the restarted RM
   * puts the old launch context back and fails the update, so a later AM crash runs the old version.
   */
  @Test
  void restartJustAfterAcceptingKeepsTheOldVersion() throws Exception {
    running = app.submit(cluster.client(), "1", WORKERS, 128, SubmitOptions.defaults("accepted")
        .keepContainers(false).maxAttempts(2));
    awaitRunning(cluster.report(), attempt(running, 1), WORKERS);
    String updateId;
    try (WorkerPoolClient client = client()) {
      // The call waits in the RM's pause and fails when the RM goes down.
      Thread caller = new Thread(() -> {
        try {
          client.updateApplication(running, app.amLaunchContext("2", WORKERS, 128));
        } catch (Exception expected) {
          System.out.println("update call ended with the RM: " + expected.getMessage());
        }
      });
      caller.start();
      updateId = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> client.latestUpdate(running), s -> s.getPhase() == UpdatePhase.ACCEPTED).getUpdateId();
      restartResourceManager();
      caller.join(30_000);
    }

    try (WorkerPoolClient client = client()) {
      UpdateStatus status = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(
          () -> client.getUpdate(updateId), s -> s.getPhase() == UpdatePhase.FAILED);
      assertTrue(status.getDiagnostics().contains("previous AM launch context is back"), status.getDiagnostics());
    }
    assertEquals(WORKERS, cluster.report().running(attempt(running, 1)).size(), "the old version runs on");
    app.crashAttempt(attempt(running, 1).toString());
    await().atMost(Duration.ofSeconds(90)).until(() -> cluster.report().amLines(attempt(running, 2).toString())
        .stream().anyMatch(l -> l.startsWith("start ")));
    assertTrue(cluster.report().amLines(attempt(running, 2).toString())
        .contains("start version=1 attempt=" + attempt(running, 2)), "the next attempt runs the old version: "
        + cluster.report().amLines(attempt(running, 2).toString()));
  }

  /**
   * A pooled worker's process is killed while the new AM waits to register: its place is held, and the
   * restarted RM charges that place to the application again (it is not free for a moment) and the new attempt's
   * claim turns it into a new worker on its node.
   */
  @Test
  void aHeldPlaceIsChargedAgainByTheRestartedRm() throws Exception {
    ContainerId[] held = new ContainerId[1];
    NodeId[] heldOn = new NodeId[1];
    restartIn(UpdatePhase.LAUNCHING_AM, "held", Map.of(TestAppMaster.ENV_REGISTER_DELAY_MS, "15000"),
        (updateId, before) -> {
          WorkerReport victim = before.get(0);
          held[0] = ContainerId.fromString(victim.containerId());
          heldOn[0] = NodeId.fromString(victim.nodeId());
          ProcessHandle.of(victim.pid()).ifPresent(ProcessHandle::destroyForcibly);
          try (WorkerPoolClient client = client()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> client.getUpdate(updateId).getWorkersList().stream()
                .anyMatch(w -> w.getOldContainerId().equals(victim.containerId())
                    && w.getState() == WorkerState.HELD));
          }
        }, () -> {
          RMContainer place = rm().getResourceScheduler().getRMContainer(held[0]);
          assertTrue(place != null, "the restarted RM charges the held place of " + held[0]);
          assertEquals(heldOn[0], place.getNodeId());
          assertTrue(rm().getResourceScheduler().getSchedulerNode(heldOn[0]).getCopiedListOfRunningContainers()
              .contains(place), "on its node");
        });
  }

  private void restartIn(UpdatePhase phase, String name) throws Exception {
    restartIn(phase, name, Map.of(), (updateId, before) -> { }, () -> { });
  }

  private interface BeforeRestart {
    void run(String updateId, List<WorkerReport> before) throws Exception;
  }

  private void restartIn(UpdatePhase phase, String name, Map<String, String> newAmEnv, BeforeRestart beforeRestart,
      Runnable afterRestart) throws Exception {
    running = app.submit(cluster.client(), "1", WORKERS, 128, SubmitOptions.defaults(name)
        .keepContainers(false).maxAttempts(1));
    List<WorkerReport> before = awaitRunning(cluster.report(), attempt(running, 1), WORKERS);
    String updateId;
    try (WorkerPoolClient client = client()) {
      ContainerLaunchContext v2 = app.amLaunchContext("2", WORKERS, 128);
      Map<String, String> env = new HashMap<>(v2.getEnvironment());
      env.putAll(newAmEnv);
      v2.setEnvironment(env);
      updateId = client.updateApplication(running, v2).status().getUpdateId();
      UpdateStatus reached = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(
          () -> client.getUpdate(updateId), s -> s.getPhase().getNumber() >= phase.getNumber());
      assertEquals(phase, reached.getPhase(), "the RM restarts in " + phase);
    }
    beforeRestart.run(updateId, before);
    restartResourceManager();
    afterRestart.run();

    UpdateStatus done;
    try (WorkerPoolClient client = client()) {
      done = await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> client.getUpdate(updateId),
          s -> s.getPhase() == UpdatePhase.SUCCEEDED || s.getPhase() == UpdatePhase.FAILED);
    }
    System.out.println("restart in " + phase + ": " + done);
    assertEquals(UpdatePhase.SUCCEEDED, done.getPhase(), done.toString());
    assertTrue(done.getRecoveries() >= 1, "resumed from the journal");
    assertEquals(WORKERS, done.getWorkersCount());
    assertTrue(done.getWorkersList().stream().allMatch(w -> w.getState() == WorkerState.REPLACED), done.toString());

    // The new attempt is the update's (attempt 2, or 3 when the RM restarted before it launched attempt 2's AM).
    ApplicationAttemptId current = ApplicationAttemptId.fromString(done.getNewAttemptId());
    List<WorkerReport> after = awaitRunning(cluster.report(), current, WORKERS);
    assertEquals(WORKERS, assertEachNewWorkerStartedAfterItsOldOne(done, cluster.report()));
    assertEquals(nodeCounts(before), nodeCounts(after), "every new worker runs on an old worker's node");
    assertTrue(after.stream().allMatch(w -> w.version().equals("2")));
    Map<String, WorkerRecord> byNew = done.getWorkersList().stream()
        .collect(Collectors.toMap(WorkerRecord::getNewContainerId, Function.identity()));
    for (WorkerReport worker : after) {
      assertEquals(byNew.get(worker.containerId()).getNodeId(), worker.nodeId(), worker.containerId()
          + " replaced the old worker of its node");
    }
    for (WorkerReport old : before) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(Path.of("/proc/" + old.pid())));
    }

    RMApp rmApp = rm().getRMContext().getRMApps().get(running);
    await().atMost(Duration.ofSeconds(60)).until(() -> cluster.client().getApplicationReport(running)
        .getYarnApplicationState() == YarnApplicationState.RUNNING);
    for (RMAppAttempt ended : rmApp.getAppAttempts().values()) {
      if (!ended.getAppAttemptId().equals(rmApp.getCurrentAppAttempt().getAppAttemptId())) {
        assertFalse(ended.shouldCountTowardsMaxAttemptRetry(), ended.getAppAttemptId() + " counts as failed");
      }
    }
    assertEquals(current, rmApp.getCurrentAppAttempt().getAppAttemptId());
    assertTrue(rmApp.getCurrentAppAttempt().getRMAppAttemptMetrics().getTotalAllocatedContainers() <= 1,
        "no worker was scheduled the ordinary way (only the new AM may have been)");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> Accounting.assertUsageEqualsRunningContainers(
        (CapacityScheduler) rm().getResourceScheduler(), running));
  }

  private static Map<String, Long> nodeCounts(List<WorkerReport> workers) {
    return workers.stream().collect(Collectors.groupingBy(WorkerReport::nodeId, Collectors.counting()));
  }

  private static WorkerPoolClient client() {
    WorkerPoolClient client = new WorkerPoolClient();
    client.init(cluster.config());
    client.start();
    return client;
  }

  private static ResourceManager rm() {
    return cluster.yarn().getResourceManager(0);
  }

  private static void restartResourceManager() throws Exception {
    ResourceUtils.resetResourceTypes(cluster.config());
    CrashableAmService.crash(cluster.yarn().getResourceManager(0).getRMContext());
    cluster.yarn().restartResourceManager(0);
    await().atMost(Duration.ofSeconds(60)).until(() -> cluster.client().getNodeReports(NodeState.RUNNING).size() == 2);
  }
}
