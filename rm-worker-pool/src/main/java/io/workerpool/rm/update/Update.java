package io.workerpool.rm.update;

import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.rm.pool.PooledWorker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;

/**
 * One update of one application: its phase, when it entered each phase, and one record per
 * worker (old container → new container). Every change is published to the watchers as an
 * {@link UpdateEvent}; the phase follows {@link UpdateLifecycle}.
 */
public final class Update {
  private final String id;
  private final ApplicationId applicationId;
  private final LongSupplier clock;
  private final UpdateStatus.Builder status;
  private final List<Consumer<UpdateEvent>> watchers = new CopyOnWriteArrayList<>();
  // The records inside status, by old container: an update of 10,000 workers changes one record at a time.
  private final Map<ContainerId, WorkerRecord.Builder> workers = new HashMap<>();

  public Update(String id, ApplicationId applicationId, String clientRequestId, LongSupplier clock) {
    this.id = id;
    this.applicationId = applicationId;
    this.clock = clock;
    this.status = UpdateStatus.newBuilder()
        .setUpdateId(id)
        .setApplicationId(applicationId.toString())
        .setClientRequestId(clientRequestId)
        .setPhase(UpdatePhase.ACCEPTED)
        .addPhaseTimes(PhaseTime.newBuilder().setPhase(UpdatePhase.ACCEPTED).setEnteredAtMs(clock.getAsLong()));
  }

  public String id() {
    return id;
  }

  public ApplicationId applicationId() {
    return applicationId;
  }

  public synchronized UpdatePhase phase() {
    return status.getPhase();
  }

  public synchronized boolean isFinished() {
    return UpdateLifecycle.isFinal(status.getPhase());
  }

  public synchronized UpdateStatus snapshot() {
    return status.build();
  }

  /** Moves to the next phase; {@code message} says why, for people watching. */
  public synchronized void on(UpdateLifecycle.Event event, String message) {
    UpdatePhase next = UpdateLifecycle.next(status.getPhase(), event);
    status.setPhase(next)
        .addPhaseTimes(PhaseTime.newBuilder().setPhase(next).setEnteredAtMs(clock.getAsLong()));
    if (event == UpdateLifecycle.Event.FAIL || event == UpdateLifecycle.Event.CANCEL) {
      status.setDiagnostics(message);
    }
    publish(message);
  }

  /** Moves on only where the table allows it; returns whether it did. */
  public synchronized boolean onIfAllowed(UpdateLifecycle.Event event, String message) {
    if (!UpdateLifecycle.allows(status.getPhase(), event)) {
      return false;
    }
    on(event, message);
    return true;
  }

  public synchronized void setAttempts(String oldAttemptId, String newAttemptId) {
    if (oldAttemptId != null) {
      status.setOldAttemptId(oldAttemptId);
    }
    if (newAttemptId != null) {
      status.setNewAttemptId(newAttemptId);
    }
  }

  public void workerPooled(PooledWorker worker) {
    changeWorker(worker.containerId(), "pooled " + worker.containerId() + " on " + worker.nodeId(), w -> w
        .setNodeId(worker.nodeId().toString())
        .setResource(LaunchContextCodec.encode(worker.resource()))
        .setState(WorkerState.POOLED)
        .setPooledAtMs(worker.pooledAtMs()));
  }

  public void workerConverted(ContainerId old, ContainerId replacement, long conversionNanos) {
    long now = clock.getAsLong();
    changeWorker(old, "converted " + old + " -> " + replacement, w -> w
        .setNewContainerId(replacement.toString())
        .setState(WorkerState.CONVERTED)
        .setConvertedAtMs(now)
        .setConversionNanos(conversionNanos));
  }

  /** @param note how the old container ended when it is not the plain in-place stop, or "" */
  public void workerReplaced(ContainerId old, String note) {
    long now = clock.getAsLong();
    changeWorker(old, "replaced " + old + " in place", w -> w
        .setState(WorkerState.REPLACED)
        .setReplacedAtMs(now)
        .setReason(note));
  }

  /** The new container failed before it took the old one's place; the old one runs on and is pooled again. */
  public void workerBackInPool(ContainerId old, String failure) {
    changeWorker(old, failure + "; " + old + " keeps running and is back in the pool", w -> w
        .setState(WorkerState.POOLED)
        .clearNewContainerId()
        .addFailedSwaps(failure));
  }

  public void workerEnded(ContainerId old, WorkerState state, String reason) {
    changeWorker(old, state.name().toLowerCase() + " " + old + ": " + reason, w -> w
        .setState(state)
        .setReason(reason));
  }

  /** The watcher first gets the current status, then every change, in order. */
  public synchronized void watch(Consumer<UpdateEvent> watcher) {
    watchers.add(watcher);
    watcher.accept(event("watching update " + id));
  }

  public void unwatch(Consumer<UpdateEvent> watcher) {
    watchers.remove(watcher);
  }

  private synchronized void changeWorker(ContainerId old, String message, Consumer<WorkerRecord.Builder> change) {
    WorkerRecord.Builder record = workers.computeIfAbsent(old,
        id -> status.addWorkersBuilder().setOldContainerId(id.toString()));
    change.accept(record);
    publish(message);
  }

  private UpdateEvent event(String message) {
    return UpdateEvent.newBuilder().setAtMs(clock.getAsLong()).setMessage(message).setStatus(status.build()).build();
  }

  private void publish(String message) {
    if (watchers.isEmpty()) {
      return;
    }
    UpdateEvent event = event(message);
    for (Consumer<UpdateEvent> watcher : watchers) {
      watcher.accept(event);
    }
  }
}
