package io.workerpool.rm.hadoop;

import java.util.function.Supplier;
import org.apache.hadoop.metrics2.MetricsCollector;
import org.apache.hadoop.metrics2.MetricsException;
import org.apache.hadoop.metrics2.MetricsSource;
import org.apache.hadoop.metrics2.lib.DefaultMetricsSystem;
import org.apache.hadoop.metrics2.lib.MetricsRegistry;
import org.apache.hadoop.metrics2.lib.MutableRate;

/**
 * How long the ResourceManager holds the scheduler's write lock to serve an allocate call from the
 * pool, as the metrics2 source {@value #NAME} (JMX {@code Hadoop:service=ResourceManager,name=WorkerPoolConversion}):
 * {@code ConversionSpanMicros} from the first conversion of the call to the end of its hand-over,
 * {@code HandOverMicros} the hand-over alone (tokens' allocation tags, container start, newly
 * allocated list), and {@code AllocateLockHoldMicros} the whole time the pool's allocate work holds
 * the lock (recorded where the scheduler wraps that work with {@link #lockHeld}). One per JVM: the
 * ResourceManager replaces its scheduler on an HA transition, the numbers go on.
 */
public final class ConversionTimings implements MetricsSource {
  static final String NAME = "WorkerPoolConversion";
  private static final ConversionTimings INSTANCE = register();

  private final MetricsRegistry registry = new MetricsRegistry(NAME).setContext("yarn");
  private final MutableRate conversionSpan = registry.newRate("ConversionSpanMicros",
      "Write-lock time from an allocate call's first conversion to the end of its hand-over", false);
  private final MutableRate handOver = registry.newRate("HandOverMicros",
      "Write-lock time of an allocate call's hand-over of converted containers", false);
  private final MutableRate lockHold = registry.newRate("AllocateLockHoldMicros",
      "Time the pool's work of one allocate call holds the scheduler's write lock", false);
  private volatile long lastSpanNanos = -1;
  private volatile long lastHandOverNanos = -1;
  private volatile long lastLockHoldNanos = -1;

  private ConversionTimings() {
  }

  public static ConversionTimings instance() {
    return INSTANCE;
  }

  private static ConversionTimings register() {
    ConversionTimings timings = new ConversionTimings();
    try {
      DefaultMetricsSystem.instance().register(NAME, "Worker Pool conversions under the scheduler's write lock",
          timings);
    } catch (MetricsException alreadyThere) {
      // A metrics system re-initialised in the same JVM (tests): the numbers are still kept here.
    }
    return timings;
  }

  /** Runs the pool's work of one allocate call, which the caller runs under the scheduler's write lock. */
  public <T> T lockHeld(Supplier<T> work) {
    long started = System.nanoTime();
    try {
      return work.get();
    } finally {
      long nanos = System.nanoTime() - started;
      lastLockHoldNanos = nanos;
      lockHold.add(nanos / 1_000);
    }
  }

  void conversions(long spanNanos, long handOverNanos) {
    lastSpanNanos = spanNanos;
    lastHandOverNanos = handOverNanos;
    conversionSpan.add(spanNanos / 1_000);
    handOver.add(handOverNanos / 1_000);
  }

  /** The last allocate call's conversion span (first conversion to end of hand-over), or -1. */
  public long lastSpanNanos() {
    return lastSpanNanos;
  }

  /** The last allocate call's hand-over, or -1. */
  public long lastHandOverNanos() {
    return lastHandOverNanos;
  }

  /** The last allocate call's whole write-lock hold by the pool's work, or -1 until {@link #lockHeld} is used. */
  public long lastLockHoldNanos() {
    return lastLockHoldNanos;
  }

  @Override
  public void getMetrics(MetricsCollector collector, boolean all) {
    registry.snapshot(collector.addRecord(registry.info()), all);
  }
}
