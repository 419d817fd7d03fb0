package io.workerpool.rm.update;

import static io.workerpool.proto.UpdatePhase.ACCEPTED;
import static io.workerpool.proto.UpdatePhase.CONVERTING;
import static io.workerpool.proto.UpdatePhase.LAUNCHING_AM;
import static io.workerpool.proto.UpdatePhase.POOLING;
import static io.workerpool.proto.UpdatePhase.SUCCEEDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.update.UpdateLifecycle.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Watchers of a big update: few events, delivered off the changing thread, the final status last. */
class UpdateWatchTest {
  private static final ApplicationId APP = ApplicationId.newInstance(1_700_000_000_000L, 4);
  private static final ApplicationAttemptId ATTEMPT_1 = ApplicationAttemptId.newInstance(APP, 1);
  private static final ApplicationAttemptId ATTEMPT_2 = ApplicationAttemptId.newInstance(APP, 2);
  private static final int WORKERS = 10_000;

  private final ScheduledExecutorService watchExecutor = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopWatchExecutor() {
    watchExecutor.shutdownNow();
  }

  /** What a watcher received, and on which threads. */
  private static final class Recorder implements Consumer<UpdateEvent> {
    final List<UpdateEvent> events = new CopyOnWriteArrayList<>();
    final List<Thread> threads = new CopyOnWriteArrayList<>();
    final CountDownLatch finished = new CountDownLatch(1);

    @Override
    public void accept(UpdateEvent event) {
      events.add(event);
      threads.add(Thread.currentThread());
      if (UpdateLifecycle.isFinal(event.getStatus().getPhase())) {
        finished.countDown();
      }
    }

    UpdateEvent last() throws InterruptedException {
      assertTrue(finished.await(30, TimeUnit.SECONDS), "no final event; got " + events.size());
      return events.get(events.size() - 1);
    }
  }

  /** Runs a whole update of {@link #WORKERS} workers: 30,000 worker changes and 4 phase changes. */
  private static void runUpdate(Update update) {
    update.on(Event.AM1_ENDING, "ending AM1");
    for (int i = 0; i < WORKERS; i++) {
      update.workerPooled(new PooledWorker(old(i), NodeId.newInstance("n" + i % 100, 1), Resource.newInstance(512, 1), 1));
    }
    update.on(Event.NEW_ATTEMPT_ADDED, WORKERS + " workers pooled");
    update.on(Event.NEW_ATTEMPT_REGISTERED, "registered");
    for (int i = 0; i < WORKERS; i++) {
      update.workerConverted(old(i), ContainerId.newContainerId(ATTEMPT_2, i + 2), 1_000, 0);
    }
    for (int i = 0; i < WORKERS; i++) {
      update.workerReplaced(old(i), "");
    }
    update.on(Event.POOL_DRAINED, "every pooled worker is replaced");
  }

  private static ContainerId old(int i) {
    return ContainerId.newContainerId(ATTEMPT_1, i + 2);
  }

  @Test
  void tenThousandWorkerChangesReachAWatcherAsFewEventsEndingWithTheFinalStatus() throws InterruptedException {
    Update update = new Update("u-big", APP, "", System::currentTimeMillis, watchExecutor);
    Recorder watcher = new Recorder();
    update.watch(watcher);

    long start = System.nanoTime();
    runUpdate(update);
    long changesMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    UpdateEvent last = watcher.last();
    long deliveredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("%d worker changes + 4 phase changes in %d ms: the watcher received %d events, the last after"
        + " %d ms%n", 3 * WORKERS, changesMs, watcher.events.size(), deliveredMs);

    assertEquals(SUCCEEDED, last.getStatus().getPhase());
    assertEquals(WORKERS, last.getStatus().getWorkersCount());
    for (WorkerRecord record : last.getStatus().getWorkersList()) {
      assertEquals(WorkerState.REPLACED, record.getState(), record.getOldContainerId());
    }
    // The first status, 4 phase changes, and at most one worker event per interval (plus the first one
    // and one before each phase change).
    long bound = 5 + 1 + 4 + deliveredMs / WatchFeed.MIN_INTERVAL_MS;
    assertTrue(watcher.events.size() <= bound, watcher.events.size() + " events, more than " + bound);
    assertTrue(watcher.events.stream().anyMatch(e -> e.getMessage().matches(".* \\(\\+\\d+ more changes\\)")),
        "no event says how many changes it folded");

    List<UpdatePhase> phases = new ArrayList<>();
    for (UpdateEvent event : watcher.events) {
      if (phases.isEmpty() || phases.get(phases.size() - 1) != event.getStatus().getPhase()) {
        phases.add(event.getStatus().getPhase());
      }
    }
    assertEquals(List.of(ACCEPTED, POOLING, LAUNCHING_AM, CONVERTING, SUCCEEDED), phases);
    assertEquals(List.of("watching update u-big", "ending AM1", WORKERS + " workers pooled", "registered",
        "every pooled worker is replaced"), watcher.events.stream()
        .filter(e -> !e.getMessage().startsWith("pooled") && !e.getMessage().startsWith("converted")
            && !e.getMessage().startsWith("replaced"))
        .map(UpdateEvent::getMessage).toList());
    for (Thread thread : watcher.threads) {
      assertNotSame(Thread.currentThread(), thread);
    }
  }

  @Test
  void aWatcherThatBlocksDoesNotBlockTheThreadThatChangesTheUpdate() throws InterruptedException {
    Update update = new Update("u-slow", APP, "", System::currentTimeMillis, watchExecutor);
    CountDownLatch changesDone = new CountDownLatch(1);
    AtomicBoolean releasedByTheChanger = new AtomicBoolean();
    Recorder recorder = new Recorder();
    update.watch(event -> {
      try {
        if (recorder.events.isEmpty()) {
          releasedByTheChanger.set(changesDone.await(30, TimeUnit.SECONDS));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      recorder.accept(event);
    });

    runUpdate(update);
    changesDone.countDown();

    UpdateEvent last = recorder.last();
    assertTrue(releasedByTheChanger.get(), "the changer waited for the watcher");
    assertEquals(SUCCEEDED, last.getStatus().getPhase());
    assertEquals(WORKERS, last.getStatus().getWorkersCount());
  }

  @Test
  void aWatcherThatIsNotReadyGetsTheChangesFoldedOnceItIs() throws InterruptedException {
    Update update = new Update("u-ready", APP, "", System::currentTimeMillis, watchExecutor);
    AtomicBoolean ready = new AtomicBoolean(false);
    Recorder watcher = new Recorder();
    update.watch(watcher, ready::get);

    runUpdate(update);
    Thread.sleep(3 * WatchFeed.MIN_INTERVAL_MS);
    assertTrue(watcher.events.isEmpty(), "delivered to a watcher that was not ready");
    ready.set(true);

    UpdateEvent last = watcher.last();
    assertEquals(SUCCEEDED, last.getStatus().getPhase());
    assertEquals(List.of("watching update u-ready", "ending AM1", "pooled " + old(WORKERS - 1) + " on n99:1 (+"
            + (WORKERS - 1) + " more changes)", WORKERS + " workers pooled", "registered",
        "replaced " + old(WORKERS - 1) + " in place (+" + (2 * WORKERS - 1) + " more changes)",
        "every pooled worker is replaced"), watcher.events.stream().map(UpdateEvent::getMessage).toList());
  }

  @Test
  void aWatcherThatLeftGetsNothingMoreAndOneThatJoinsLateGetsTheFinalStatusOnce() throws InterruptedException {
    Update update = new Update("u-late", APP, "", System::currentTimeMillis, watchExecutor);
    AtomicBoolean ready = new AtomicBoolean(false);
    Recorder left = new Recorder();
    update.watch(left, ready::get);
    update.unwatch(left);
    ready.set(true);
    runUpdate(update);

    Recorder late = new Recorder();
    update.watch(late);
    UpdateEvent only = late.last();
    Thread.sleep(3 * WatchFeed.MIN_INTERVAL_MS);

    assertEquals(1, late.events.size());
    assertEquals(SUCCEEDED, only.getStatus().getPhase());
    assertEquals(WORKERS, only.getStatus().getWorkersCount());
    assertFalse(left.events.stream().findAny().isPresent(), "a watcher that left got " + left.events);
  }
}
