package io.workerpool.rm.update;

import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.rm.pool.PooledWorker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;

/**
 * One update of one application: its phase, when it entered each phase, and one record per
 * worker (old container → new container). Changes reach the watchers as {@link UpdateEvent}s through
 * a {@link WatchFeed} each, off the changing thread; the phase follows {@link UpdateLifecycle}.
 */
public final class Update {
  private final String id;
  private final ApplicationId applicationId;
  private final LongSupplier clock;
  private final ScheduledExecutorService watchExecutor;
  // All of the status but the workers: small, rebuilt on each phase change.
  private UpdateStatus header;
  // The worker records by old container, in the order they joined: an update of 10,000 workers
  // changes one record at a time, and a status is built only when someone asks for it.
  private final Map<ContainerId, WorkerRecord> workers = new LinkedHashMap<>();
  private final List<WatchFeed> feeds = new ArrayList<>();

  /** @param watchExecutor delivers the events to the watchers */
  public Update(String id, ApplicationId applicationId, String clientRequestId, LongSupplier clock,
      ScheduledExecutorService watchExecutor) {
    this.id = id;
    this.applicationId = applicationId;
    this.clock = clock;
    this.watchExecutor = watchExecutor;
    this.header = UpdateStatus.newBuilder()
        .setUpdateId(id)
        .setApplicationId(applicationId.toString())
        .setClientRequestId(clientRequestId)
        .setPhase(UpdatePhase.ACCEPTED)
        .addPhaseTimes(PhaseTime.newBuilder().setPhase(UpdatePhase.ACCEPTED).setEnteredAtMs(clock.getAsLong()))
        .build();
  }

  /** An update read back from the journal; the watchers it had went with the RM that served them. */
  public static Update restore(UpdateStatus status, LongSupplier clock, ScheduledExecutorService watchExecutor) {
    Update update = new Update(status.getUpdateId(), ApplicationId.fromString(status.getApplicationId()),
        status.getClientRequestId(), clock, watchExecutor);
    update.header = status.toBuilder().clearWorkers().build();
    for (WorkerRecord record : status.getWorkersList()) {
      update.workers.put(ContainerId.fromString(record.getOldContainerId()), record);
    }
    return update;
  }

  /** This RM resumed the update from its journal: watchers see a RECOVERED event. */
  public synchronized void markRecovered() {
    header = header.toBuilder().setRecoveries(header.getRecoveries() + 1).setRecoveredAtMs(clock.getAsLong()).build();
    onIfAllowed(UpdateLifecycle.Event.RECOVERED, "RECOVERED: resumed from the journal by this ResourceManager");
  }

  public String id() {
    return id;
  }

  public ApplicationId applicationId() {
    return applicationId;
  }

  public synchronized UpdatePhase phase() {
    return header.getPhase();
  }

  public synchronized boolean isFinished() {
    return UpdateLifecycle.isFinal(header.getPhase());
  }

  public UpdateStatus snapshot() {
    UpdateStatus current;
    List<WorkerRecord> records;
    synchronized (this) {
      current = header;
      records = workerRecords();
    }
    return current.toBuilder().addAllWorkers(records).build();
  }

  /** Moves to the next phase; {@code message} says why, for people watching. */
  public synchronized void on(UpdateLifecycle.Event event, String message) {
    UpdatePhase next = UpdateLifecycle.next(header.getPhase(), event);
    long now = clock.getAsLong();
    UpdateStatus.Builder changed = header.toBuilder().setPhase(next)
        .addPhaseTimes(PhaseTime.newBuilder().setPhase(next).setEnteredAtMs(now));
    if (event == UpdateLifecycle.Event.FAIL || event == UpdateLifecycle.Event.CANCEL) {
      changed.setDiagnostics(message);
    }
    header = changed.build();
    for (WatchFeed feed : feeds) {
      feed.own(header, now, message);
    }
    if (UpdateLifecycle.isFinal(next)) {
      feeds.clear();
    }
  }

  /** Moves on only where the table allows it; returns whether it did. */
  public synchronized boolean onIfAllowed(UpdateLifecycle.Event event, String message) {
    if (!UpdateLifecycle.allows(header.getPhase(), event)) {
      return false;
    }
    on(event, message);
    return true;
  }

  public synchronized void setAttempts(String oldAttemptId, String newAttemptId) {
    UpdateStatus.Builder changed = header.toBuilder();
    if (oldAttemptId != null) {
      changed.setOldAttemptId(oldAttemptId);
    }
    if (newAttemptId != null) {
      changed.setNewAttemptId(newAttemptId);
    }
    header = changed.build();
  }

  public void workerPooled(PooledWorker worker) {
    changeWorker(worker.containerId(), () -> "pooled " + worker.containerId() + " on " + worker.nodeId(), w -> w
        .setNodeId(worker.nodeId().toString())
        .setResource(LaunchContextCodec.encode(worker.resource()))
        .setState(WorkerState.POOLED)
        .setPooledAtMs(worker.pooledAtMs()));
  }

  /**
   * Written after the conversion's swap is registered (out of the scheduler's write lock), so the old container's
   * end may have been recorded first: a worker already past CONVERTED keeps its state.
   */
  public void workerConverted(ContainerId old, ContainerId replacement, long conversionNanos, long swapAtMs) {
    long now = clock.getAsLong();
    changeWorker(old, () -> "converted " + old + " -> " + replacement, w -> {
      w.setNewContainerId(replacement.toString())
          .setConvertedAtMs(now)
          .setConversionNanos(conversionNanos)
          .setSwapAtMs(swapAtMs);
      if (w.getState() == WorkerState.POOLED || w.getState() == WorkerState.HELD) {
        w.setState(WorkerState.CONVERTED);
      }
    });
  }

  /** @param note how the old container ended when it is not the plain in-place stop, or "" */
  public void workerReplaced(ContainerId old, String note) {
    long now = clock.getAsLong();
    changeWorker(old, () -> "replaced " + old + " in place", w -> w
        .setState(WorkerState.REPLACED)
        .setReplacedAtMs(now)
        .setReason(note));
  }

  /** The worker's process ended while pooled; its place stays charged to the application. */
  public void workerHeld(ContainerId old, String reason) {
    changeWorker(old, () -> "holding the place of " + old + ": " + reason, w -> w
        .setState(WorkerState.HELD)
        .setReason(reason));
  }

  /** What became of the old AM's place. */
  public synchronized void amPlace(String what) {
    header = header.toBuilder().setAmPlace(what).build();
  }

  /** A ResourceManager that restarted found the old container running on its node and pooled it again. */
  public void workerRepooled(ContainerId old, String note) {
    changeWorker(old, () -> "pooled " + old + " again: " + note, w -> w
        .setState(WorkerState.POOLED)
        .clearNewContainerId()
        .setReason(note));
  }

  /** The new container failed before it took the old one's place; the old one runs on and is pooled again. */
  public void workerBackInPool(ContainerId old, String failure) {
    changeWorker(old, () -> failure + "; " + old + " keeps running and is back in the pool", w -> w
        .setState(WorkerState.POOLED)
        .clearNewContainerId()
        .addFailedSwaps(failure));
  }

  public void workerEnded(ContainerId old, WorkerState state, String reason) {
    changeWorker(old, () -> state.name().toLowerCase() + " " + old + ": " + reason, w -> w
        .setState(state)
        .setReason(reason));
  }

  /** The watcher first gets the current status, then the changes, in order, on another thread. */
  public void watch(Consumer<UpdateEvent> watcher) {
    watch(watcher, () -> true);
  }

  /** @param ready whether the watcher takes an event now; changes fold while it does not */
  public synchronized void watch(Consumer<UpdateEvent> watcher, BooleanSupplier ready) {
    WatchFeed feed = new WatchFeed(watcher, ready, this::workerRecords, watchExecutor);
    feed.own(header, clock.getAsLong(), "watching update " + id + (header.getRecoveries() == 0 ? ""
        : " (RECOVERED: resumed from the journal by this ResourceManager at " + header.getRecoveredAtMs() + ")"));
    if (!isFinished()) {
      feeds.add(feed);
    }
  }

  public synchronized void unwatch(Consumer<UpdateEvent> watcher) {
    feeds.removeIf(feed -> {
      if (feed.watcher() != watcher) {
        return false;
      }
      feed.cancel();
      return true;
    });
  }

  private synchronized void changeWorker(ContainerId old, Supplier<String> message,
      Consumer<WorkerRecord.Builder> change) {
    WorkerRecord record = workers.get(old);
    WorkerRecord.Builder changed = record == null
        ? WorkerRecord.newBuilder().setOldContainerId(old.toString()) : record.toBuilder();
    change.accept(changed);
    workers.put(old, changed.build());
    if (!feeds.isEmpty()) {
      long now = clock.getAsLong();
      String text = message.get();
      for (WatchFeed feed : feeds) {
        feed.workerChanged(header, now, text);
      }
    }
  }

  private synchronized List<WorkerRecord> workerRecords() {
    return new ArrayList<>(workers.values());
  }
}
