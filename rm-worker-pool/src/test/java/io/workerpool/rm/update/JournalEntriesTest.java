package io.workerpool.rm.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.proto.UpdateJournalEntry;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.WorkerState;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.update.UpdateLifecycle.Event;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An update in flight written to its journal entry and read back as a restarted RM does. */
class JournalEntriesTest {
  private static final ApplicationId APP = ApplicationId.newInstance(1_700_000_000_000L, 1);
  private static final ApplicationAttemptId ATTEMPT_1 = ApplicationAttemptId.newInstance(APP, 1);
  private static final ApplicationAttemptId ATTEMPT_2 = ApplicationAttemptId.newInstance(APP, 2);
  private static final Resource WORKER = Resource.newInstance(1024, 1);
  private static final LongSupplier CLOCK = () -> 1_000_000;

  private final ScheduledExecutorService watchers = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopWatchers() {
    watchers.shutdownNow();
  }

  private static ContainerId container(ApplicationAttemptId attempt, int id) {
    return ContainerId.newContainerId(attempt, id);
  }

  @Test
  void anUpdateInFlightComesBackAsItWasJournaled() {
    Update update = new Update("update_1", APP, "request-1", CLOCK, watchers);
    update.setAttempts(ATTEMPT_1.toString(), null);
    update.on(Event.AM1_ENDING, "ending " + ATTEMPT_1);
    update.amPlace("held on a:1 for the new AM's container");
    ActiveUpdate inFlight = new ActiveUpdate(update, ATTEMPT_1);
    inFlight.previousLaunchContext = ContainerLaunchContext.newInstance(null, null, List.of("run-v1"), null, null,
        null);
    inFlight.previousAmResource = Resource.newInstance(2048, 2);
    inFlight.oldAmContainer = container(ATTEMPT_1, 1).toString();
    inFlight.raisedMaxAttemptsFrom = 1;
    inFlight.newAttempt = ATTEMPT_2;
    inFlight.claimDeadlineMs = 1_060_000;
    update.setAttempts(null, ATTEMPT_2.toString());
    update.on(Event.NEW_ATTEMPT_ADDED, "launching " + ATTEMPT_2);
    for (int id = 2; id <= 5; id++) {
      update.workerPooled(new PooledWorker(container(ATTEMPT_1, id), NodeId.newInstance("a", 1), WORKER, id));
    }
    update.workerConverted(container(ATTEMPT_1, 3), container(ATTEMPT_2, 20), 1_000, 0);
    update.workerHeld(container(ATTEMPT_1, 4), "its process ended while pooled");
    update.workerEnded(container(ATTEMPT_1, 5), WorkerState.LOST, "ended while pooled");

    UpdateJournalEntry entry = JournalEntries.entry(update.snapshot(), 7, inFlight);
    Update restored = Update.restore(entry.getStatus(), CLOCK, watchers);
    ActiveUpdate back = JournalEntries.resume(restored, entry);

    assertEquals(7, entry.getRevision());
    assertEquals(restored, back.update);
    assertEquals(UpdatePhase.LAUNCHING_AM, back.update.phase());
    assertEquals(ATTEMPT_1, back.oldAttempt);
    assertEquals(ATTEMPT_1, back.firstOldAttempt);
    assertEquals(ATTEMPT_2, back.newAttempt);
    assertEquals(List.of("run-v1"), back.previousLaunchContext.getCommands());
    assertEquals(Resource.newInstance(2048, 2), back.previousAmResource);
    assertEquals(container(ATTEMPT_1, 1).toString(), back.oldAmContainer);
    assertEquals(1, back.raisedMaxAttemptsFrom);
    assertEquals(1_060_000, back.claimDeadlineMs);
    assertTrue(back.oldAmSeenGone, "AM1's place was held: its node had reported it gone");
    assertTrue(back.restored);
    assertEquals(Set.of(container(ATTEMPT_1, 2), container(ATTEMPT_1, 3), container(ATTEMPT_1, 4)),
        back.unreported.keySet(), "pooled, converted and held workers are awaited from their nodes; a lost one is not");
    assertEquals(container(ATTEMPT_2, 20).toString(), back.unreported.get(container(ATTEMPT_1, 3)).getNewContainerId());
    assertTrue(back.pool.isEmpty(), "the pool fills again as the nodes report its containers");
  }

  @Test
  void amOnesHeldPlaceComesBackToBeChargedAgainWhenItsNodeRegisters() {
    Update update = new Update("update_3", APP, "", CLOCK, watchers);
    update.setAttempts(ATTEMPT_1.toString(), null);
    update.on(Event.AM1_ENDING, "ending " + ATTEMPT_1);
    ActiveUpdate inFlight = new ActiveUpdate(update, ATTEMPT_1);
    PooledWorker place = new PooledWorker(container(ATTEMPT_1, 1), NodeId.newInstance("a", 1),
        Resource.newInstance(512, 1), 900_000);
    inFlight.heldAm = place;

    UpdateJournalEntry entry = JournalEntries.entry(update.snapshot(), 9, inFlight);
    ActiveUpdate back = JournalEntries.resume(Update.restore(entry.getStatus(), CLOCK, watchers), entry);
    assertEquals(place, back.amPlaceToRecover);
    assertNull(back.heldAm, "charged again only when its node registers");

    UpdateJournalEntry again = JournalEntries.entry(back.update.snapshot(), 10, back);
    assertEquals(place, JournalEntries.resume(Update.restore(again.getStatus(), CLOCK, watchers), again)
        .amPlaceToRecover, "a second restart before the node registered still has the place");
  }

  @Test
  void anEndedUpdateIsJournaledByItsStatusAlone() {
    Update update = new Update("update_2", APP, "", CLOCK, watchers);
    update.setAttempts(ATTEMPT_1.toString(), null);
    update.on(Event.CANCEL, "cancelled by request");

    UpdateJournalEntry entry = JournalEntries.entry(update.snapshot(), 8, null);
    ActiveUpdate back = JournalEntries.resume(Update.restore(entry.getStatus(), CLOCK, watchers), entry);

    assertEquals(UpdateJournalEntry.newBuilder().setStatus(update.snapshot()).setRevision(8).build(), entry);
    assertEquals(UpdatePhase.CANCELLED, back.update.phase());
    assertNull(back.newAttempt);
    assertNull(back.previousLaunchContext);
    assertNull(back.previousAmResource);
    assertEquals("", back.oldAmContainer);
    assertFalse(back.oldAmSeenGone);
  }
}
