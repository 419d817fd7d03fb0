package io.workerpool.it.bench;

import java.util.Arrays;

/** Nearest-rank percentiles of a set of samples. */
final class Percentiles {
  private final long[] sorted;

  Percentiles(long[] samples) {
    if (samples.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    sorted = samples.clone();
    Arrays.sort(sorted);
  }

  /** @param p in (0, 100] */
  long at(double p) {
    int rank = (int) Math.ceil(p / 100 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  long median() {
    return at(50);
  }

  long p99() {
    return at(99);
  }

  long max() {
    return sorted[sorted.length - 1];
  }
}
