package io.workerpool.it.nm;

import static io.workerpool.it.Workers.attempt;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.UpdateHandle;
import io.workerpool.it.Workers;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.TestApplication.WorkerFault;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.nm.NmWorkerPoolConfig;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.ReplacementContract;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerReport;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NodeManager restarts with recovery (fixed ports, state store, supervised) in the middle of an in-place
 * update's swap on its node: while the new container C3 localizes and the old one C1 runs, while C1 is being
 * stopped, and after C3 has started. Each time exactly one worker runs afterwards, the new one, in the old one's
 * place; the old one ends as replaced (-120) and is never running at the same time as the new one. Judged from
 * the workers' own reports (pids, heartbeats, signals), YARN's container reports and the update's record. One
 * NodeManager, one worker per application, so that every container of the update is on the restarted node.
 */
class NodeManagerRestartDuringSwapTest {
  private static final long GRACE_MS = 3_000;
  private static final int WORKER_MB = 128;
  private static final Duration WAIT = Duration.ofSeconds(90);

  private static UpdateFixture fixture;
  private static TestCluster cluster;
  private static TestApplication app;
  private ApplicationId running;

  @BeforeAll
  static void startCluster() throws Exception {
    TestCluster.Builder builder = TestCluster.builder("nm-restart-swap").nodeManagers(1).restartableNodeManagers()
        .set(NmWorkerPoolConfig.STOP_GRACE_MS, Long.toString(GRACE_MS))
        .set(NmWorkerPoolConfig.STOP_TIMEOUT_MS, "30000");
    fixture = UpdateFixture.start(builder, 60_000, 1L << 20);
    cluster = fixture.cluster();
    app = fixture.app();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @AfterEach
  void stopApplication() throws Exception {
    if (running != null) {
      cluster.client().killApplication(running);
    }
  }

  @Test
  void restartWhileTheNewContainerLocalizesAndTheOldOneRuns() throws Exception {
    // The new workers' own file makes their localization start a localizer process: it takes a while.
    Swap swap = restartDuring("localizing", WorkerFault.NONE, WorkerFault.OWN_FILE,
        c1 -> awaitReplacement(c1, ContainerState.LOCALIZING));

    WorkerReport old = swap.old();
    assertTrue(old.lastHeartbeatMs() > swap.restartedAtMs(), swap.c1() + " ran on through the restart");
    assertTrue(old.stopped(), swap.c1() + " was stopped with SIGTERM after the restart");
  }

  @Test
  void restartWhileTheOldContainerIsBeingStopped() throws Exception {
    // The old workers log SIGTERM and go on: they are being stopped for the whole grace period.
    Swap swap = restartDuring("stopping", WorkerFault.IGNORE_TERM, WorkerFault.NONE, c1 -> {
      // Its own report of the SIGTERM: the NodeManager sends it a moment after C1 is KILLING (a batch's SIGTERMs go
      // out together).
      await().atMost(WAIT).pollInterval(Duration.ofMillis(10))
          .until(() -> cluster.report().times(c1, "term"), terms -> !terms.isEmpty());
      return awaitReplacement(c1, ContainerState.SCHEDULED);
    });

    List<Long> terms = cluster.report().times(swap.c1(), "term");
    assertFalse(terms.isEmpty(), swap.c1() + " got SIGTERM");
    assertTrue(terms.get(0) < swap.restartedAtMs(), "the stop began before the restart: " + terms);
    assertTrue(swap.old().lastHeartbeatMs() >= terms.get(0) + GRACE_MS - 200, swap.c1() + " ran for its grace of "
        + GRACE_MS + " ms after the first SIGTERM at " + terms.get(0) + ": last heartbeat "
        + swap.old().lastHeartbeatMs());
  }

  @Test
  void restartAfterTheNewContainerStarted() throws Exception {
    Swap swap = restartDuring("started", WorkerFault.NONE, WorkerFault.NONE, c1 -> {
      String c3 = awaitReplacement(c1, ContainerState.RUNNING);
      await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
          .until(() -> cluster.report().heartbeats(c3).size() >= 3);
      return c3;
    });

    assertTrue(swap.fresh().firstHeartbeatMs() < swap.restartedAtMs(), swap.c3() + " ran before the restart");
    assertTrue(swap.old().lastHeartbeatMs() < swap.restartedAtMs(), swap.c1() + " was gone before the restart");
  }

  /**
   * Submits a one-worker application, updates it, restarts the NodeManager once {@code moment} returns the new
   * container, and checks what must hold whatever the moment.
   */
  private Swap restartDuring(String name, WorkerFault oldFault, WorkerFault newFault, Moment moment)
      throws Exception {
    running = app.submit(cluster.client(), app.amLaunchContext("1", 1, WORKER_MB, oldFault),
        SubmitOptions.defaults("nm-restart-" + name));
    String c1 = Workers.awaitRunning(cluster.report(), attempt(running, 1), 1).get(0).containerId();
    UpdateHandle handle = fixture.client().updateApplication(running, app.amLaunchContext("2", 1, WORKER_MB,
        newFault));

    String c3 = moment.reached(c1);
    long restartedAt = System.currentTimeMillis();
    System.out.printf("restarting the NodeManager (%s): %s is %s, %s is %s%n", name, c1,
        nmContainer(c1).map(Container::getContainerState).orElse(null), c3,
        nmContainer(c3).map(Container::getContainerState).orElse(null));
    cluster.restartNodeManager(0);

    UpdateStatus status = handle.await(Duration.ofMinutes(3));
    assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
    WorkerRecord record = status.getWorkersList().stream().filter(w -> w.getOldContainerId().equals(c1))
        .findFirst().orElseThrow();
    assertEquals(WorkerState.REPLACED, record.getState(), record.toString());
    assertEquals(c3, record.getNewContainerId(), record.toString());
    // The RM notes any other exit status of the old container than the replaced one (-120). One other end is
    // allowed: a restart shortly before or after the swap can leave the old container out of one of the node's
    // reports before its -120 reached the RM, which the RM then counts as lost (-100, "not reported"). Never a
    // LOST (154) or the container's own exit code: its process was not lost, it was stopped for the swap.
    assertTrue(record.getReason().isEmpty() || record.getReason().contains("(exit -100: Container " + c1
        + " was running but not reported from "), "the RM saw " + c1 + " end with the replaced status: " + record);

    // The new worker runs, once, and heartbeats well after the restart.
    WorkerReport fresh = await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
        .until(() -> report(c3), r -> r.isPresent() && r.get().lastHeartbeatMs() > restartedAt + 1_000).orElseThrow();
    assertEquals(1, cluster.report().times(c3, "start").size(), c3 + " started once");
    assertTrue(ProcessHandle.of(fresh.pid()).map(ProcessHandle::isAlive).orElse(false), c3 + " runs: " + fresh);
    ApplicationAttemptId attempt2 = attempt(running, 2);
    assertEquals(List.of(c3), cluster.report().workers(id -> ContainerId.fromString(id).getApplicationAttemptId()
        .equals(attempt2)).stream().map(WorkerReport::containerId).toList(), "the only worker of the new attempt");

    // The old worker is gone, and it heartbeated for the last time before the new one's first heartbeat.
    WorkerReport old = report(c1).orElseThrow();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
        .until(() -> ProcessHandle.of(old.pid()).map(p -> !p.isAlive()).orElse(true));
    WorkerReport oldEnd = report(c1).orElseThrow();
    assertEquals(1, cluster.report().times(c1, "start").size(), c1 + " started once");
    assertTrue(oldEnd.lastHeartbeatMs() < fresh.firstHeartbeatMs(), c1 + "'s last heartbeat "
        + oldEnd.lastHeartbeatMs() + " precedes " + c3 + "'s first " + fresh.firstHeartbeatMs());

    // YARN runs exactly the new worker (and AM2) for the application, on the old worker's node.
    List<ContainerReport> containers = cluster.client().getContainers(attempt2);
    ContainerId am2 = cluster.client().getApplicationAttemptReport(attempt2).getAMContainerId();
    Set<String> workers = containers.stream()
        .filter(c -> c.getContainerState() == org.apache.hadoop.yarn.api.records.ContainerState.RUNNING)
        .filter(c -> !c.getContainerId().equals(am2))
        .map(c -> c.getContainerId().toString()).collect(Collectors.toSet());
    assertEquals(Set.of(c3), workers, "YARN's running workers of " + attempt2);
    assertEquals(oldEnd.nodeId(), fresh.nodeId());
    return new Swap(c1, c3, oldEnd, fresh, restartedAt);
  }

  /** The new container marked as replacing {@code c1}, once the NodeManager holds it in {@code state}. */
  private static String awaitReplacement(String c1, ContainerState state) {
    return await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> cluster.nodeManager(0)
        .getNMContext().getContainers().values().stream()
        .filter(c -> ReplacementContract.replacedContainer(c.getContainerTokenIdentifier().getAllcationTags())
            .filter(c1::equals).isPresent())
        .filter(c -> c.getContainerState() == state)
        .map(c -> c.getContainerId().toString()).findFirst(), Optional::isPresent).orElseThrow();
  }

  private static Optional<Container> nmContainer(String containerId) {
    return Optional.ofNullable(cluster.nodeManager(0).getNMContext().getContainers()
        .get(ContainerId.fromString(containerId)));
  }

  private static Optional<WorkerReport> report(String containerId) throws Exception {
    return cluster.report().workers(containerId::equals).stream().findFirst();
  }

  /** Waits for one moment of the swap of {@code c1}; returns the new container. */
  private interface Moment {
    String reached(String c1) throws Exception;
  }

  private record Swap(String c1, String c3, WorkerReport old, WorkerReport fresh, long restartedAtMs) {
  }
}
