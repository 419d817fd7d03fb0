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
 * pool, as the metrics2 source {@value #NAME} (JMX {@code Hadoop:service=ResourceManager,name=WorkerPoolConversion}),
 * per allocate call that the pool served: {@code AllocateLockHoldMicros} all its holds of the lock together,
 * {@code LongestLockHoldMicros} its longest single hold (a large call is served in several holds), and
 * {@code OutOfLockMicros} its conversion work done out of the lock (preparing the new containers, completing the
 * old ones, starting the new ones with their tokens' allocation tags). One per JVM: the ResourceManager replaces its scheduler on an HA transition, the
 * numbers go on.
 */
public final class ConversionTimings implements MetricsSource {
  static final String NAME = "WorkerPoolConversion";
  private static final ConversionTimings INSTANCE = register();

  private final MetricsRegistry registry = new MetricsRegistry(NAME).setContext("yarn");
  private final MutableRate outOfLock = registry.newRate("OutOfLockMicros",
      "Conversion work of one allocate call done out of the scheduler's write lock", false);
  private final MutableRate lockHold = registry.newRate("AllocateLockHoldMicros",
      "Time the pool's work of one allocate call holds the scheduler's write lock, all holds together", false);
  private final MutableRate longestHold = registry.newRate("LongestLockHoldMicros",
      "Longest single hold of the scheduler's write lock by the pool's work of one allocate call", false);
  private volatile long lastOutOfLockNanos = -1;
  private volatile long lastLockHoldNanos = -1;
  private volatile long lastLongestHoldNanos = -1;

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

  /** Starts timing the write-lock holds of one allocate call's pool work. */
  public AllocateHolds allocate() {
    return new AllocateHolds();
  }

  /** The write-lock holds of one allocate call's pool work (one thread). */
  public final class AllocateHolds {
    private long totalNanos;
    private long longestNanos;
    private long outOfLockNanos;

    private AllocateHolds() {
    }

    /** Runs one part of the work, which the caller runs under the scheduler's write lock. */
    public <T> T held(Supplier<T> work) {
      long started = System.nanoTime();
      try {
        return work.get();
      } finally {
        long nanos = System.nanoTime() - started;
        totalNanos += nanos;
        longestNanos = Math.max(longestNanos, nanos);
      }
    }

    /** Runs conversion work that needs no scheduler lock (the caller holds none). */
    public <T> T outOfLock(Supplier<T> work) {
      long started = System.nanoTime();
      try {
        return work.get();
      } finally {
        outOfLockNanos += System.nanoTime() - started;
      }
    }

    /** The call's pool work is over. */
    public void done() {
      lastLockHoldNanos = totalNanos;
      lastLongestHoldNanos = longestNanos;
      lastOutOfLockNanos = outOfLockNanos;
      lockHold.add(totalNanos / 1_000);
      longestHold.add(longestNanos / 1_000);
      outOfLock.add(outOfLockNanos / 1_000);
    }
  }

  /** The last allocate call's conversion work out of the write lock, all together, or -1. */
  public long lastOutOfLockNanos() {
    return lastOutOfLockNanos;
  }

  /** The last allocate call's write-lock holds by the pool's work, all together, or -1. */
  public long lastLockHoldNanos() {
    return lastLockHoldNanos;
  }

  /** The last allocate call's longest single write-lock hold by the pool's work, or -1. */
  public long lastLongestHoldNanos() {
    return lastLongestHoldNanos;
  }

  @Override
  public void getMetrics(MetricsCollector collector, boolean all) {
    registry.snapshot(collector.addRecord(registry.info()), all);
  }
}
