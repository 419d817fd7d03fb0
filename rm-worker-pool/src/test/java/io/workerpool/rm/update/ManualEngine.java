package io.workerpool.rm.update;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** An engine whose steps run only when the test says so, on the test's thread, with the test's clock. */
final class ManualEngine implements Engine {
  private final AtomicLong clock;
  private final List<Step> steps = new ArrayList<>();
  private long order;

  private record Step(long dueMs, long order, Runnable run) {
  }

  ManualEngine(AtomicLong clock) {
    this.clock = clock;
  }

  @Override
  public synchronized void execute(Runnable step) {
    steps.add(new Step(clock.get(), order++, step));
  }

  @Override
  public synchronized Runnable schedule(Runnable step, long delayMs) {
    Step scheduled = new Step(clock.get() + Math.max(0, delayMs), order++, step);
    steps.add(scheduled);
    return () -> {
      synchronized (this) {
        steps.remove(scheduled);
      }
    };
  }

  /** Runs every step that is due, in order, including the ones they add. */
  void runDue() {
    while (true) {
      Step next;
      synchronized (this) {
        next = steps.stream().filter(s -> s.dueMs() <= clock.get())
            .min(Comparator.comparingLong(Step::dueMs).thenComparingLong(Step::order)).orElse(null);
        if (next == null) {
          return;
        }
        steps.remove(next);
      }
      next.run().run();
    }
  }

  /** Moves the clock on and runs what became due. */
  void advance(long ms) {
    clock.addAndGet(ms);
    runDue();
  }
}
