package io.workerpool.nm;

import org.apache.hadoop.conf.Configuration;

/**
 * The NodeManager hook's yarn-site.xml keys and their values for one NodeManager. The hook itself
 * is switched on with {@code yarn.nodemanager.containers-launcher.class} =
 * {@link InPlaceContainersLauncher}.
 *
 * @param stopGraceMs SIGTERM to SIGKILL delay when the replaced container C1 is stopped
 * @param stopTimeoutMs longest wait for C1's processes to be gone before C3's command runs anyway
 * @param recoveryWaitMs longest wait for a C1 that is not yet RUNNING (being recovered after a
 *     NodeManager restart, or still starting) before the mark is refused
 * @param prepareTimeoutMs longest wait for C3's process to reach the gate in front of its command
 *     before C1 is stopped anyway (C3 then passes the gate as soon as it reaches it)
 * @param batchWaitMs longest time a prepared C3 waits for the other C3s of its batch to be prepared
 */
public record NmWorkerPoolConfig(long stopGraceMs, long stopTimeoutMs, long recoveryWaitMs, long prepareTimeoutMs,
    long batchWaitMs) {
  public static final String PREFIX = "yarn.nodemanager.worker-pool.";

  public static final String STOP_GRACE_MS = PREFIX + "stop-grace-ms";
  public static final long DEFAULT_STOP_GRACE_MS = 5_000;

  public static final String STOP_TIMEOUT_MS = PREFIX + "stop-timeout-ms";
  public static final long DEFAULT_STOP_TIMEOUT_MS = 60_000;

  public static final String RECOVERY_WAIT_MS = PREFIX + "recovery-wait-ms";
  public static final long DEFAULT_RECOVERY_WAIT_MS = 30_000;

  public static final String PREPARE_TIMEOUT_MS = PREFIX + "prepare-timeout-ms";
  public static final long DEFAULT_PREPARE_TIMEOUT_MS = 60_000;

  public static final String BATCH_WAIT_MS = PREFIX + "batch-wait-ms";
  public static final long DEFAULT_BATCH_WAIT_MS = 30_000;

  public NmWorkerPoolConfig {
    if (stopGraceMs < 0 || recoveryWaitMs < 0 || prepareTimeoutMs < 0 || batchWaitMs < 0) {
      throw new IllegalArgumentException(STOP_GRACE_MS + ", " + RECOVERY_WAIT_MS + ", " + PREPARE_TIMEOUT_MS
          + " and " + BATCH_WAIT_MS + " must be >= 0");
    }
    // A timeout inside the grace period would launch C3 while C1 may still be shutting down.
    if (stopTimeoutMs <= stopGraceMs) {
      throw new IllegalArgumentException(STOP_TIMEOUT_MS + " (" + stopTimeoutMs + ") must be greater than "
          + STOP_GRACE_MS + " (" + stopGraceMs + ")");
    }
  }

  public static NmWorkerPoolConfig from(Configuration conf) {
    return new NmWorkerPoolConfig(
        conf.getLong(STOP_GRACE_MS, DEFAULT_STOP_GRACE_MS),
        conf.getLong(STOP_TIMEOUT_MS, DEFAULT_STOP_TIMEOUT_MS),
        conf.getLong(RECOVERY_WAIT_MS, DEFAULT_RECOVERY_WAIT_MS),
        conf.getLong(PREPARE_TIMEOUT_MS, DEFAULT_PREPARE_TIMEOUT_MS),
        conf.getLong(BATCH_WAIT_MS, DEFAULT_BATCH_WAIT_MS));
  }

  /**
   * How long a C3 may wait at its gate before it gives up by itself (so that a gate the NodeManager
   * never opens, for example after a NodeManager restart, cannot hold C3 for ever): every wait of
   * the hook that may come after C3 reached the gate, plus a margin.
   */
  public long gateLimitSeconds() {
    return (batchWaitMs + stopTimeoutMs + prepareTimeoutMs) / 1000 + 60;
  }
}
