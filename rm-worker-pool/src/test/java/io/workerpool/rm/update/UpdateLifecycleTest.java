package io.workerpool.rm.update;

import static io.workerpool.proto.UpdatePhase.ACCEPTED;
import static io.workerpool.proto.UpdatePhase.CANCELLED;
import static io.workerpool.proto.UpdatePhase.CONVERTING;
import static io.workerpool.proto.UpdatePhase.FAILED;
import static io.workerpool.proto.UpdatePhase.LAUNCHING_AM;
import static io.workerpool.proto.UpdatePhase.POOLING;
import static io.workerpool.proto.UpdatePhase.SUCCEEDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.WorkerState;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.update.UpdateLifecycle.Event;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UpdateLifecycleTest {
  private static final ApplicationId APP = ApplicationId.newInstance(1_700_000_000_000L, 3);

  private final ScheduledExecutorService watchExecutor = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopWatchExecutor() {
    watchExecutor.shutdownNow();
  }

  @Test
  void aSuccessfulUpdateWalksEveryPhaseInOrder() {
    AtomicLong clock = new AtomicLong(100);
    Update update = new Update("u1", APP, "", clock::get, watchExecutor);

    for (Event event : List.of(Event.AM1_ENDING, Event.NEW_ATTEMPT_ADDED, Event.NEW_ATTEMPT_REGISTERED,
        Event.POOL_DRAINED)) {
      clock.addAndGet(10);
      update.on(event, event.name());
    }

    assertEquals(SUCCEEDED, update.phase());
    assertTrue(update.isFinished());
    assertEquals(List.of(ACCEPTED, POOLING, LAUNCHING_AM, CONVERTING, SUCCEEDED),
        update.snapshot().getPhaseTimesList().stream().map(PhaseTime::getPhase).toList());
    assertEquals(List.of(100L, 110L, 120L, 130L, 140L),
        update.snapshot().getPhaseTimesList().stream().map(PhaseTime::getEnteredAtMs).toList());
  }

  @Test
  void cancelIsOnlyAllowedBeforeAm1IsTouched() {
    assertEquals(CANCELLED, UpdateLifecycle.next(ACCEPTED, Event.CANCEL));
    for (var phase : List.of(POOLING, LAUNCHING_AM, CONVERTING, SUCCEEDED, FAILED)) {
      assertFalse(UpdateLifecycle.allows(phase, Event.CANCEL), phase.name());
      assertThrows(IllegalStateException.class, () -> UpdateLifecycle.next(phase, Event.CANCEL));
    }
  }

  @Test
  void everyUnfinishedPhaseCanFailAndFinalPhasesTakeNothing() {
    for (var phase : List.of(ACCEPTED, POOLING, LAUNCHING_AM, CONVERTING)) {
      assertEquals(FAILED, UpdateLifecycle.next(phase, Event.FAIL));
      assertFalse(UpdateLifecycle.isFinal(phase));
    }
    for (var phase : List.of(SUCCEEDED, FAILED, CANCELLED)) {
      assertTrue(UpdateLifecycle.isFinal(phase));
      for (Event event : Event.values()) {
        assertFalse(UpdateLifecycle.allows(phase, event), phase + " " + event);
      }
    }
  }

  @Test
  void phasesCannotBeSkipped() {
    assertThrows(IllegalStateException.class, () -> UpdateLifecycle.next(ACCEPTED, Event.NEW_ATTEMPT_REGISTERED));
    assertThrows(IllegalStateException.class, () -> UpdateLifecycle.next(POOLING, Event.POOL_DRAINED));
  }

  @Test
  void watchersSeeTheCurrentStatusThenTheChangesWithTheWorkerTable() throws InterruptedException {
    Update update = new Update("u2", APP, "req-9", () -> 5, watchExecutor);
    BlockingQueue<UpdateEvent> seen = new LinkedBlockingQueue<>();
    update.watch(seen::add);
    ApplicationAttemptId attempt1 = ApplicationAttemptId.newInstance(APP, 1);
    ContainerId c1 = ContainerId.newContainerId(attempt1, 2);
    ContainerId c3 = ContainerId.newContainerId(ApplicationAttemptId.newInstance(APP, 2), 2);

    update.on(Event.AM1_ENDING, "ending AM1");
    update.workerPooled(new PooledWorker(c1, NodeId.newInstance("n1", 1), Resource.newInstance(512, 1), 5));
    update.workerConverted(c1, c3, 5_000, 0);

    UpdateEvent first = seen.poll(10, TimeUnit.SECONDS);
    assertEquals(ACCEPTED, first.getStatus().getPhase());
    assertEquals("req-9", first.getStatus().getClientRequestId());
    assertEquals(POOLING, seen.poll(10, TimeUnit.SECONDS).getStatus().getPhase());
    UpdateEvent event;
    do {
      event = seen.poll(10, TimeUnit.SECONDS);
    } while (!event.getMessage().startsWith("converted"));
    var worker = event.getStatus().getWorkers(0);
    assertEquals(c1.toString(), worker.getOldContainerId());
    assertEquals(c3.toString(), worker.getNewContainerId());
    assertEquals(5_000, worker.getConversionNanos());
    assertEquals("n1:1", worker.getNodeId());
    assertEquals(512, worker.getResource().getMemoryMb());
    assertEquals(WorkerState.CONVERTED, worker.getState());
    assertEquals(1, event.getStatus().getWorkersCount());
  }
}
