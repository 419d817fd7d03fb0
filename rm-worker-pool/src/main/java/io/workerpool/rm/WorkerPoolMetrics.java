package io.workerpool.rm;

import io.workerpool.proto.UpdatePhase;
import io.workerpool.rm.update.UpdateManager;
import org.apache.hadoop.metrics2.annotation.Metric;
import org.apache.hadoop.metrics2.annotation.Metrics;
import org.apache.hadoop.metrics2.lib.DefaultMetricsSystem;
import org.apache.hadoop.metrics2.lib.MutableCounterLong;
import org.apache.hadoop.metrics2.lib.MutableRate;

/** Worker Pool metrics of the ResourceManager, in JMX as {@code Hadoop:service=ResourceManager,name=WorkerPoolMetrics}. */
@Metrics(about = "Worker Pool in-place updates", context = "yarn")
public class WorkerPoolMetrics implements UpdateManager.UpdateListener {
  static final String NAME = "WorkerPoolMetrics";

  @Metric("Updates started") MutableCounterLong updatesStarted;
  @Metric("Updates that succeeded") MutableCounterLong updatesSucceeded;
  @Metric("Updates that failed") MutableCounterLong updatesFailed;
  @Metric("Updates cancelled") MutableCounterLong updatesCancelled;
  @Metric("Worker containers pooled") MutableCounterLong containersPooled;
  @Metric("Pooled containers converted into containers of the new attempt") MutableCounterLong containersConverted;
  @Metric("Pooled containers released unclaimed") MutableCounterLong containersReleased;
  @Metric("New containers that ended before taking the old one's place") MutableCounterLong swapsFailed;
  @Metric("New containers that ended within the early-exit window after replacing the old one")
  MutableCounterLong newContainersExitedEarly;
  @Metric("Time to convert one container, in microseconds") MutableRate conversionMicros;

  static WorkerPoolMetrics register() {
    return DefaultMetricsSystem.instance().register(NAME, "Worker Pool in-place updates", new WorkerPoolMetrics());
  }

  static void unregister() {
    DefaultMetricsSystem.instance().unregisterSource(NAME);
  }

  @Override
  public void started() {
    updatesStarted.incr();
  }

  @Override
  public void finished(UpdatePhase phase) {
    switch (phase) {
      case SUCCEEDED -> updatesSucceeded.incr();
      case CANCELLED -> updatesCancelled.incr();
      default -> updatesFailed.incr();
    }
  }

  @Override
  public void pooled(int containers) {
    containersPooled.incr(containers);
  }

  @Override
  public void converted(long micros) {
    containersConverted.incr();
    conversionMicros.add(micros);
  }

  @Override
  public void released(int containers) {
    containersReleased.incr(containers);
  }

  @Override
  public void swapFailed() {
    swapsFailed.incr();
  }

  @Override
  public void exitedEarly() {
    newContainersExitedEarly.incr();
  }
}
