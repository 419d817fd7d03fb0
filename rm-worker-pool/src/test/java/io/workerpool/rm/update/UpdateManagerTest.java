package io.workerpool.rm.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.ReplacementContract;
import io.workerpool.rm.pool.PoolMatch;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.pool.WorkerAsk;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The update logic against a recording driver: no ResourceManager involved. */
class UpdateManagerTest {
  private static final ApplicationId APP = ApplicationId.newInstance(1_700_000_000_000L, 1);
  private static final ApplicationAttemptId ATTEMPT_1 = ApplicationAttemptId.newInstance(APP, 1);
  private static final ApplicationAttemptId ATTEMPT_2 = ApplicationAttemptId.newInstance(APP, 2);
  private static final Resource WORKER = Resource.newInstance(1024, 1);
  private static final Caller ALICE = new Caller("alice", "10.0.0.1");
  private static final long AM_STOP_TIMEOUT_MS = 200;

  private final FakeDriver driver = new FakeDriver(ATTEMPT_1);
  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final ManualEngine engine = new ManualEngine(clock);
  private final InMemoryJournal journal = new InMemoryJournal();
  private final ScheduledExecutorService watchers = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopWatchers() {
    watchers.shutdownNow();
  }

  private UpdateManager manager(long claimTimeoutMs) {
    return new UpdateManager(driver, new NoMetrics(), clock::get,
        new UpdateSettings(claimTimeoutMs, 30_000, 10, AM_STOP_TIMEOUT_MS), journal, engine, watchers);
  }

  private static PooledWorker worker(int id, String host) {
    return new PooledWorker(ContainerId.newContainerId(ATTEMPT_1, id), NodeId.newInstance(host, 1), WORKER, id);
  }

  private static WorkerAsk ask(int count) {
    return new WorkerAsk(Priority.newInstance(1), 0, WORKER, count, Set.of());
  }

  /** Start, let the RM add attempt 2 with {@code pool}, and let AM2 claim {@code asked}. */
  private List<PoolMatch> startAndClaim(UpdateManager updates, List<PooledWorker> pool, int asked) throws Exception {
    updates.start(ALICE, APP, ContainerLaunchContext.newInstance(null, null, List.of("run"), null, null, null),
        null, "");
    assertTrue(updates.isBeingReplaced(ATTEMPT_1));
    assertTrue(updates.awaitsNewAttempt(APP));
    updates.newAttemptAdded(ATTEMPT_2, pool);
    return updates.claim(ATTEMPT_2, updates.plan(ATTEMPT_2, List.of(ask(asked))));
  }

  /** The pool is matched out of the write lock: a worker that ended between the plan and the claim is not taken. */
  @Test
  void aClaimTakesOnlyThePlannedWorkersThatAreStillPooled() throws Exception {
    UpdateManager updates = manager(60_000);
    updates.start(ALICE, APP, ContainerLaunchContext.newInstance(null, null, List.of("run"), null, null, null),
        null, "");
    updates.newAttemptAdded(ATTEMPT_2, List.of(worker(2, "a"), worker(3, "b")));
    List<PoolMatch> plan = updates.plan(ATTEMPT_2, List.of(ask(2)));
    assertEquals(2, plan.size());
    assertEquals(2, updates.latest(APP).snapshot().getWorkersList().stream()
        .filter(w -> w.getState() == WorkerState.POOLED).count(), "a plan takes nothing out of the pool");

    updates.containerCompleted(worker(2, "a").containerId(), 137, "killed");
    List<PoolMatch> claimed = updates.claim(ATTEMPT_2, plan);

    assertEquals(List.of(worker(3, "b").containerId()), claimed.stream().map(m -> m.worker().containerId()).toList());
    assertEquals(List.of(), updates.claim(ATTEMPT_2, plan), "claimed once");
  }

  @Test
  void aFullSwapEndsWhenEveryOldContainerIsReplaced() throws Exception {
    UpdateManager updates = manager(60_000);
    List<PoolMatch> claimed = startAndClaim(updates, List.of(worker(2, "a"), worker(3, "b")), 2);
    assertEquals(List.of(ATTEMPT_1), driver.endedAttempts);

    ContainerId c3 = ContainerId.newContainerId(ATTEMPT_2, 2);
    ContainerId c4 = ContainerId.newContainerId(ATTEMPT_2, 3);
    Conversions.convert(updates, claimed.get(0), c3, 5);
    Conversions.convert(updates, claimed.get(1), c4, 5);
    Update update = updates.latest(APP);
    assertEquals(UpdatePhase.CONVERTING, update.phase(), "converted but not yet swapped on the nodes");

    updates.containerCompleted(claimed.get(0).worker().containerId(), ReplacementContract.REPLACED_EXIT_STATUS, "");
    // The node's own status can be lost; the old container is still gone while its replacement lives.
    updates.containerCompleted(claimed.get(1).worker().containerId(), -100, "running but not reported");

    assertEquals(UpdatePhase.SUCCEEDED, update.phase());
    List<WorkerRecord> records = update.snapshot().getWorkersList();
    assertTrue(records.stream().allMatch(r -> r.getState() == WorkerState.REPLACED), records.toString());
    assertEquals("", records.get(0).getReason());
    assertTrue(records.get(1).getReason().contains("its node stopped it for the swap"), records.get(1).getReason());
    assertTrue(driver.released.isEmpty() && driver.stopped.isEmpty());
  }

  @Test
  void anOldAmThatIsNotReportedGoneIsEndedByTheRmAfterTheStopTimeout() throws Exception {
    UpdateManager updates = manager(60_000);
    updates.start(ALICE, APP, ContainerLaunchContext.newInstance(null, null, List.of("run"), null, null, null),
        null, "");
    assertEquals(List.of(ATTEMPT_1), driver.endedAttempts);
    assertTrue(driver.abortedAttempts.isEmpty(), "the kill is given its time first");

    engine.advance(AM_STOP_TIMEOUT_MS);
    assertEquals(List.of(ATTEMPT_1), driver.abortedAttempts);
  }

  @Test
  void anOldAmReportedGoneInTimeIsNotEndedTwice() throws Exception {
    UpdateManager updates = manager(60_000);
    startAndClaim(updates, List.of(worker(2, "a")), 1);

    engine.advance(AM_STOP_TIMEOUT_MS);
    assertTrue(driver.abortedAttempts.isEmpty(), driver.abortedAttempts.toString());
  }

  @Test
  void aNewContainerThatNeverStartedGivesTheOldOneBackToThePoolForTheNextAsk() throws Exception {
    UpdateManager updates = manager(60_000);
    PoolMatch match = startAndClaim(updates, List.of(worker(2, "a")), 1).get(0);
    ContainerId c1 = match.worker().containerId();
    Conversions.convert(updates, match, ContainerId.newContainerId(ATTEMPT_2, 2), 5);

    driver.inReadLockedCallback(() -> updates.containerCompleted(ContainerId.newContainerId(ATTEMPT_2, 2), -1000,
        "localization failed"));
    assertTrue(driver.takenBack.isEmpty(), "the callback only records the failure");
    engine.runDue();

    assertEquals(List.of(c1), driver.takenBack);
    assertTrue(driver.stopped.isEmpty() && driver.released.isEmpty(), "the old container runs on");
    WorkerRecord record = updates.latest(APP).snapshot().getWorkers(0);
    assertEquals(WorkerState.POOLED, record.getState());
    assertTrue(record.getFailedSwaps(0).contains("localization failed"), record.toString());
    assertEquals(UpdatePhase.CONVERTING, updates.latest(APP).phase());

    // The AM asks again for the container that failed: the same old worker answers it.
    List<PoolMatch> again = updates.claim(ATTEMPT_2, updates.plan(ATTEMPT_2, List.of(ask(1))));
    assertEquals(c1, again.get(0).worker().containerId());
    ContainerId c5 = ContainerId.newContainerId(ATTEMPT_2, 5);
    Conversions.convert(updates, again.get(0), c5, 5);
    updates.containerCompleted(c1, ReplacementContract.REPLACED_EXIT_STATUS, "");

    record = updates.latest(APP).snapshot().getWorkers(0);
    assertEquals(WorkerState.REPLACED, record.getState());
    assertEquals(c5.toString(), record.getNewContainerId());
    assertEquals(1, record.getFailedSwapsCount());
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
  }

  @Test
  void anOldContainerTheRmCannotTakeBackIsStoppedSoNothingRunsUnaccounted() throws Exception {
    UpdateManager updates = manager(60_000);
    driver.refuseTakeBack = true;
    PoolMatch match = startAndClaim(updates, List.of(worker(2, "a")), 1).get(0);
    ContainerId c3 = ContainerId.newContainerId(ATTEMPT_2, 2);
    Conversions.convert(updates, match, c3, 5);

    updates.containerCompleted(c3, -1000, "localization failed");
    engine.runDue();

    assertEquals(List.of(match.worker().containerId()), driver.stopped);
    WorkerRecord record = updates.latest(APP).snapshot().getWorkers(0);
    assertEquals(WorkerState.SWAP_FAILED, record.getState());
    assertTrue(record.getReason().contains("localization failed"), record.getReason());
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
  }

  @Test
  void aNewContainerThatEndsSoonAfterReplacingIsRecordedButNotLater() throws Exception {
    UpdateManager updates = manager(60_000);
    List<PoolMatch> claimed = startAndClaim(updates, List.of(worker(2, "a"), worker(3, "b")), 2);
    ContainerId c3 = ContainerId.newContainerId(ATTEMPT_2, 2);
    ContainerId c4 = ContainerId.newContainerId(ATTEMPT_2, 3);
    Conversions.convert(updates, claimed.get(0), c3, 5);
    Conversions.convert(updates, claimed.get(1), c4, 5);
    updates.containerCompleted(claimed.get(0).worker().containerId(), ReplacementContract.REPLACED_EXIT_STATUS, "");
    updates.containerCompleted(claimed.get(1).worker().containerId(), ReplacementContract.REPLACED_EXIT_STATUS, "");

    clock.addAndGet(1_200);
    updates.containerCompleted(c3, 3, "Container exited with a non-zero exit code 3.");
    clock.addAndGet(30_000);
    updates.containerCompleted(c4, 0, "");

    List<WorkerRecord> records = updates.latest(APP).snapshot().getWorkersList();
    assertEquals(WorkerState.EXITED_EARLY, records.get(0).getState());
    assertTrue(records.get(0).getReason().contains("ended 1200 ms after it replaced the old one (exit 3"),
        records.get(0).getReason());
    assertEquals(WorkerState.REPLACED, records.get(1).getState(), "ended after the early-exit window");
    assertTrue(driver.takenBack.isEmpty() && driver.stopped.isEmpty());
  }

  @Test
  void unclaimedWorkersAreReleasedAtTheDeadline() throws Exception {
    UpdateManager updates = manager(200);
    List<PoolMatch> claimed = startAndClaim(updates, List.of(worker(2, "a"), worker(3, "b"), worker(4, "a")), 1);
    assertEquals(1, claimed.size());
    assertEquals(Set.of(worker(3, "b").containerId(), worker(4, "a").containerId()), updates.pooledContainers(APP));

    engine.advance(200);

    assertEquals(List.of(worker(3, "b").containerId(), worker(4, "a").containerId()), driver.released);
    assertEquals(Set.of(), updates.pooledContainers(APP));
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
  }

  @Test
  void aNewAttemptThatNeverAsksFailsTheUpdateAndReleasesThePool() throws Exception {
    UpdateManager updates = manager(200);
    updates.start(ALICE, APP, ContainerLaunchContext.newInstance(null, null, List.of("run"), null, null, null),
        null, "");
    updates.newAttemptAdded(ATTEMPT_2, List.of(worker(2, "a")));

    engine.advance(200);

    assertEquals(List.of(worker(2, "a").containerId()), driver.released);
    assertEquals(UpdatePhase.FAILED, updates.latest(APP).phase());
    assertTrue(updates.latest(APP).snapshot().getDiagnostics().contains("asked for no workers"));
  }

  @Test
  void aSecondUpdateIsRefusedButARetryWithTheSameRequestIdGetsTheFirst() throws Exception {
    UpdateManager updates = manager(60_000);
    ContainerLaunchContext spec = ContainerLaunchContext.newInstance(null, null, List.of("run"), null, null, null);
    Update first = updates.start(ALICE, APP, spec, null, "req-1");

    assertEquals(first, updates.start(ALICE, APP, spec, null, "req-1"));
    UpdateRefusedException second = assertThrows(UpdateRefusedException.class,
        () -> updates.start(ALICE, APP, spec, null, "req-2"));
    assertEquals(Reason.ALREADY_EXISTS, second.reason());
    assertEquals(1, driver.endedAttempts.size(), "AM1 was ended once");
  }

  @Test
  void aFailureToEndAm1RestoresTheOldLaunchContextAndFailsTheUpdate() throws Exception {
    UpdateManager updates = manager(60_000);
    driver.refuseEnd = true;

    assertThrows(UpdateRefusedException.class, () -> updates.start(ALICE, APP,
        ContainerLaunchContext.newInstance(null, null, List.of("run"), null, null, null), null, ""));

    assertEquals(1, driver.restored);
    assertEquals(UpdatePhase.FAILED, updates.latest(APP).phase());
    assertFalse(updates.isBeingReplaced(ATTEMPT_1));
  }

  @Test
  void cancelIsRefusedOnceAm1HasEnded() throws Exception {
    UpdateManager updates = manager(60_000);
    Update update = updates.start(ALICE, APP,
        ContainerLaunchContext.newInstance(null, null, List.of("run"), null, null, null), null, "");

    UpdateRefusedException refused = assertThrows(UpdateRefusedException.class, () -> updates.cancel(update.id()));
    assertEquals(Reason.FAILED_PRECONDITION, refused.reason());
    assertTrue(refused.getMessage().contains("can no longer be cancelled"));
  }

  static final class NoMetrics implements UpdateManager.UpdateListener {
    @Override
    public void started() {
    }

    @Override
    public void finished(UpdatePhase phase) {
    }

    @Override
    public void pooled(int containers) {
    }

    @Override
    public void converted(long micros) {
    }

    @Override
    public void released(int containers) {
    }

    @Override
    public void swapFailed() {
    }

    @Override
    public void exitedEarly() {
    }
  }
}
