package io.workerpool.rm.update;

import static io.workerpool.rm.update.UpdateManager.appOf;

import io.workerpool.proto.UpdateJournalEntry;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.update.RecoveryRule.Outcome;
import io.workerpool.rm.update.Swaps.Swap;
import io.workerpool.rm.update.UpdateLifecycle.Event;
import io.workerpool.rm.update.UpdateManager.UpdateListener;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumes the updates in flight from the journal when this RM recovers or becomes active, and matches them with
 * what the state store and the re-registering NodeManagers report. Shares the UpdateManager monitor (its lock rule
 * holds here: no driver or journal call while holding it).
 */
public final class UpdateRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(UpdateRecovery.class);

  private final UpdateManager updates;
  private final UpdateHistory history;
  private final UpdateJournal journal;
  private final JournalWriter journalWriter;
  private final Engine engine;
  private final UpdateListener listener;
  private final LongSupplier clock;
  private final ScheduledExecutorService watchExecutor;
  private boolean recovered;

  UpdateRecovery(UpdateManager updates, UpdateHistory history, UpdateJournal journal, JournalWriter journalWriter,
      Engine engine, UpdateListener listener, LongSupplier clock, ScheduledExecutorService watchExecutor) {
    this.updates = updates;
    this.history = history;
    this.journal = journal;
    this.journalWriter = journalWriter;
    this.engine = engine;
    this.listener = listener;
    this.clock = clock;
    this.watchExecutor = watchExecutor;
  }

  /**
   * Reads the journal once, when this RM recovers or becomes active (before the first recovery event),
   * and resumes the updates that had not ended.
   */
  public void recover() {
    synchronized (updates) {
      if (recovered) {
        return;
      }
      recovered = true;
    }
    List<UpdateJournalEntry> entries;
    try {
      entries = journal.readAll();
    } catch (IOException e) {
      LOG.error("Cannot read the Worker Pool journal ({}): updates in flight are not resumed", journal.describe(), e);
      return;
    }
    entries.sort((x, y) -> Long.compare(x.getRevision(), y.getRevision()));
    List<ActiveUpdate> resumed = new ArrayList<>();
    synchronized (updates) {
      for (UpdateJournalEntry entry : entries) {
        journalWriter.continueRevisionsFrom(entry.getRevision());
        Update update = Update.restore(entry.getStatus(), clock, watchExecutor);
        history.remember(update, entry.getStatus().getClientRequestId());
        if (!update.isFinished()) {
          ActiveUpdate a = JournalEntries.resume(update, entry);
          update.markRecovered();
          updates.resumed(a);
          resumed.add(a);
        }
      }
    }
    for (ActiveUpdate a : resumed) {
      LOG.info("Update {} of {} RECOVERED in phase {} with {} workers to hear of from their nodes", a.update.id(),
          a.appId(), a.update.phase(), a.unreported.size());
      if (a.update.phase() == UpdatePhase.ACCEPTED) {
        engine.execute(() -> {
          updates.restoreLaunchContext(a);
          updates.fail(a, "the ResourceManager restarted before the old AM was ended; the previous AM launch context"
              + " is back in place");
          journalWriter.writeOrLog(null, a.update);
        });
      } else if (a.newAttempt != null) {
        updates.scheduleClaimDeadline(a);
      }
    }
  }

  /**
   * The new attempts whose AM container a restarted RM recovered but that no node runs: the RM went down
   * between allocating AM2's container and launching it.
   */
  public List<ApplicationAttemptId> newAttemptsNotYetRegistered() {
    synchronized (updates) {
      return updates.allInFlight().stream().filter(a -> a.newAttempt != null
          && a.newAttempt.equals(a.recoveredNewAttempt) && a.update.phase() == UpdatePhase.LAUNCHING_AM)
          .map(a -> a.newAttempt).toList();
    }
  }

  /**
   * The new attempt's AM was never launched (the RM restarted in between) and stock YARN would wait for it
   * until the AM expiry: that attempt is replaced in turn, keeping the pool, by the next one.
   */
  public void newAmNeverLaunched(ApplicationAttemptId attemptId, ContainerId amContainer) {
    ActiveUpdate a;
    synchronized (updates) {
      a = updates.inFlight(attemptId.getApplicationId());
      if (a == null || !attemptId.equals(a.newAttempt) || a.update.phase() != UpdatePhase.LAUNCHING_AM) {
        return;
      }
      a.cancelDeadline.run();
      a.oldAttempt = attemptId;
      a.newAttempt = null;
      a.oldAmContainer = amContainer.toString();
      a.update.on(Event.NEW_AM_NEVER_LAUNCHED, "the ResourceManager restarted before it launched the AM of "
          + attemptId + "; the next attempt replaces it");
    }
    journalWriter.writeLater(a);
  }

  /**
   * A restarted RM recovers the application with the attempts its state store holds. When the journal names a
   * new attempt the store does not have (the RM went down before it stored it), the application will create
   * it again: the update goes back to waiting for it, and its held AM place went with the RM.
   */
  public void appRecovered(ApplicationId appId, Set<ApplicationAttemptId> storedAttempts) {
    ActiveUpdate a;
    synchronized (updates) {
      a = updates.inFlight(appId);
      if (a == null || a.newAttempt == null || storedAttempts.contains(a.newAttempt)) {
        return;
      }
      a.update.on(Event.NEW_AM_NEVER_LAUNCHED, "the ResourceManager restarted before it stored " + a.newAttempt
          + "; the application creates the new attempt again");
      a.newAttempt = null;
      a.heldAm = null;
      a.cancelDeadline.run();
    }
    journalWriter.writeLater(a);
  }

  /** Whether the application needs its max attempts raised again for the update's new attempt. */
  public boolean needsExtraAttempt(ApplicationId appId) {
    synchronized (updates) {
      ActiveUpdate a = updates.inFlight(appId);
      return a != null && a.newAttempt == null && a.raisedMaxAttemptsFrom > 0
          && a.update.phase() == UpdatePhase.POOLING;
    }
  }

  /**
   * The old AM container of an attempt a restarted RM recovers while its update was ending it, or null. Its
   * end is recorded as ABORTED (not a failed attempt); the caller kills it again if its node still runs it.
   */
  public ContainerId killedAmOf(ApplicationAttemptId recoveredAttempt) {
    synchronized (updates) {
      ActiveUpdate a = updates.inFlight(recoveredAttempt.getApplicationId());
      boolean killed = a != null && a.oldAttempt.equals(recoveredAttempt)
          && a.update.phase() == UpdatePhase.POOLING && !a.oldAmContainer.isEmpty();
      return killed ? ContainerId.fromString(a.oldAmContainer) : null;
    }
  }

  /**
   * Whether the journal shows that the killed AM's node had reported it gone (its place was held): then the
   * restarted RM can end the attempt at once. Otherwise the AM may still run (the kill reaches a node with its
   * next heartbeat), and ending its attempt would make the AM shut down gracefully and stop its workers.
   */
  public boolean oldAmSeenGone(ApplicationId appId) {
    synchronized (updates) {
      ActiveUpdate a = updates.inFlight(appId);
      return a != null && a.oldAmSeenGone;
    }
  }

  /** A restarted RM recovered an attempt after the update's old one: the journal may not have it yet. */
  public void attemptRecovered(ApplicationAttemptId attemptId) {
    synchronized (updates) {
      ActiveUpdate a = updates.inFlight(attemptId.getApplicationId());
      if (a != null && attemptId.getAttemptId() > a.oldAttempt.getAttemptId()) {
        a.recoveredNewAttempt = attemptId;
      }
      if (a == null || a.newAttempt != null
          || attemptId.getAttemptId() <= a.oldAttempt.getAttemptId() || a.update.phase() != UpdatePhase.POOLING) {
        return;
      }
    }
    updates.newAttemptAdded(attemptId, List.of());
  }

  /**
   * A NodeManager registered with a restarted RM and reports {@code reported}: decides, for each container
   * of an update's old attempt, what the RM does with it (containers of no update are absent from the
   * result: stock recovery handles them). Outcomes other than REPOOL are recorded here; the caller
   * recovers the REPOOL ones into the application and reports each with {@link #repooled}.
   */
  public Map<ContainerId, Outcome> nodeRecovered(NodeId nodeId, List<ReportedContainer> reported) {
    Map<ContainerId, Outcome> outcomes = new HashMap<>();
    Set<ActiveUpdate> changed = new HashSet<>();
    synchronized (updates) {
      Set<ContainerId> onNode = reported.stream().map(ReportedContainer::id).collect(Collectors.toSet());
      for (ReportedContainer container : reported) {
        ActiveUpdate a = updates.inFlight(appOf(container.id()));
        if (holdsOldAmPlaceAfterRestart(a, container)) {
          // The update's kill of AM1 reached its node before the RM stopped, the node's report of its end only this
          // RM: AM1's place is held for the new AM's container as the stopped RM would have held it.
          a.amPlaceToRecover = new PooledWorker(container.id(), nodeId, container.resource(), clock.getAsLong());
          changed.add(a);
        }
        // A NodeManager that restarts while this RM runs re-registers with containers the RM still tracks: stock.
        if (a == null || !a.restored || !a.ownsWorkersOf(container.id().getApplicationAttemptId())
            || container.id().toString().equals(a.oldAmContainer) || a.update.phase() == UpdatePhase.ACCEPTED) {
          continue;
        }
        WorkerRecord record = a.unreported.remove(container.id());
        boolean newOnNode = record != null && !record.getNewContainerId().isEmpty()
            && onNode.contains(ContainerId.fromString(record.getNewContainerId()));
        Outcome outcome = RecoveryRule.decide(record == null ? null : record.getState(), container.running(),
            newOnNode);
        outcomes.put(container.id(), outcome);
        if (outcome == Outcome.HOLD_AGAIN) {
          a.unreported.put(container.id(), record);
        } else if (outcome == Outcome.REPOOL) {
          // Still awaited until the caller has charged it again (repooled) or could not (notRepooled).
          a.unreported.put(container.id(), record != null ? record : WorkerRecord.newBuilder()
              .setOldContainerId(container.id().toString()).setNodeId(nodeId.toString())
              .setState(WorkerState.POOLED).build());
        }
        record(a, container.id(), record, outcome, nodeId);
        changed.add(a);
      }
      for (ActiveUpdate a : updates.allInFlight()) {
        for (Iterator<Map.Entry<ContainerId, WorkerRecord>> it = a.unreported.entrySet().iterator(); it.hasNext(); ) {
          Map.Entry<ContainerId, WorkerRecord> entry = it.next();
          if (!entry.getValue().getNodeId().equals(nodeId.toString()) || onNode.contains(entry.getKey())) {
            continue;
          }
          WorkerRecord record = entry.getValue();
          boolean newOnNode = !record.getNewContainerId().isEmpty()
              && onNode.contains(ContainerId.fromString(record.getNewContainerId()));
          Outcome outcome = RecoveryRule.decide(record.getState(), false, newOnNode);
          if (outcome == Outcome.HOLD_AGAIN) {
            // The node forgot the ended container; the place is charged again all the same.
            outcomes.put(entry.getKey(), outcome);
            continue;
          }
          it.remove();
          record(a, entry.getKey(), record, outcome, nodeId);
          changed.add(a);
        }
      }
      changed.forEach(updates::finishIfDone);
    }
    for (ActiveUpdate a : changed) {
      engine.execute(() -> journalWriter.writeOrLog(a.update));
    }
    return outcomes;
  }

  /** Whether {@code container} is the update's old AM, ended while the update was stopping it, with no place held. */
  private static boolean holdsOldAmPlaceAfterRestart(ActiveUpdate a, ReportedContainer container) {
    return a != null && a.restored && !container.running() && container.id().toString().equals(a.oldAmContainer)
        && a.update.phase() == UpdatePhase.POOLING && a.newAttempt == null && a.heldAm == null
        && a.amPlaceToRecover == null;
  }

  private void record(ActiveUpdate a, ContainerId old, WorkerRecord record, Outcome outcome, NodeId nodeId) {
    String afterRestart = "after the ResourceManager restarted, " + nodeId + " reported ";
    switch (outcome) {
      case LEAVE_TO_NODE -> updates.swaps().add(new Swap(a.update, new PooledWorker(old, nodeId,
          LaunchContextCodec.decode(record.getResource()), record.getPooledAtMs()),
          ContainerId.fromString(record.getNewContainerId())));
      case REPLACED -> a.update.workerReplaced(old, afterRestart + "the old container gone and its replacement there");
      case LOST -> a.update.workerEnded(old, WorkerState.LOST, afterRestart + "the old container ended and"
          + " nothing in its place");
      case STOP, REPOOL, HOLD_AGAIN -> { }
      default -> throw new IllegalStateException(outcome.name());
    }
  }

  /** A container {@link #nodeRecovered} decided to pool again is charged to the application again. */
  public void repooled(PooledWorker worker) {
    synchronized (updates) {
      ActiveUpdate a = updates.inFlight(appOf(worker.containerId()));
      if (a == null) {
        return;
      }
      a.unreported.remove(worker.containerId());
      a.pool.add(worker);
      a.update.workerPooled(worker);
      a.update.workerRepooled(worker.containerId(), "the ResourceManager restarted; the node still runs it");
    }
    listener.pooled(1);
  }

  /** Whether a restarted RM has places of ended workers (or AM1's) to charge again on this node. */
  public boolean holdsPlacesOn(NodeId nodeId) {
    synchronized (updates) {
      return !amPlacesToRecoverOn(nodeId).isEmpty() || updates.allInFlight().stream()
          .flatMap(a -> a.unreported.values().stream())
          .anyMatch(r -> r.getState() == WorkerState.HELD && r.getNodeId().equals(nodeId.toString()));
    }
  }

  /** AM1's journaled held places on this node, which a restarted RM has not charged again yet. */
  public List<PooledWorker> amPlacesToRecoverOn(NodeId nodeId) {
    synchronized (updates) {
      return updates.allInFlight().stream().map(a -> a.amPlaceToRecover)
          .filter(place -> place != null && place.nodeId().equals(nodeId)).toList();
    }
  }

  /**
   * AM1's place was charged to the application again after the restart: the new AM's container takes it, as if the
   * RM had not restarted. The caller holds the scheduler's write lock.
   */
  public void amPlaceRecovered(PooledWorker place) {
    ActiveUpdate a;
    synchronized (updates) {
      a = takeAmPlaceToRecover(place);
      if (a == null) {
        return;
      }
      a.heldAm = place;
      a.update.amPlace("held again on " + place.nodeId() + " (" + place.resource() + ") for the new AM's container"
          + " after the ResourceManager restarted");
    }
    journalWriter.writeLater(a);
  }

  /**
   * AM1's journaled place is not charged again: {@code why} is null when the new AM's container no longer needs it
   * (it was allocated before the node registered again), else why the place was lost.
   */
  public void amPlaceNotRecovered(PooledWorker place, String why) {
    ActiveUpdate a;
    synchronized (updates) {
      a = takeAmPlaceToRecover(place);
      if (a == null) {
        return;
      }
      if (why != null) {
        a.update.amPlace("released: " + why + "; the new AM's container is scheduled as usual");
      }
    }
    journalWriter.writeLater(a);
  }

  /** The place {@link #nodeRecovered} decided to hold again, as the journal recorded it. */
  public PooledWorker journaledPlace(ContainerId id) {
    synchronized (updates) {
      ActiveUpdate a = updates.inFlight(appOf(id));
      WorkerRecord record = a == null ? null : a.unreported.get(id);
      if (record == null) {
        throw new IllegalStateException("no journaled place of " + id);
      }
      return new PooledWorker(id, NodeId.fromString(record.getNodeId()),
          LaunchContextCodec.decode(record.getResource()), record.getPooledAtMs());
    }
  }

  /** A place {@link #nodeRecovered} decided to hold again is charged to the application again. */
  public void heldAgain(PooledWorker place) {
    synchronized (updates) {
      ActiveUpdate a = updates.inFlight(appOf(place.containerId()));
      if (a == null) {
        return;
      }
      a.unreported.remove(place.containerId());
      a.pool.add(place);
      a.held.add(place.containerId());
      a.update.workerHeld(place.containerId(), "the ResourceManager restarted; the place on " + place.nodeId()
          + " is held again for the new attempt");
    }
    listener.pooled(1);
  }

  /** The update whose journaled AM place {@code place} is, no longer waiting for it; null if none. */
  private ActiveUpdate takeAmPlaceToRecover(PooledWorker place) {
    ActiveUpdate a = updates.inFlight(appOf(place.containerId()));
    if (a == null || a.amPlaceToRecover != place) {
      return null;
    }
    a.amPlaceToRecover = null;
    return a;
  }

  /** A container {@link #nodeRecovered} decided to pool again could not be charged again; its node stops it. */
  public void notRepooled(ContainerId id, String reason) {
    ActiveUpdate a;
    synchronized (updates) {
      a = updates.inFlight(appOf(id));
      if (a == null) {
        return;
      }
      a.unreported.remove(id);
      a.update.workerEnded(id, WorkerState.LOST, reason);
      updates.finishIfDone(a);
    }
    journalWriter.writeLater(a);
  }
}
