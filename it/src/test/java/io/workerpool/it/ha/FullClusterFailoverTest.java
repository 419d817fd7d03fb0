package io.workerpool.it.ha;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.UpdateHandle;
import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.ClusterUsage;
import io.workerpool.it.app.TestAppMaster;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.YarnException;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttempt;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A full cluster and an RM failover in each phase of an update: a hungry application in the same queue, ahead of
 * the updated one by its priority, waits for every free resource while the active RM is stopped mid-update and the other RM resumes the update from its
 * journal. The hungry application gets none of the updated application's places (no worker of it starts during the
 * update), every new worker runs on its old worker's node, AM2 on AM1's node, and what the RM charges equals what
 * the NodeManagers run. Judged from the workers' own reports and the NodeManagers, not from the update's record.
 */
class FullClusterFailoverTest {
  private static final int WORKERS = 4;
  private static final int WORKER_MB = 256;
  private static final int HUNGRY_PRIORITY = 5;
  private static HaCluster ha;
  private static TestCluster cluster;
  private static TestApplication app;

  private ApplicationId updated;
  private ApplicationId hungry;

  @BeforeAll
  static void startCluster() throws Exception {
    // As UpdateFailoverTest: YARN's default node heartbeat (so POOLING lasts long enough to stop the RM in it) and a
    // 2 s pause after the update was accepted; and 4 s between AM1's place being held and its attempt's end. Small nodes, so that a hungry application of 256 MB workers fills
    // them (two AMs fit the AM limit of the test's capacity-scheduler.xml).
    ha = HaCluster.start("full-cluster-failover", TestCluster.builder("full-cluster-failover").nodeManagers(2)
        .nodeMemoryMb(2048)
        .set(YarnConfiguration.MAX_CLUSTER_LEVEL_APPLICATION_PRIORITY, Integer.toString(HUNGRY_PRIORITY))
        .set("yarn.scheduler.minimum-allocation-mb", "128")
        .set(YarnConfiguration.RM_NM_HEARTBEAT_INTERVAL_MS, "1000")
        .set("yarn.scheduler.capacity.per-node-heartbeat.multiple-assignments-enabled", "true")
        .set(WorkerPoolConfigKeys.TEST_PAUSE_BEFORE_AM_END_MS, "2000")
        .set(WorkerPoolConfigKeys.TEST_PAUSE_AFTER_AM_PLACE_HELD_MS, "4000"), 60_000);
    cluster = ha.cluster();
    app = TestApplication.stage(cluster.workDir().resolve("staging"), cluster.report(), cluster.confDir(), 1L << 20);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (ha != null) {
      ha.close();
    }
  }

  @BeforeEach
  void bothResourceManagersUp() throws Exception {
    ha.restartStopped();
    ha.awaitNodes(2);
  }

  @AfterEach
  void stopApplications() throws Exception {
    for (ApplicationId id : new ApplicationId[] {updated, hungry}) {
      if (id != null) {
        cluster.client().killApplication(id);
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.client().getApplicationReport(id)
            .getYarnApplicationState().ordinal() >= YarnApplicationState.FINISHED.ordinal());
      }
    }
  }

  /**
   * ACCEPTED: the RM is stopped before the old AM ended; the new RM either resumes the update or fails it, leaving
   * the old version running. CONVERTING: AM2 asks for half of its workers at once and for the rest 12 s later, so
   * that some are converted and some still pooled when the RM stops. LAUNCHING_AM: AM2 waits 8 s before it registers.
   */
  @ParameterizedTest
  @EnumSource(value = UpdatePhase.class, names = {"ACCEPTED", "POOLING", "LAUNCHING_AM", "CONVERTING"})
  void theUpdatedApplicationKeepsEveryPlaceThroughAFailover(UpdatePhase stopIn) throws Exception {
    updateAndFailOver(stopIn.name(), stopIn, client -> UpdatePhaseWait.awaitPhase(client, updated, stopIn, WORKERS));
  }

  /**
   * AM1's node reported it gone and its place is held, but the old attempt has not ended yet (the cluster delays
   * that end by 4 s): the new RM charges the place again when the node registers and AM2's container takes it.
   */
  @Test
  void amOnesHeldPlaceIsChargedAgainByTheNewRmAndTheNewAmTakesIt() throws Exception {
    updateAndFailOver("am-place", UpdatePhase.POOLING, client -> UpdatePhaseWait.awaitStatus(client, updated,
        UpdatePhase.POOLING, status -> status.getAmPlace().startsWith("held on")));
  }

  private void updateAndFailOver(String name, UpdatePhase stopIn, StopPoint stopPoint) throws Exception {
    updated = app.submit(cluster.client(), "1", WORKERS, WORKER_MB, SubmitOptions.defaults("updated-" + name)
        .keepContainers(false).maxAttempts(1));
    Map<String, WorkerReport> v1 = awaitRunning(cluster.report(), attempt(updated, 1), WORKERS).stream()
        .collect(Collectors.toMap(WorkerReport::containerId, w -> w));
    ha.awaitRunningOnActive(v1.keySet());
    NodeId am1Node = amNode();
    // Ahead of the updated application in the queue: any place the update lets go of goes to the hungry one.
    hungry = app.submit(cluster.client(), "h", 60, WORKER_MB, SubmitOptions.defaults("hungry-" + name)
        .priority(HUNGRY_PRIORITY));
    Set<String> hungryBefore = awaitFull();

    ContainerLaunchContext v2 = app.amLaunchContext("2", WORKERS, WORKER_MB);
    Map<String, String> env = new HashMap<>(v2.getEnvironment());
    if (stopIn == UpdatePhase.LAUNCHING_AM) {
      env.put(TestAppMaster.ENV_REGISTER_DELAY_MS, "8000");
    } else if (stopIn == UpdatePhase.CONVERTING) {
      env.put(TestAppMaster.ENV_LATE_ASK_DELAY_MS, "12000");
    }
    v2.setEnvironment(env);
    UpdateStatus status;
    try (WorkerPoolClient client = new WorkerPoolClient()) {
      client.init(cluster.config());
      client.start();
      // The call answers once the update has left ACCEPTED (its pause): ACCEPTED is seen while the call runs.
      CompletableFuture<UpdateHandle> started = CompletableFuture.supplyAsync(() -> {
        try {
          return client.updateApplication(updated, v2);
        } catch (YarnException e) {
          throw new IllegalStateException(e);
        }
      });
      UpdateStatus atStop = stopPoint.await(client);
      int active = ha.killActive();
      System.out.println("stopped the active RM in " + atStop.getPhase() + " (workers " + atStop.getWorkersList()
          .stream().map(w -> w.getState().name()).toList() + ", AM1's place: " + atStop.getAmPlace() + "); rm"
          + active + " is active");
      status = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
          .until(() -> client.getUpdate(atStop.getUpdateId()), s -> s.getPhase() == UpdatePhase.SUCCEEDED
              || s.getPhase() == UpdatePhase.FAILED);
      assertEquals(atStop.getUpdateId(), started.get(1, TimeUnit.MINUTES).status().getUpdateId(),
          "the call retried on the new RM returned the update it had started");
    }
    System.out.println(status);
    for (int n = 1; n <= 2; n++) {
      System.out.println("AM of attempt " + n + ": " + cluster.report().amLines(attempt(updated, n).toString()));
    }

    if (stopIn == UpdatePhase.ACCEPTED && status.getPhase() == UpdatePhase.FAILED) {
      assertEquals(v1.keySet(), runningIds(updated, 1),
          "the failed update left the old workers running");
    } else {
      assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
      assertTrue(status.getRecoveries() >= 1, "the new RM resumed the update from its journal: " + status);
      for (WorkerRecord record : status.getWorkersList()) {
        assertEquals(WorkerState.REPLACED, record.getState(), record.toString());
        assertEquals(v1.get(record.getOldContainerId()).nodeId(), record.getNodeId(), record.toString());
      }
      assertEquals(WORKERS, assertEachNewWorkerStartedAfterItsOldOne(status, cluster.report()),
          "every old worker was replaced on its node, as the workers report it: " + status);
      List<WorkerReport> v2Workers = awaitRunning(cluster.report(), attempt(updated, 2), WORKERS);
      assertEquals(nodeCounts(v1.values()), nodeCounts(v2Workers), "every new worker runs on an old worker's node");
      assertEquals(am1Node, amNode(), "AM2 runs on AM1's node");
      // After a failover the RM's own ask for AM2's container usually reaches the scheduler before the hungry AM
      // has re-sent its asks, so AM2 could also win AM1's freed place by luck: YARN's counter tells them apart.
      assertEquals(0, ha.active().getRMContext().getRMApps().get(updated).getCurrentAppAttempt()
          .getRMAppAttemptMetrics().getTotalAllocatedContainers(), "nothing of the new attempt, not even its AM,"
          + " was scheduled the ordinary way");
      RMAppAttempt oldAttempt = ha.active().getRMContext().getRMApps().get(updated).getRMAppAttempt(attempt(updated, 1));
      assertFalse(oldAttempt.shouldCountTowardsMaxAttemptRetry(), "AM1's end, stopped by the update, is not a failed"
          + " attempt of the application: " + oldAttempt.getDiagnostics());
    }
    assertEquals(hungryBefore, runningIds(hungry, 1), "the hungry application got no place during the update");
    ClusterUsage.awaitChargesEqualRunningContainers(cluster.yarn(), ha.active(), 2, "default");
  }

  /** When the test stops the active RM: returns the update's status then. */
  private interface StopPoint {
    UpdateStatus await(WorkerPoolClient client) throws Exception;
  }

  /**
   * Waits until the hungry application has taken every free resource, still asks for more, and every container it
   * got runs a worker; returns those workers' container ids.
   */
  private Set<String> awaitFull() {
    return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
      CapacityScheduler scheduler = (CapacityScheduler) ha.active().getResourceScheduler();
      FiCaSchedulerApp hungryAttempt = scheduler.getApplicationAttempt(attempt(hungry, 1));
      long allocated = hungryAttempt == null ? -1
          : hungryAttempt.getLiveContainers().stream().filter(c -> !c.isAMContainer()).count();
      Set<String> running = runningIds(hungry, 1);
      return ClusterUsage.freeMb(scheduler) < WORKER_MB && running.size() > 1 && running.size() == allocated
          ? running : null;
    }, running -> running != null);
  }

  private static Set<String> runningIds(ApplicationId appId, int attempt) throws Exception {
    return cluster.report().running(attempt(appId, attempt)).stream().map(WorkerReport::containerId)
        .collect(Collectors.toSet());
  }

  private NodeId amNode() {
    return ha.active().getRMContext().getRMApps().get(updated).getCurrentAppAttempt().getMasterContainer()
        .getNodeId();
  }

  private static Map<String, Long> nodeCounts(java.util.Collection<WorkerReport> workers) {
    return workers.stream().collect(Collectors.groupingBy(WorkerReport::nodeId, Collectors.counting()));
  }
}
