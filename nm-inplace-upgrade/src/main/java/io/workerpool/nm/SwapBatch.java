package io.workerpool.nm;

/**
 * The new containers of one allocate call on this node, whose old containers are stopped together
 * once every one of them is prepared (or has failed) and the moment the RM set for the call's swaps
 * (if any) has come, or when the first prepared one has waited {@code waitMs}: one swap per node
 * instead of one per container, and at the same moment on every node of the call. Counts only; the
 * launcher keeps the members. Times are monotonic milliseconds, but the RM's moment, which is
 * compared with this host's clock.
 */
final class SwapBatch {
  private final int expected;
  private final long waitMs;
  private final long swapAtMs;
  private int settled;
  private long firstPreparedAt = -1;
  private boolean fired;

  /** @param swapAtMs the RM's moment for the swaps (epoch ms), or 0 for none */
  SwapBatch(int expected, long waitMs, long swapAtMs) {
    this.expected = expected;
    this.waitMs = waitMs;
    this.swapAtMs = swapAtMs;
  }

  /** A member is prepared. */
  void prepared(long now) {
    settled++;
    if (firstPreparedAt < 0) {
      firstPreparedAt = now;
    }
  }

  /** A member will never be prepared (its launch failed or was cancelled). */
  void dropped() {
    settled++;
  }

  /**
   * Whether the prepared members' old containers are to be stopped now (true from then on).
   *
   * @param nowEpochMs this host's clock, for the RM's moment
   */
  boolean fire(long now, long nowEpochMs) {
    if (!fired && (settled >= expected && nowEpochMs >= swapAtMs
        || firstPreparedAt >= 0 && now - firstPreparedAt >= waitMs)) {
      fired = true;
    }
    return fired;
  }

  /** Every expected member has been seen and the batch has fired: it can be forgotten. */
  boolean complete() {
    return fired && settled >= expected;
  }

  /** Whether the batch fired and its wait is long over, so that a member that never comes need not be kept. */
  boolean stale(long now) {
    return fired && now - firstPreparedAt > 10 * waitMs + 600_000;
  }

  int expected() {
    return expected;
  }
}
