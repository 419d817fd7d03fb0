package io.workerpool.rm.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.proto.UpdateJournalEntry;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.ReplacementContract;
import io.workerpool.rm.pool.PoolMatch;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.pool.WorkerAsk;
import io.workerpool.rm.update.RecoveryRule.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/**
 * The engine driven through the interleavings that matter, step by step: scheduler callbacks, allocate
 * calls and engine steps happen in the order each test chooses (a manual engine, a fake RM that
 * enforces the lock rule), and an RM restart is a second manager reading the first one's journal.
 */
class UpdateInterleavingsTest {
  private static final ApplicationId APP = ApplicationId.newInstance(1_700_000_000_000L, 7);
  private static final ApplicationAttemptId ATTEMPT_1 = ApplicationAttemptId.newInstance(APP, 1);
  private static final ApplicationAttemptId ATTEMPT_2 = ApplicationAttemptId.newInstance(APP, 2);
  private static final Resource WORKER = Resource.newInstance(1024, 1);
  private static final ContainerId AM1 = ContainerId.newContainerId(ATTEMPT_1, 1);
  private static final Resource AM = Resource.newInstance(512, 1);
  private static final long CLAIM_TIMEOUT_MS = 1_000;

  private final FakeDriver driver = new FakeDriver(ATTEMPT_1);
  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final ManualEngine engine = new ManualEngine(clock);
  private final InMemoryJournal journal = new InMemoryJournal();
  private final ScheduledExecutorService watchers = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopWatchers() {
    watchers.shutdownNow();
  }

  private UpdateManager manager() {
    return new UpdateManager(driver, new UpdateManagerTest.NoMetrics(), clock::get,
        new UpdateSettings(CLAIM_TIMEOUT_MS, 30_000, 10, 10_000), journal, engine, watchers);
  }

  private static PooledWorker worker(int id, String host) {
    return new PooledWorker(ContainerId.newContainerId(ATTEMPT_1, id), NodeId.newInstance(host, 1), WORKER, id);
  }

  private static ContainerId newContainer(int id) {
    return ContainerId.newContainerId(ATTEMPT_2, id);
  }

  private static List<WorkerAsk> ask(int count) {
    return List.of(new WorkerAsk(Priority.newInstance(1), 0, WORKER, count, Set.of()));
  }

  /** An update of APP started by alice: AM1 is being stopped (POOLING). */
  private UpdateManager started() throws Exception {
    UpdateManager updates = manager();
    updates.start(new Caller("alice", "10.0.0.1"), APP,
        ContainerLaunchContext.newInstance(null, null, List.of("v2"), null, null, null), null, "");
    return updates;
  }

  private UpdateManager updating(List<PooledWorker> pool) throws Exception {
    UpdateManager updates = started();
    updates.newAttemptAdded(ATTEMPT_2, pool);
    engine.runDue();
    return updates;
  }

  /**
   * AM2's allocate claims and converts under the write lock and records the conversions after it: the engine's steps
   * come before or after it.
   */
  private List<PoolMatch> allocate(UpdateManager updates, int asked, int firstNewId) {
    List<PoolMatch> converted = driver.underWriteLock(() -> {
      List<PoolMatch> matches = updates.claim(ATTEMPT_2, updates.plan(ATTEMPT_2, ask(asked)));
      for (int i = 0; i < matches.size(); i++) {
        updates.converted(matches.get(i), newContainer(firstNewId + i));
      }
      return matches;
    });
    for (int i = 0; i < converted.size(); i++) {
      updates.recordConversion(converted.get(i), newContainer(firstNewId + i), 1_000, 0);
    }
    return converted;
  }

  private WorkerRecord record(UpdateManager updates, ContainerId old) throws Exception {
    return updates.latest(APP).snapshot().getWorkersList().stream()
        .filter(w -> w.getOldContainerId().equals(old.toString())).findFirst().orElseThrow();
  }

  @Test
  void aClaimAndTheDeadlineThatIsDueMeanwhileNeitherLoseNorDoubleReleaseAWorker() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a"), worker(3, "b")));
    clock.addAndGet(CLAIM_TIMEOUT_MS);

    List<PoolMatch> claimed = allocate(updates, 1, 10);
    engine.runDue();

    assertEquals(1, claimed.size());
    ContainerId kept = claimed.get(0).worker().containerId();
    assertEquals(List.of(worker(2, "a").containerId().equals(kept) ? worker(3, "b").containerId()
        : worker(2, "a").containerId()), driver.released, "only the unclaimed worker is released");
    assertEquals(UpdatePhase.CONVERTING, updates.latest(APP).phase(), "the converted worker's swap is pending");

    updates.containerCompleted(kept, ReplacementContract.REPLACED_EXIT_STATUS, "");
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
    assertEquals(WorkerState.REPLACED, record(updates, kept).getState());
  }

  @Test
  void anOldContainerThatEndsBetweenItsConversionAndItsRecordStaysReplaced() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a")));
    PoolMatch match = driver.underWriteLock(() -> {
      PoolMatch claimed = updates.claim(ATTEMPT_2, updates.plan(ATTEMPT_2, ask(1))).get(0);
      updates.converted(claimed, newContainer(10));
      return claimed;
    });
    // The allocate path has let go of the write lock: a node heartbeat reports the old container's end first.
    updates.containerCompleted(match.worker().containerId(), ReplacementContract.REPLACED_EXIT_STATUS, "");
    updates.recordConversion(match, newContainer(10), 1_000, 0);

    WorkerRecord record = record(updates, match.worker().containerId());
    assertEquals(WorkerState.REPLACED, record.getState(), record.toString());
    assertEquals(newContainer(10).toString(), record.getNewContainerId());
    assertEquals(1_000, record.getConversionNanos());
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
  }

  @Test
  void aDeadlineThatRanBeforeTheClaimLeavesNothingToConvert() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a")));
    updates.claim(ATTEMPT_2, updates.plan(ATTEMPT_2, List.of()));
    engine.advance(CLAIM_TIMEOUT_MS);

    assertEquals(List.of(), allocate(updates, 1, 10));
    assertEquals(List.of(worker(2, "a").containerId()), driver.released);
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
  }

  @Test
  void aSwapThatFailsWhileTheLastOtherSwapEndsKeepsTheUpdateOpenUntilTheOldContainerIsBack() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a"), worker(3, "b")));
    List<PoolMatch> claimed = allocate(updates, 2, 10);
    ContainerId failing = claimed.get(0).worker().containerId();
    ContainerId other = claimed.get(1).worker().containerId();

    driver.inReadLockedCallback(() -> {
      updates.containerCompleted(newContainer(10), -1000, "localization failed");
      updates.containerCompleted(other, ReplacementContract.REPLACED_EXIT_STATUS, "");
    });
    assertEquals(UpdatePhase.CONVERTING, updates.latest(APP).phase(), "the failed swap is still being handled");

    engine.runDue();
    assertEquals(List.of(failing), driver.takenBack, "taken back on the engine, under the write lock");
    assertEquals(WorkerState.POOLED, record(updates, failing).getState());

    engine.advance(CLAIM_TIMEOUT_MS);
    assertEquals(List.of(failing), driver.released, "released at the deadline, not leaked");
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
  }

  @Test
  void aSwapThatFailsAfterTheClaimDeadlineStopsTheOldContainerAndEndsTheUpdate() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a")));
    allocate(updates, 1, 10);
    engine.advance(CLAIM_TIMEOUT_MS);
    assertEquals(UpdatePhase.CONVERTING, updates.latest(APP).phase(), "the converted worker's swap is pending");

    driver.inReadLockedCallback(() -> updates.containerCompleted(newContainer(10), -1000, "localization failed"));
    engine.runDue();

    assertEquals(List.of(), driver.takenBack, "no pool is left to take it back into");
    assertEquals(List.of(worker(2, "a").containerId()), driver.stopped, "nothing runs unaccounted");
    assertEquals(WorkerState.SWAP_FAILED, record(updates, worker(2, "a").containerId()).getState());
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
  }

  @Test
  void aSwapThatFailsAfterTheUpdateEndedStopsTheOldContainer() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a")));
    allocate(updates, 1, 10);
    updates.attemptEnded(ATTEMPT_2, "FAILED");
    engine.runDue();
    assertEquals(UpdatePhase.FAILED, updates.latest(APP).phase());

    updates.containerCompleted(newContainer(10), -100, "released by the AM");
    engine.runDue();

    assertEquals(List.of(), driver.takenBack);
    assertEquals(List.of(worker(2, "a").containerId()), driver.stopped, "nothing runs unaccounted");
    assertEquals(WorkerState.SWAP_FAILED, record(updates, worker(2, "a").containerId()).getState());
  }

  /**
   * The scheduler ends the new attempt (its AM died) and, with it, every container it holds, the pooled ones too:
   * their completions empty the pool before the attempt's end is recorded, and must not make the update succeed.
   */
  @Test
  void aNewAttemptThatEndsWhileWorkersArePooledFailsTheUpdateThoughItsEndEmptiesThePool() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a"), worker(3, "a")));
    allocate(updates, 1, 10);
    updates.containerCompleted(worker(2, "a").containerId(), ReplacementContract.REPLACED_EXIT_STATUS, "replaced");
    engine.runDue();

    updates.attemptEnding(ATTEMPT_2);
    updates.containerCompleted(worker(3, "a").containerId(), -100, "Container of a completed application");
    updates.attemptEnded(ATTEMPT_2, "FAILED");
    engine.runDue();

    assertEquals(UpdatePhase.FAILED, updates.latest(APP).phase(), updates.latest(APP).snapshot().toString());
    assertTrue(updates.latest(APP).snapshot().getDiagnostics().contains(ATTEMPT_2 + " ended (FAILED)"),
        updates.latest(APP).snapshot().getDiagnostics());
    assertEquals(WorkerState.REPLACED, record(updates, worker(2, "a").containerId()).getState());
    assertEquals(WorkerState.LOST, record(updates, worker(3, "a").containerId()).getState());
  }

  @Test
  void aNodeLostWhileItsWorkerIsConvertedEndsTheWorkerAndTheUpdate() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a")));
    driver.underWriteLock(() -> {
      PoolMatch match = updates.claim(ATTEMPT_2, updates.plan(ATTEMPT_2, ask(1))).get(0);
      // The node was lost: the scheduler completed the container before the conversion could run.
      updates.containerCompleted(match.worker().containerId(), -100, "node lost");
      updates.conversionFailed(match, "the container ended before it could be converted");
      return null;
    });
    engine.runDue();

    assertEquals(WorkerState.LOST, record(updates, worker(2, "a").containerId()).getState());
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
    assertTrue(driver.released.isEmpty() && driver.stopped.isEmpty());
  }

  @Test
  void theAmReleasingTheNewContainerAfterTheNodeReplacedTheOldOneIsAnEarlyExitNotAFailedSwap() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a")));
    allocate(updates, 1, 10);

    updates.containerCompleted(worker(2, "a").containerId(), ReplacementContract.REPLACED_EXIT_STATUS, "");
    updates.containerCompleted(newContainer(10), -100, "released by the AM");
    engine.runDue();

    assertEquals(WorkerState.EXITED_EARLY, record(updates, worker(2, "a").containerId()).getState());
    assertTrue(driver.takenBack.isEmpty() && driver.stopped.isEmpty());
  }

  @Test
  void theAmReleasingTheNewContainerBeforeTheNodeReportsTheOldOneGivesTheOldOneBack() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a")));
    allocate(updates, 1, 10);

    updates.containerCompleted(newContainer(10), -100, "released by the AM");
    engine.runDue();
    assertEquals(List.of(worker(2, "a").containerId()), driver.takenBack);
    // The node had already stopped it for the swap: its end now arrives for a pooled container.
    updates.containerCompleted(worker(2, "a").containerId(), ReplacementContract.REPLACED_EXIT_STATUS, "");
    engine.runDue();

    assertEquals(WorkerState.LOST, record(updates, worker(2, "a").containerId()).getState());
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
  }

  @Test
  void anRmRestartedInConvertingResumesFromTheJournalAndSortsTheWorkersByWhatTheirNodesReport() throws Exception {
    UpdateManager before = updating(List.of(worker(2, "a"), worker(3, "a"), worker(4, "b"), worker(5, "b")));
    allocate(before, 3, 10);
    before.conversionsDone(ATTEMPT_2);
    engine.runDue();
    String updateId = before.latest(APP).id();
    Map<ContainerId, ContainerId> newOf = before.latest(APP).snapshot().getWorkersList().stream()
        .filter(w -> !w.getNewContainerId().isEmpty())
        .collect(java.util.stream.Collectors.toMap(w -> ContainerId.fromString(w.getOldContainerId()),
            w -> ContainerId.fromString(w.getNewContainerId())));
    assertEquals(3, newOf.size());

    UpdateManager after = manager();
    after.recovery().recover();
    assertEquals(UpdatePhase.CONVERTING, after.get(updateId).phase());
    assertEquals(1, after.get(updateId).snapshot().getRecoveries());

    // Node a: worker 2's swap is on the node; worker 3 (converted, never reached the node) still runs.
    ContainerId w2 = worker(2, "a").containerId();
    ContainerId w3 = worker(3, "a").containerId();
    Map<ContainerId, Outcome> a = after.recovery().nodeRecovered(NodeId.newInstance("a", 1), List.of(
        new ReportedContainer(w2, true, WORKER), new ReportedContainer(newOf.get(w2), true, WORKER),
        new ReportedContainer(w3, true, WORKER)));
    assertEquals(Map.of(w2, Outcome.LEAVE_TO_NODE, w3, Outcome.REPOOL), a);
    after.recovery().repooled(worker(3, "a"));
    // Node b: worker 4 was replaced while the RM was down; worker 5 (pooled) ended.
    ContainerId w4 = worker(4, "b").containerId();
    ContainerId c4 = newOf.get(w4);
    after.recovery().nodeRecovered(NodeId.newInstance("b", 1), List.of(new ReportedContainer(c4, true, WORKER)));
    engine.runDue();

    assertEquals(WorkerState.REPLACED, record(after, w4).getState());
    assertEquals(WorkerState.LOST, record(after, worker(5, "b").containerId()).getState());
    assertEquals(WorkerState.POOLED, record(after, w3).getState());
    assertEquals(Set.of(w3), after.pooledContainers(APP), "pooled again, hidden from AM2 until claimed");

    after.containerCompleted(w2, ReplacementContract.REPLACED_EXIT_STATUS, "");
    List<PoolMatch> again = driver.underWriteLock(() -> after.claim(ATTEMPT_2, after.plan(ATTEMPT_2, ask(1))));
    assertEquals(w3, again.get(0).worker().containerId());
    driver.underWriteLock(() -> {
      Conversions.convert(after, again.get(0), newContainer(20), 1_000);
      return null;
    });
    after.containerCompleted(w3, ReplacementContract.REPLACED_EXIT_STATUS, "");
    assertEquals(UpdatePhase.SUCCEEDED, after.get(updateId).phase());
  }

  @Test
  void anRmRestartedBeforeTheOldAmWasEndedPutsTheOldLaunchContextBackAndFails() throws Exception {
    List<UpdateJournalEntry> written = new ArrayList<>();
    UpdateJournal recording = new UpdateJournal() {
      @Override
      public void write(UpdateJournalEntry entry) {
        written.add(entry);
      }

      @Override
      public void delete(String updateId) {
      }

      @Override
      public List<UpdateJournalEntry> readAll() {
        return List.of();
      }

      @Override
      public String describe() {
        return "recording";
      }
    };
    UpdateManager before = new UpdateManager(driver, new UpdateManagerTest.NoMetrics(), clock::get,
        new UpdateSettings(CLAIM_TIMEOUT_MS, 30_000, 10, 10_000), recording, engine, watchers);
    before.start(new Caller("alice", "10.0.0.1"), APP,
        ContainerLaunchContext.newInstance(null, null, List.of("v2"), null, null, null), null, "req");
    assertEquals("v2", driver.currentCommand());
    // The RM dies after it stored v2 and before it ended AM1: its journal holds the first entry only.
    journal.write(written.get(0));
    assertEquals(UpdatePhase.ACCEPTED, written.get(0).getStatus().getPhase());

    UpdateManager after = manager();
    after.recovery().recover();
    engine.runDue();

    assertEquals(UpdatePhase.FAILED, after.latest(APP).phase());
    assertEquals("v1", driver.currentCommand(), "the state store holds the old launch context again");
    assertTrue(after.latest(APP).snapshot().getDiagnostics().contains("previous AM launch context is back"));
  }

  @Test
  void aPooledWorkerWhoseProcessEndsKeepsItsPlaceAndTheClaimReplacesItAtOnce() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a"), worker(3, "b")));
    ContainerId dead = worker(2, "a").containerId();
    boolean held = driver.inReadLockedCallbackResult(() -> updates.holdPlace(dead, NodeId.newInstance("a", 1),
        WORKER, 137, "killed"));
    assertTrue(held, "the scheduler keeps the container: its place stays charged");
    assertEquals(WorkerState.HELD, record(updates, dead).getState());
    assertEquals(Set.of(dead, worker(3, "b").containerId()), updates.pooledContainers(APP), "hidden from AM2");

    allocate(updates, 2, 10);
    updates.conversionsDone(ATTEMPT_2);
    assertEquals(WorkerState.REPLACED, record(updates, dead).getState(), "nothing to stop on the node");
    updates.containerCompleted(worker(3, "b").containerId(), ReplacementContract.REPLACED_EXIT_STATUS, "");
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
  }

  @Test
  void theOldAmsPlaceIsReleasedWhenTheNewAmCannotTakeIt() throws Exception {
    UpdateManager updates = started();
    ContainerId am1 = driver.amContainer(ATTEMPT_1);
    Resource amSize = Resource.newInstance(512, 1);
    assertTrue(updates.holdPlace(am1, NodeId.newInstance("a", 1), amSize, 137, "killed"));
    assertTrue(updates.amPlace().waitsFor(ATTEMPT_2), "the RM's AM ask may come before the attempt is recorded");

    PooledWorker place = driver.underWriteLock(() -> updates.amPlace().claim(ATTEMPT_2));
    assertEquals(am1, place.containerId());
    updates.amPlace().notUsed(place, "the new AM asks for <memory:768> and the node has only <memory:0> more free");
    engine.runDue();
    assertEquals(List.of(am1), driver.released, "the place is released, the ask scheduled as usual");
    assertTrue(updates.latest(APP).snapshot().getAmPlace().startsWith("released: the new AM asks for"));
    assertEquals(null, driver.underWriteLock(() -> updates.amPlace().claim(ATTEMPT_2)), "claimed once");
  }

  @Test
  void heldPlacesAreReleasedAtTheClaimDeadline() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a")));
    ContainerId dead = worker(2, "a").containerId();
    updates.holdPlace(dead, NodeId.newInstance("a", 1), WORKER, 137, "killed");

    engine.advance(CLAIM_TIMEOUT_MS);

    assertEquals(List.of(dead), driver.released);
    assertEquals(WorkerState.RELEASED, record(updates, dead).getState());
    assertTrue(updates.latest(APP).snapshot().getDiagnostics().contains("asked for no workers"));
  }

  /** On a full cluster a worker that dies while AM1 is stopped must not give its place to the next application. */
  @Test
  void aWorkerThatEndsWhileTheOldAmIsStoppedKeepsItsPlaceForThePoolAndIsConvertedThere() throws Exception {
    UpdateManager updates = started();
    ContainerId dead = worker(2, "a").containerId();
    assertTrue(updates.holdPlace(dead, NodeId.newInstance("a", 1), WORKER, 137, "killed"), "held before the pool");

    updates.newAttemptAdded(ATTEMPT_2, List.of(worker(2, "a"), worker(3, "a")));
    engine.runDue();
    assertEquals(WorkerState.HELD, record(updates, dead).getState());
    assertTrue(record(updates, dead).getReason().contains("while the old AM was being stopped (exit 137: killed)"),
        record(updates, dead).getReason());

    allocate(updates, 2, 10);
    updates.containerCompleted(worker(3, "a").containerId(), ReplacementContract.REPLACED_EXIT_STATUS, "replaced");
    engine.runDue();
    assertEquals(WorkerState.REPLACED, record(updates, dead).getState(), "its held place was converted");
    assertEquals(List.of(), driver.released);
    assertEquals(UpdatePhase.SUCCEEDED, updates.latest(APP).phase());
  }

  @Test
  void aPlaceHeldBeforeThePoolIsReleasedWhenTheNewAttemptDoesNotTakeItOver() throws Exception {
    UpdateManager updates = started();
    ContainerId dead = worker(2, "a").containerId();
    assertTrue(updates.holdPlace(dead, NodeId.newInstance("a", 1), WORKER, 137, "killed"));

    updates.newAttemptAdded(ATTEMPT_2, List.of(worker(3, "a")));
    engine.runDue();

    assertEquals(List.of(dead), driver.released, "nothing stays charged without a process");
  }

  @Test
  void heldPlacesAndTheOldAmsPlaceAreReleasedWhenTheNewAttemptEnds() throws Exception {
    UpdateManager updates = started();
    ContainerId am1 = driver.amContainer(ATTEMPT_1);
    updates.holdPlace(am1, NodeId.newInstance("a", 1), Resource.newInstance(512, 1), 137, "killed");
    updates.newAttemptAdded(ATTEMPT_2, List.of(worker(2, "a")));
    updates.holdPlace(worker(2, "a").containerId(), NodeId.newInstance("a", 1), WORKER, 1, "exited");

    updates.attemptEnded(ATTEMPT_2, "FAILED");
    engine.runDue();

    assertEquals(Set.of(am1, worker(2, "a").containerId()), Set.copyOf(driver.released));
    assertEquals(UpdatePhase.FAILED, updates.latest(APP).phase());
    assertTrue(updates.latest(APP).snapshot().getAmPlace().startsWith("released"));
  }

  @Test
  void heldPlacesOnALostNodeEndWithTheirNodeAndTheNewAmIsScheduledAsUsual() throws Exception {
    UpdateManager updates = started();
    ContainerId am1 = driver.amContainer(ATTEMPT_1);
    updates.holdPlace(am1, NodeId.newInstance("a", 1), Resource.newInstance(512, 1), 137, "killed");
    updates.newAttemptAdded(ATTEMPT_2, List.of(worker(2, "a"), worker(3, "b")));
    ContainerId dead = worker(2, "a").containerId();
    updates.holdPlace(dead, NodeId.newInstance("a", 1), WORKER, 1, "exited");

    // The scheduler removes node a: it completes every container there, held places included.
    driver.inReadLockedCallback(() -> {
      updates.containerCompleted(am1, -100, "Container released on a *lost* node");
      updates.containerCompleted(dead, -100, "Container released on a *lost* node");
    });
    engine.runDue();

    assertEquals(null, driver.underWriteLock(() -> updates.amPlace().claim(ATTEMPT_2)), "no place left to hand over");
    assertTrue(updates.latest(APP).snapshot().getAmPlace().contains("lost"), updates.latest(APP).snapshot()
        .getAmPlace());
    assertEquals(WorkerState.LOST, record(updates, dead).getState());
    assertTrue(record(updates, dead).getReason().startsWith("its held place ended"), record(updates, dead)
        .getReason());
    assertEquals(Set.of(worker(3, "b").containerId()), updates.pooledContainers(APP));
    assertEquals(List.of(), driver.released, "the scheduler already let them go");
  }

  @Test
  void anApplicationKilledBeforeItsNewAttemptEndsTheUpdateAndItsHeldPlace() throws Exception {
    UpdateManager updates = started();
    ContainerId am1 = driver.amContainer(ATTEMPT_1);
    updates.holdPlace(am1, NodeId.newInstance("a", 1), Resource.newInstance(512, 1), 137, "killed");

    updates.attemptEnded(ATTEMPT_1, "KILLED");
    engine.runDue();

    assertEquals(UpdatePhase.FAILED, updates.latest(APP).phase());
    assertTrue(updates.latest(APP).snapshot().getDiagnostics().contains("the old attempt " + ATTEMPT_1
        + " ended (KILLED)"), updates.latest(APP).snapshot().getDiagnostics());
    assertEquals(List.of(am1), driver.released);
  }

  @Test
  void theOldAttemptEndingAsTheUpdateStoppedItDoesNotEndTheUpdate() throws Exception {
    UpdateManager updates = started();

    updates.attemptEnded(ATTEMPT_1, "FAILED");
    engine.runDue();

    assertEquals(UpdatePhase.POOLING, updates.latest(APP).phase());
  }

  @Test
  void aHeldPlaceSurvivesAnRmRestartAndTheClaimReplacesItAtOnce() throws Exception {
    UpdateManager before = updating(List.of(worker(2, "a"), worker(3, "b")));
    ContainerId dead = worker(2, "a").containerId();
    before.holdPlace(dead, NodeId.newInstance("a", 1), WORKER, 137, "killed");
    engine.runDue();
    String updateId = before.latest(APP).id();

    UpdateManager after = manager();
    after.recovery().recover();
    assertTrue(after.recovery().holdsPlacesOn(NodeId.newInstance("a", 1)));
    // Node a forgot the ended container; node b reports its worker running.
    Map<ContainerId, Outcome> a = after.recovery().nodeRecovered(NodeId.newInstance("a", 1), List.of());
    assertEquals(Map.of(dead, Outcome.HOLD_AGAIN), a);
    PooledWorker place = after.recovery().journaledPlace(dead);
    assertEquals(worker(2, "a"), place, "the node, resource and pooled time as journaled");
    after.recovery().heldAgain(place);
    after.recovery().nodeRecovered(NodeId.newInstance("b", 1), List.of(new ReportedContainer(worker(3, "b").containerId(),
        true, WORKER)));
    after.recovery().repooled(worker(3, "b"));

    assertEquals(WorkerState.HELD, record(after, dead).getState());
    assertEquals(Set.of(dead, worker(3, "b").containerId()), after.pooledContainers(APP));
    List<PoolMatch> claimed = driver.underWriteLock(() -> after.claim(ATTEMPT_2, after.plan(ATTEMPT_2, ask(2))));
    driver.underWriteLock(() -> {
      Conversions.convert(after, claimed.get(0), newContainer(20), 1_000);
      Conversions.convert(after, claimed.get(1), newContainer(21), 1_000);
      return null;
    });
    after.conversionsDone(ATTEMPT_2);
    assertEquals(WorkerState.REPLACED, record(after, dead).getState(), "nothing to stop on the node");
    after.containerCompleted(worker(3, "b").containerId(), ReplacementContract.REPLACED_EXIT_STATUS, "");
    assertEquals(UpdatePhase.SUCCEEDED, after.get(updateId).phase());
  }

  @Test
  void anUpdateWhosePoolDiedEntirelySaysSoAtTheDeadline() throws Exception {
    UpdateManager updates = updating(List.of(worker(2, "a")));
    updates.containerCompleted(worker(2, "a").containerId(), -100, "node lost");

    engine.advance(CLAIM_TIMEOUT_MS);

    assertTrue(updates.latest(APP).snapshot().getDiagnostics().contains("no pooled worker was left"),
        updates.latest(APP).snapshot().getDiagnostics());
  }

  /** The RM restarts while the update stops AM1 (POOLING); AM1's node registers with the restarted RM. */
  private UpdateManager restartedWhileStoppingAm1(NodeId node, boolean am1Running) throws Exception {
    started();
    UpdateManager after = manager();
    after.recovery().recover();
    assertEquals(List.of(), after.recovery().amPlacesToRecoverOn(node), "nothing held before the node registers");
    after.recovery().nodeRecovered(node, List.of(new ReportedContainer(AM1, am1Running, AM)));
    return after;
  }

  /**
   * The RM sent AM1's kill and stopped before AM1's node reported it gone: the restarted RM hears of AM1's end only
   * in the node's registration, and holds AM1's place for the new AM's container as the stopped RM would have.
   */
  @Test
  void anOldAmWhoseEndOnlyTheRestartedRmHearsOfLeavesItsPlaceHeld() throws Exception {
    NodeId node = NodeId.newInstance("a", 1);
    UpdateManager after = restartedWhileStoppingAm1(node, false);

    List<PooledWorker> places = after.recovery().amPlacesToRecoverOn(node);
    assertEquals(1, places.size(), places.toString());
    assertEquals(AM1, places.get(0).containerId());
    assertEquals(AM, places.get(0).resource());
    after.recovery().amPlaceRecovered(places.get(0));
    assertTrue(after.latest(APP).snapshot().getAmPlace().startsWith("held again on " + node),
        after.latest(APP).snapshot().getAmPlace());
  }

  @Test
  void anOldAmStillRunningWhenItsNodeRegistersHoldsNoPlace() throws Exception {
    NodeId node = NodeId.newInstance("a", 1);
    UpdateManager after = restartedWhileStoppingAm1(node, true);

    assertEquals(List.of(), after.recovery().amPlacesToRecoverOn(node), "the kill reaches it; its end is held then");
  }

  @Test
  void aRestartedRmDoesNotEndTheUpdateBeforeAWorkerToPoolAgainIsCharged() throws Exception {
    UpdateManager before = updating(List.of(worker(2, "a"), worker(3, "b")));
    allocate(before, 1, 10);
    ContainerId converted = before.latest(APP).snapshot().getWorkersList().stream()
        .filter(w -> w.getState() == WorkerState.CONVERTED).map(w -> ContainerId.fromString(w.getOldContainerId()))
        .findFirst().orElseThrow();
    before.containerCompleted(converted, ReplacementContract.REPLACED_EXIT_STATUS, "");
    engine.runDue();
    ContainerId pooled = converted.equals(worker(2, "a").containerId()) ? worker(3, "b").containerId()
        : worker(2, "a").containerId();
    String node = pooled.equals(worker(2, "a").containerId()) ? "a" : "b";

    UpdateManager after = manager();
    after.recovery().recover();
    assertEquals(Map.of(pooled, Outcome.REPOOL), after.recovery().nodeRecovered(NodeId.newInstance(node, 1),
        List.of(new ReportedContainer(pooled, true, WORKER))));
    assertEquals(UpdatePhase.CONVERTING, after.latest(APP).phase(), "the worker is not charged again yet");

    after.recovery().repooled(new PooledWorker(pooled, NodeId.newInstance(node, 1), WORKER, 1));
    assertEquals(Set.of(pooled), after.pooledContainers(APP));
    assertEquals(UpdatePhase.CONVERTING, after.latest(APP).phase());
  }
}
