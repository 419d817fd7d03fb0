package io.workerpool.rm.update;

/**
 * The one thread on which an update's effects on the ResourceManager run (releases, take-backs,
 * deadlines, journal writes of scheduler-side changes): it holds no scheduler lock when a step starts.
 */
public interface Engine {

  void execute(Runnable step);

  /** @return cancels the step if it has not run yet */
  Runnable schedule(Runnable step, long delayMs);
}
