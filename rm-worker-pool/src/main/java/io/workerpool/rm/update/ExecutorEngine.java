package io.workerpool.rm.update;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The engine on a single-threaded executor; a step that throws is logged and the engine goes on. */
public final class ExecutorEngine implements Engine {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngine.class);

  private final ScheduledExecutorService executor;

  public ExecutorEngine(ScheduledExecutorService singleThread) {
    this.executor = singleThread;
  }

  @Override
  public void execute(Runnable step) {
    executor.execute(guarded(step));
  }

  @Override
  public Runnable schedule(Runnable step, long delayMs) {
    ScheduledFuture<?> future = executor.schedule(guarded(step), Math.max(0, delayMs), TimeUnit.MILLISECONDS);
    return () -> future.cancel(false);
  }

  private static Runnable guarded(Runnable step) {
    return () -> {
      try {
        step.run();
      } catch (RuntimeException e) {
        LOG.error("Worker Pool engine step failed", e);
      }
    };
  }
}
