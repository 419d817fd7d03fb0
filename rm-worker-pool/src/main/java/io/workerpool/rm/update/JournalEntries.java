package io.workerpool.rm.update;

import io.workerpool.proto.UpdateJournalEntry;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.rm.pool.PooledWorker;
import java.util.Set;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeId;

/**
 * Maps an update in flight to its journal entry and back. Pure; the caller holds the UpdateManager monitor while
 * an {@link ActiveUpdate} is read or filled.
 */
final class JournalEntries {
  /** The workers whose containers a restarted RM expects to hear of from their nodes. */
  private static final Set<WorkerState> AWAITED = Set.of(WorkerState.POOLED, WorkerState.CONVERTED, WorkerState.HELD);

  private JournalEntries() {
  }

  /** @param inFlight the update's state in flight, or null when it has ended (its status says it all) */
  static UpdateJournalEntry entry(UpdateStatus status, long revision, ActiveUpdate inFlight) {
    UpdateJournalEntry.Builder entry = UpdateJournalEntry.newBuilder()
        .setStatus(status)
        .setRevision(revision);
    if (inFlight != null) {
      if (inFlight.previousLaunchContext != null) {
        entry.setPreviousAmLaunchContext(LaunchContextCodec.encode(inFlight.previousLaunchContext));
      }
      if (inFlight.previousAmResource != null) {
        entry.setPreviousAmResource(LaunchContextCodec.encode(inFlight.previousAmResource));
      }
      PooledWorker amPlace = inFlight.heldAm != null ? inFlight.heldAm : inFlight.amPlaceToRecover;
      if (amPlace != null) {
        entry.setHeldAmPlace(WorkerRecord.newBuilder().setOldContainerId(amPlace.containerId().toString())
            .setNodeId(amPlace.nodeId().toString()).setResource(LaunchContextCodec.encode(amPlace.resource()))
            .setPooledAtMs(amPlace.pooledAtMs()));
      }
      entry.setOldAmContainerId(inFlight.oldAmContainer)
          .setRaisedMaxAttemptsFrom(inFlight.raisedMaxAttemptsFrom)
          .setClaimDeadlineMs(inFlight.claimDeadlineMs);
    }
    return entry.build();
  }

  /** The state in flight of {@code update}, read back from its entry by a restarted RM. */
  static ActiveUpdate resume(Update update, UpdateJournalEntry entry) {
    UpdateStatus status = entry.getStatus();
    ActiveUpdate a = new ActiveUpdate(update, ApplicationAttemptId.fromString(status.getOldAttemptId()));
    if (!status.getNewAttemptId().isEmpty()) {
      a.newAttempt = ApplicationAttemptId.fromString(status.getNewAttemptId());
    }
    if (!entry.getPreviousAmLaunchContext().isEmpty()) {
      a.previousLaunchContext = LaunchContextCodec.decode(entry.getPreviousAmLaunchContext());
    }
    if (entry.hasPreviousAmResource()) {
      a.previousAmResource = LaunchContextCodec.decode(entry.getPreviousAmResource());
    }
    a.oldAmContainer = entry.getOldAmContainerId();
    a.raisedMaxAttemptsFrom = entry.getRaisedMaxAttemptsFrom();
    a.claimDeadlineMs = entry.getClaimDeadlineMs();
    a.oldAmSeenGone = !status.getAmPlace().isEmpty();
    if (entry.hasHeldAmPlace()) {
      WorkerRecord place = entry.getHeldAmPlace();
      a.amPlaceToRecover = new PooledWorker(ContainerId.fromString(place.getOldContainerId()),
          NodeId.fromString(place.getNodeId()), LaunchContextCodec.decode(place.getResource()), place.getPooledAtMs());
    }
    for (WorkerRecord record : status.getWorkersList()) {
      if (AWAITED.contains(record.getState())) {
        a.unreported.put(ContainerId.fromString(record.getOldContainerId()), record);
      }
    }
    a.restored = true;
    return a;
  }
}
