package io.workerpool.it.ha;

import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.WorkerPoolClient;
import io.workerpool.client.cli.WorkerPoolCli;
import io.workerpool.it.ClusterUsage;
import io.workerpool.it.LaunchContextJson;
import io.workerpool.it.app.TestAppMaster;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttempt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * RM HA failover in each phase of an update (and just after it was accepted): the active RM is stopped while the
 * update is in that phase, the other RM becomes active, resumes the update from its journal and finishes it; the
 * workers are replaced in place on their own nodes; a CLI {@code update} started before the failover ends with the
 * final table.
 */
class UpdateFailoverTest {
  private static final int WORKERS = 4;
  private static final int WORKER_MB = 128;
  private static HaCluster ha;
  private static TestCluster cluster;
  private static TestApplication app;

  @BeforeAll
  static void startCluster() throws Exception {
    // Node heartbeats every second (YARN's default): the RM's kill of the old AM reaches its node with a heartbeat,
    // so the old AM may still run when the RM dies in POOLING. Several containers per heartbeat keep the start of
    // the applications quick all the same.
    ha = HaCluster.start("update-failover", TestCluster.builder("update-failover").nodeManagers(2)
        .set(YarnConfiguration.RM_NM_HEARTBEAT_INTERVAL_MS, "1000")
        .set("yarn.scheduler.capacity.per-node-heartbeat.multiple-assignments-enabled", "true")
        // Every update waits 2 s between storing the new launch context and ending the old AM: the window in which
        // the RM dies "just after accepting".
        .set(WorkerPoolConfigKeys.TEST_PAUSE_BEFORE_AM_END_MS, "2000"), 60_000);
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

  /** Either the new RM resumes and finishes the update, or it is FAILED and the old launch context is stored. */
  @Test
  void failoverJustAfterTheUpdateWasAcceptedBeforeTheOldAmEnded() throws Exception {
    updateAndFailOver(UpdatePhase.ACCEPTED, SubmitOptions.defaults("failover-accepted"), Map.of());
  }

  @Test
  void failoverWhilePoolingTheWorkersOfAKeepContainersOffApp() throws Exception {
    updateAndFailOver(UpdatePhase.POOLING, SubmitOptions.defaults("failover-pooling").keepContainers(false), Map.of());
  }

  @Test
  void failoverWhileTheNewAmOfAMaxAttemptsOneAppLaunches() throws Exception {
    updateAndFailOver(UpdatePhase.LAUNCHING_AM, SubmitOptions.defaults("failover-launching").maxAttempts(1),
        Map.of(TestAppMaster.ENV_REGISTER_DELAY_MS, "8000"));
  }

  @Test
  void failoverWhileConvertingWithSomeWorkersConvertedAndSomePooled() throws Exception {
    updateAndFailOver(UpdatePhase.CONVERTING, SubmitOptions.defaults("failover-converting").keepContainers(false)
        .maxAttempts(1), Map.of(TestAppMaster.ENV_LATE_ASK_DELAY_MS, "12000"));
  }

  private void updateAndFailOver(UpdatePhase killIn, SubmitOptions options, Map<String, String> newAmOptions)
      throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", WORKERS, WORKER_MB, options);
    Map<String, WorkerReport> v1 = awaitRunning(cluster.report(), attempt(appId, 1), WORKERS).stream()
        .collect(Collectors.toMap(WorkerReport::containerId, w -> w));
    ha.awaitRunningOnActive(v1.keySet());
    ContainerLaunchContext v2 = app.amLaunchContext("2", WORKERS, WORKER_MB);
    Map<String, String> env = new HashMap<>(v2.getEnvironment());
    env.putAll(newAmOptions);
    v2.setEnvironment(env);
    Path spec = LaunchContextJson.write(v2, cluster.workDir().resolve("am-v2-" + killIn + ".json"));

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CompletableFuture<Integer> cli = CompletableFuture.supplyAsync(() -> WorkerPoolCli.run(
        new YarnConfiguration(cluster.config()), new PrintWriter(out, true), new PrintWriter(err, true),
        "update", appId.toString(), "--launch-context", spec.toString(), "--timeout", "PT4M"));
    try (WorkerPoolClient client = new WorkerPoolClient()) {
      client.init(cluster.config());
      client.start();
      UpdateStatus atKill = UpdatePhaseWait.awaitPhase(client, appId, killIn, WORKERS);
      long killedAt = System.currentTimeMillis();
      int dead = ha.activeIndex();
      int active = ha.killActive();
      System.out.println("stopped rm" + dead + " in " + atKill.getPhase() + " (workers "
          + atKill.getWorkersList().stream().map(w -> w.getState().name()).toList() + "); rm" + active + " is active");

      int code = cli.get(4, TimeUnit.MINUTES);
      String shown = out.toString();
      System.out.println(shown + err);
      UpdateStatus status = client.latestUpdate(appId);
      System.out.println(status);
      for (int n = 1; n <= 3; n++) {
        System.out.println("AM of attempt " + n + ": " + cluster.report().amLines(attempt(appId, n).toString()));
      }
      assertEquals(atKill.getUpdateId(), status.getUpdateId(), "no second update was started (a call retried on"
          + " the new RM returns the update of its request id)");
      assertTrue(shown.contains("update " + status.getUpdateId() + " of " + appId + ": " + status.getPhase()),
          "the CLI update started before the failover ends with the final status:\n" + shown + err);
      if (killIn == UpdatePhase.ACCEPTED && status.getPhase() == UpdatePhase.FAILED) {
        assertEquals(1, code, shown);
        assertTheOldVersionRunsOn(appId);
        return;
      }
      assertEquals(0, code, "the CLI update started before the failover succeeded:\n" + shown + err);
      assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
      assertTrue(status.getRecoveries() >= 1, "rm" + active + " resumed the update from its journal: " + status);
      assertKilledIn(killIn, status, killedAt);
      assertTrue(shown.contains("update " + status.getUpdateId() + " of " + appId + ": SUCCEEDED"), shown);

      ApplicationAttemptId attempt2 = attempt(appId, 2);
      assertEquals(WORKERS, status.getWorkersCount(), status.toString());
      for (WorkerRecord record : status.getWorkersList()) {
        WorkerReport old = v1.get(record.getOldContainerId());
        assertTrue(old != null, "the record's old container is a worker of version 1: " + record);
        assertEquals(old.nodeId(), record.getNodeId(), record.toString());
        assertEquals(WorkerState.REPLACED, record.getState(), record.toString());
        assertEquals(attempt2, ContainerId.fromString(record.getNewContainerId()).getApplicationAttemptId());
        assertTrue(shown.matches("(?s).*" + record.getOldContainerId() + " +" + record.getNewContainerId() + " +"
            + record.getNodeId() + " +REPLACED.*"), "the CLI's final table has " + record.getOldContainerId() + ":\n"
            + shown);
      }
      assertReplacedInPlace(appId, status, v1);
      assertNoAttemptFailed(appId);
      ClusterUsage.awaitChargesEqualRunningContainers(cluster.yarn(), ha.active(), 2, "default");
    } finally {
      app.stopAttempt(cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId().toString());
      await().atMost(Duration.ofSeconds(60)).until(() -> cluster.client().getApplicationReport(appId)
          .getYarnApplicationState().ordinal() >= YarnApplicationState.FINISHED.ordinal());
    }
  }

  /**
   * An update that failed before the old AM ended leaves it running its workers, and the state store holds the old
   * launch context again: the attempt after a crash of the old AM runs version 1.
   */
  private static void assertTheOldVersionRunsOn(ApplicationId appId) throws Exception {
    assertEquals(WORKERS, cluster.report().running(attempt(appId, 1)).size(), "the old AM's workers run on");
    app.crashAttempt(attempt(appId, 1).toString());
    String attempt2 = attempt(appId, 2).toString();
    await().atMost(Duration.ofSeconds(90)).until(() -> cluster.report().amLines(attempt2).stream()
        .anyMatch(l -> l.startsWith("start ")));
    assertTrue(cluster.report().amLines(attempt2).contains("start version=1 attempt=" + attempt2),
        cluster.report().amLines(attempt2).toString());
  }

  /** The phase after the one the RM was stopped in began only after the stop (the stop hit that phase). */
  private static void assertKilledIn(UpdatePhase phase, UpdateStatus status, long killedAt) {
    UpdatePhase next = UpdatePhase.forNumber(phase.getNumber() + 1);
    long nextEntered = status.getPhaseTimesList().stream().filter(p -> p.getPhase() == next)
        .mapToLong(PhaseTime::getEnteredAtMs).max().orElseThrow();
    assertTrue(nextEntered >= killedAt, "the RM was stopped in " + phase + " (at " + killedAt + "), before " + next
        + " (at " + nextEntered + ")");
  }

  /** From the workers' own reports: each new worker runs on its old worker's node, after the old one stopped. */
  private static void assertReplacedInPlace(ApplicationId appId, UpdateStatus status, Map<String, WorkerReport> v1)
      throws Exception {
    ApplicationAttemptId attempt2 = attempt(appId, 2);
    Map<String, WorkerReport> v2 = awaitRunning(cluster.report(), attempt2, WORKERS).stream()
        .collect(Collectors.toMap(WorkerReport::containerId, w -> w));
    Map<String, WorkerReport> oldNow = cluster.report().workers(v1::containsKey).stream()
        .collect(Collectors.toMap(WorkerReport::containerId, w -> w));
    for (WorkerRecord record : status.getWorkersList()) {
      WorkerReport before = oldNow.get(record.getOldContainerId());
      WorkerReport after = v2.get(record.getNewContainerId());
      assertTrue(after != null, "the new container " + record.getNewContainerId() + " runs a worker: " + v2.keySet());
      assertEquals(before.nodeId(), after.nodeId(), "replaced on its own node: " + record);
      assertEquals("2", after.fileVersion(), after.toString());
      assertTrue(before.stopped(), "the old worker ended: " + before);
      assertTrue(before.lastHeartbeatMs() < after.firstHeartbeatMs(), before + " / " + after);
    }
    Set<String> converted = status.getWorkersList().stream().map(WorkerRecord::getNewContainerId)
        .collect(Collectors.toSet());
    List<String> am2 = cluster.report().amLines(attempt2.toString());
    // A container converted by the RM that died but not started yet is refused by its node ("allocated by a
    // previous RM"), as any container of a failed-over RM is; AM2 releases it and asks again, like stock AMs.
    Set<String> refused = am2.stream().filter(l -> l.startsWith("start-error ")).map(l -> l.split(" ")[1])
        .collect(Collectors.toSet());
    Set<String> kept = am2.stream().filter(l -> l.startsWith("allocated ")).map(l -> l.split(" ")[1])
        .filter(id -> !refused.contains(id)).collect(Collectors.toSet());
    assertEquals(converted, kept, "every container AM2 kept is a converted one, nothing was scheduled the ordinary"
        + " way: " + am2);
    assertTrue(am2.stream().noneMatch(l -> l.startsWith("previous ")), "pooled containers are not AM2's"
        + " containers from previous attempts: " + am2);
  }

  /** YARN's own judgement of each ended attempt, on the RM that is active now. */
  private static void assertNoAttemptFailed(ApplicationId appId) throws Exception {
    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.client().getApplicationReport(appId)
        .getYarnApplicationState() == YarnApplicationState.RUNNING);
    RMApp rmApp = ha.active().getRMContext().getRMApps().get(appId);
    assertEquals(attempt(appId, 2), rmApp.getCurrentAppAttempt().getAppAttemptId());
    for (RMAppAttempt attempt : rmApp.getAppAttempts().values()) {
      if (!attempt.getAppAttemptId().equals(rmApp.getCurrentAppAttempt().getAppAttemptId())) {
        assertFalse(attempt.shouldCountTowardsMaxAttemptRetry(), attempt.getAppAttemptId() + " ended "
            + attempt.createApplicationAttemptState() + " (" + attempt.getDiagnostics() + ") and counts as a failed attempt");
      }
    }
  }
}
