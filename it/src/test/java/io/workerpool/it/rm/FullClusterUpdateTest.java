package io.workerpool.it.rm;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.Accounting;
import io.workerpool.it.ClusterUsage;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.WorkerPoolSettings;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CSQueue;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The normal cluster is full: a hungry application in the same queue waits for every free resource while
 * an application is updated in place. Nothing the updated application held (AM1's place, its workers'
 * places, even the place of a worker that dies while pooled) goes to the hungry one; AM2 runs where AM1
 * ran. Judged from the scheduler's own node lists, sampled during the update, and the workers' reports.
 */
class FullClusterUpdateTest {
  private static final int WORKERS = 4;
  private static final int WORKER_MB = 256;
  private static final String OTHER_QUEUE = "other";
  private static TestCluster cluster;
  private static TestApplication app;

  private ApplicationId updated;
  private ApplicationId hungry;

  @BeforeAll
  static void startCluster() throws Exception {
    // default (30 %) runs the updated application above its guarantee; other (70 %) stays below its guarantee
    // even when its hungry application has taken every free resource.
    TestCluster.Builder builder = TestCluster.builder("full-cluster").nodeManagers(2).nodeMemoryMb(2048)
        .set("yarn.scheduler.minimum-allocation-mb", "128")
        .set("yarn.scheduler.capacity.maximum-am-resource-percent", "0.5")
        .set("yarn.scheduler.capacity.root.queues", "default," + OTHER_QUEUE)
        .set("yarn.scheduler.capacity.root.default.capacity", "30")
        .set("yarn.scheduler.capacity.root.default.maximum-capacity", "100")
        .set("yarn.scheduler.capacity.root.default.user-limit-factor", "4")
        .set("yarn.scheduler.capacity.root.default.maximum-am-resource-percent", "1.0")
        .set("yarn.scheduler.capacity.root." + OTHER_QUEUE + ".capacity", "70")
        .set("yarn.scheduler.capacity.root." + OTHER_QUEUE + ".maximum-capacity", "100");
    cluster = WorkerPoolSettings.apply(builder, 30_000, true).start();
    app = TestApplication.stage(cluster.workDir().resolve("staging"), cluster.report(), cluster.confDir(), 1L << 20);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void stopApplications() throws Exception {
    for (ApplicationId id : new ApplicationId[] {updated, hungry}) {
      if (id != null) {
        cluster.client().killApplication(id);
      }
    }
  }

  @Test
  void theUpdatedApplicationKeepsEveryPlaceAndTheNewAmRunsWhereTheOldOneRan() throws Exception {
    List<WorkerReport> before = startBoth("full");
    NodeId am1Node = amNode(updated);
    AtomicInteger hungryMost = sampleHungryDuring(() -> {
      UpdateStatus done = update();
      assertEquals(UpdatePhase.SUCCEEDED, done.getPhase(), done.toString());
      assertTrue(done.getWorkersList().stream().allMatch(w -> w.getState() == WorkerState.REPLACED), done.toString());
      assertTrue(done.getAmPlace().contains("took AM1's place on " + am1Node), done.getAmPlace());
    });

    assertEquals(am1Node, amNode(updated), "AM2 runs on AM1's node");
    assertEveryWorkerBackOnItsNode(before);
    assertTrue(hungryMost.get() <= hungryRunning(), "the hungry application got no place during the update");
  }

  /**
   * POOLING: the worker dies while AM1 is being stopped, before the new attempt (and so the pool) exists; it is
   * killed at the first phase seen from the one named on (the phase lasts about a node heartbeat here).
   */
  @ParameterizedTest
  @EnumSource(value = UpdatePhase.class, names = {"POOLING", "LAUNCHING_AM"})
  void aWorkerThatDiesDuringTheUpdateKeepsItsPlaceAndComesBackOnItsNode(UpdatePhase killFrom) throws Exception {
    List<WorkerReport> before = startBoth("dies-" + killFrom);
    WorkerReport victim = before.get(0);
    AtomicReference<UpdatePhase> killedIn = new AtomicReference<>();
    AtomicInteger hungryMost = sampleHungryDuring(() -> {
      UpdateStatus done = update(phase -> {
        if (killedIn.get() == null && phase.getNumber() >= killFrom.getNumber()) {
          kill9(victim.pid());
          killedIn.set(phase);
          System.out.println("killed worker " + victim.containerId() + " in " + phase);
        }
      });
      assertEquals(UpdatePhase.SUCCEEDED, done.getPhase(), done.toString());
      WorkerRecord record = done.getWorkersList().stream()
          .filter(w -> w.getOldContainerId().equals(victim.containerId())).findFirst()
          .orElseThrow(() -> new AssertionError("the worker killed in " + killedIn + " was not pooled: " + done));
      assertEquals(WorkerState.REPLACED, record.getState(), "the held place was claimed: " + record);
      assertEquals(victim.nodeId(), record.getNodeId());
    });

    List<WorkerReport> after = assertEveryWorkerBackOnItsNode(before);
    assertTrue(after.stream().allMatch(w -> w.bytesMissed() < 1024), "no unchanged file was downloaded again: "
        + after.stream().map(WorkerReport::localizationCounters).toList());
    assertTrue(hungryMost.get() <= hungryRunning(), "the hungry application never got the dead worker's place");
  }

  @Test
  void aHungryApplicationInAnotherQueueBelowItsGuaranteeGetsNothingTheUpdatedApplicationHeld() throws Exception {
    List<WorkerReport> before = startBoth("other-queue", OTHER_QUEUE);
    CSQueue other = scheduler().getQueue(OTHER_QUEUE);
    assertTrue(other.getQueueCapacities().getAbsoluteUsedCapacity() < other.getQueueCapacities().getAbsoluteCapacity(),
        "the hungry application's queue is below its guarantee: used " + other.getQueueCapacities()
            .getAbsoluteUsedCapacity() + " of " + other.getQueueCapacities().getAbsoluteCapacity());
    NodeId am1Node = amNode(updated);
    AtomicInteger hungryMost = sampleHungryDuring(() -> {
      UpdateStatus done = update();
      assertEquals(UpdatePhase.SUCCEEDED, done.getPhase(), done.toString());
      assertTrue(done.getWorkersList().stream().allMatch(w -> w.getState() == WorkerState.REPLACED), done.toString());
    });

    assertEquals(am1Node, amNode(updated), "AM2 runs on AM1's node");
    assertEveryWorkerBackOnItsNode(before);
    assertTrue(hungryMost.get() <= hungryRunning(), "the queue below its guarantee got no place during the update");
  }

  @Test
  void aNewAmTooLargeForTheOldAmsNodeIsScheduledAsUsualAndTheRecordSaysSo() throws Exception {
    List<WorkerReport> before = startBoth("am-too-large");
    AtomicReference<String> amPlace = new AtomicReference<>("");
    UpdateStatus done = update(Resource.newInstance(1024, 1), phase -> {
      if (phase == UpdatePhase.LAUNCHING_AM) {
        try (WorkerPoolClient client = new WorkerPoolClient()) {
          client.init(cluster.config());
          client.start();
          amPlace.set(await().atMost(Duration.ofSeconds(30)).until(() -> client.latestUpdate(updated).getAmPlace(),
              place -> place.startsWith("released")));
          // The new AM waits for an ordinary allocation: the hungry application gives its resources back.
          cluster.client().killApplication(hungry);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    });

    assertTrue(amPlace.get().contains("scheduled as usual"), amPlace.get());
    assertEquals(UpdatePhase.SUCCEEDED, done.getPhase(), done.toString());
    RMApp rmApp = cluster.yarn().getResourceManager().getRMContext().getRMApps().get(updated);
    assertEquals(1024, rmApp.getCurrentAppAttempt().getMasterContainer().getResource().getMemorySize());
    assertEquals(1, rmApp.getCurrentAppAttempt().getRMAppAttemptMetrics().getTotalAllocatedContainers(),
        "only the new AM's container was scheduled the ordinary way");
    List<WorkerReport> after = awaitRunning(cluster.report(), attempt(updated, 2), WORKERS);
    assertEquals(nodeCounts(before), nodeCounts(after), "every new worker runs on an old worker's node");
    Accounting.assertUsageEqualsRunningContainers(scheduler(), updated);
  }

  private List<WorkerReport> startBoth(String name) throws Exception {
    return startBoth(name, "default");
  }

  private List<WorkerReport> startBoth(String name, String hungryQueue) throws Exception {
    updated = app.submit(cluster.client(), "1", WORKERS, WORKER_MB, SubmitOptions.defaults(name)
        .keepContainers(false).maxAttempts(1));
    List<WorkerReport> before = awaitRunning(cluster.report(), attempt(updated, 1), WORKERS);
    hungry = app.submit(cluster.client(), "h", 60, WORKER_MB, SubmitOptions.defaults("hungry-" + name)
        .queue(hungryQueue));
    // Full: the hungry application runs workers and still asks for more than is free.
    await().atMost(Duration.ofSeconds(60)).until(() -> ClusterUsage.freeMb(scheduler()) < WORKER_MB && hungryRunning() > 1);
    return before;
  }

  private UpdateStatus update() throws Exception {
    return update(phase -> { });
  }

  private UpdateStatus update(java.util.function.Consumer<UpdatePhase> onPhase) throws Exception {
    return update(null, onPhase);
  }

  private UpdateStatus update(Resource amResource, java.util.function.Consumer<UpdatePhase> onPhase)
      throws Exception {
    try (WorkerPoolClient client = new WorkerPoolClient()) {
      client.init(cluster.config());
      client.start();
      String id = client.updateApplication(updated, app.amLaunchContext("2", WORKERS, WORKER_MB), amResource, "")
          .status().getUpdateId();
      AtomicReference<UpdatePhase> seen = new AtomicReference<>();
      UpdateStatus done = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() -> {
        UpdateStatus status = client.getUpdate(id);
        if (seen.getAndSet(status.getPhase()) != status.getPhase()) {
          onPhase.accept(status.getPhase());
        }
        return status;
      }, s -> s.getPhase() == UpdatePhase.SUCCEEDED || s.getPhase() == UpdatePhase.FAILED);
      if (done.getPhase() == UpdatePhase.SUCCEEDED) {
        assertEachNewWorkerStartedAfterItsOldOne(done, cluster.report());
      }
      return done;
    }
  }

  private List<WorkerReport> assertEveryWorkerBackOnItsNode(List<WorkerReport> before) throws Exception {
    List<WorkerReport> after = awaitRunning(cluster.report(), attempt(updated, 2), WORKERS);
    assertEquals(nodeCounts(before), nodeCounts(after), "every new worker runs on an old worker's node");
    assertTrue(after.stream().allMatch(w -> w.version().equals("2")));
    RMApp rmApp = cluster.yarn().getResourceManager().getRMContext().getRMApps().get(updated);
    assertEquals(1, rmApp.getAppAttempts().size() - 1, "one new attempt");
    assertEquals(0, rmApp.getCurrentAppAttempt().getRMAppAttemptMetrics().getTotalAllocatedContainers(),
        "nothing of the new attempt, not even its AM, was scheduled the ordinary way");
    Accounting.assertUsageEqualsRunningContainers(scheduler(), updated);
    return after;
  }

  /** Runs {@code during} while sampling how many containers the hungry application runs; returns the most seen. */
  private AtomicInteger sampleHungryDuring(ThrowingRunnable during) throws Exception {
    AtomicInteger most = new AtomicInteger(hungryRunning());
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        most.accumulateAndGet(hungryRunning(), Math::max);
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sampler.start();
    try {
      during.run();
    } finally {
      sampler.interrupt();
      sampler.join();
    }
    return most;
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  private int hungryRunning() {
    return (int) scheduler().getAllNodes().stream().flatMap(n -> n.getCopiedListOfRunningContainers().stream())
        .filter(c -> c.getApplicationAttemptId().getApplicationId().equals(hungry)).count();
  }

  private NodeId amNode(ApplicationId appId) {
    return cluster.yarn().getResourceManager().getRMContext().getRMApps().get(appId).getCurrentAppAttempt()
        .getMasterContainer().getNodeId();
  }

  private static CapacityScheduler scheduler() {
    return (CapacityScheduler) cluster.yarn().getResourceManager().getResourceScheduler();
  }

  private static Map<String, Long> nodeCounts(List<WorkerReport> workers) {
    return workers.stream().collect(Collectors.groupingBy(WorkerReport::nodeId, Collectors.counting()));
  }

  private static void kill9(long pid) {
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }
}
