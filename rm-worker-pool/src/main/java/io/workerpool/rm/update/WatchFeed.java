package io.workerpool.rm.update;

import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one watcher of an {@link Update} has yet to receive, delivered on a shared executor so that
 * the thread that changes the update (the scheduler, under its lock) never builds a status nor runs
 * the watcher. Phase changes are delivered as their own events, in order; worker changes that come
 * faster than {@link #MIN_INTERVAL_MS} are folded into one event. Every event carries the update's
 * phase as of its change and the worker records as of its delivery, so the last event (the final
 * phase, after which nothing more is delivered) carries the final status. The executor runs one
 * task at a time, which keeps each watcher's events in order.
 */
final class WatchFeed {
  static final long MIN_INTERVAL_MS = 200;
  private static final long MIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(MIN_INTERVAL_MS);
  private static final Logger LOG = LoggerFactory.getLogger(WatchFeed.class);

  private final Consumer<UpdateEvent> watcher;
  private final BooleanSupplier ready;
  private final Supplier<List<WorkerRecord>> workers;
  private final ScheduledExecutorService executor;

  // Guarded by this.
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  // The drain that counts (the one most recently scheduled) while it has not started yet.
  private ScheduledFuture<?> drain;
  private long drainDueNanos;
  private long drainGeneration;
  private long nextWorkerEventNanos = System.nanoTime();
  private boolean ended;

  /** One event to deliver; worker changes fold into it while it waits. */
  private static final class Pending {
    final boolean foldable;
    UpdateStatus header;
    long atMs;
    String message;
    int folded;

    Pending(boolean foldable, UpdateStatus header, long atMs, String message) {
      this.foldable = foldable;
      this.header = header;
      this.atMs = atMs;
      this.message = message;
    }
  }

  /**
   * @param ready whether the watcher takes an event now (a gRPC stream whose client reads slowly
   *     is not ready: its changes keep folding meanwhile instead of piling up in its buffer)
   * @param workers the update's current worker records, copied
   */
  WatchFeed(Consumer<UpdateEvent> watcher, BooleanSupplier ready, Supplier<List<WorkerRecord>> workers,
      ScheduledExecutorService executor) {
    this.watcher = watcher;
    this.ready = ready;
    this.workers = workers;
    this.executor = executor;
  }

  Consumer<UpdateEvent> watcher() {
    return watcher;
  }

  /** An event of its own (a phase change, the first status): delivered as soon as possible. */
  synchronized void own(UpdateStatus header, long atMs, String message) {
    if (ended) {
      return;
    }
    pending.add(new Pending(false, header, atMs, message));
    ended = UpdateLifecycle.isFinal(header.getPhase());
    scheduleIn(0);
  }

  /** A worker changed: folded into the waiting worker event, if any. */
  synchronized void workerChanged(UpdateStatus header, long atMs, String message) {
    if (ended) {
      return;
    }
    Pending last = pending.peekLast();
    if (last != null && last.foldable) {
      last.header = header;
      last.atMs = atMs;
      last.message = message;
      last.folded++;
    } else {
      pending.add(new Pending(true, header, atMs, message));
    }
    scheduleIn(Math.max(0, nextWorkerEventNanos - System.nanoTime()));
  }

  /** The watcher left: nothing more is delivered. */
  synchronized void cancel() {
    ended = true;
    pending.clear();
  }

  private void scheduleIn(long delayNanos) {
    long due = System.nanoTime() + delayNanos;
    if (drain != null && drainDueNanos - due <= 0) {
      return;
    }
    if (drain != null) {
      drain.cancel(false);
    }
    long generation = ++drainGeneration;
    drainDueNanos = due;
    try {
      drain = executor.schedule(() -> drain(generation), delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The service is stopping: the watchers' streams are being closed.
      drain = null;
      cancel();
    }
  }

  private void drain(long generation) {
    List<Pending> batch;
    synchronized (this) {
      if (generation != drainGeneration) {
        return;
      }
      drain = null;
      if (pending.isEmpty()) {
        return;
      }
      long now = System.nanoTime();
      if (!ready.getAsBoolean()) {
        scheduleIn(MIN_INTERVAL_NANOS);
        return;
      }
      if (pending.stream().allMatch(p -> p.foldable) && now - nextWorkerEventNanos < 0) {
        scheduleIn(nextWorkerEventNanos - now);
        return;
      }
      batch = new ArrayList<>(pending);
      pending.clear();
      if (batch.stream().anyMatch(p -> p.foldable)) {
        nextWorkerEventNanos = now + MIN_INTERVAL_NANOS;
      }
    }
    List<WorkerRecord> records = workers.get();
    for (Pending p : batch) {
      UpdateStatus status = p.header.toBuilder().addAllWorkers(records).build();
      String message = p.folded == 0 ? p.message : p.message + " (+" + p.folded + " more changes)";
      try {
        watcher.accept(UpdateEvent.newBuilder().setAtMs(p.atMs).setMessage(message).setStatus(status).build());
      } catch (RuntimeException e) {
        LOG.warn("A watcher of update {} failed; it gets no more events", status.getUpdateId(), e);
        cancel();
        return;
      }
    }
  }
}
