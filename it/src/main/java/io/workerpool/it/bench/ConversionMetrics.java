package io.workerpool.it.bench;

import java.util.ArrayList;
import java.util.List;

/** The conversion benchmark's result as rows of the suite's results (section {@code conversion}, microseconds). */
final class ConversionMetrics {
  static final String CONVERSION = "Worker Pool conversion";
  static final String ALLOCATION = "CapacityScheduler allocation";

  private ConversionMetrics() {
  }

  static List<Metric> of(ConversionResult r) {
    int size = r.containers();
    List<Metric> metrics = new ArrayList<>(List.of(
        micros(CONVERSION, size, "median", r.convertMedianNanos()),
        micros(CONVERSION, size, "p99", r.convertP99Nanos()),
        micros(CONVERSION, size, "median_with_out_of_lock_share", r.convertMedianNanos() + r.outOfLockNanos() / size),
        micros(CONVERSION, size, "allocate_call_per_container", r.convertCallNanos() / size),
        new Metric("conversion", CONVERSION, size, "write_lock_longest_hold", r.longestLockHoldNanos() / 1e6, "ms"),
        new Metric("conversion", CONVERSION, size, "write_lock_allocate_hold", r.lockHoldNanos() / 1e6, "ms"),
        micros(ALLOCATION, size, "median", r.scheduleMedianNanos()),
        micros(ALLOCATION, size, "p99", r.scheduleP99Nanos()),
        micros(ALLOCATION, size, "ask_to_all_pulled_per_container", r.scheduleWallNanos() / size),
        new Metric("conversion", CONVERSION, size, "accounting_unchanged", r.usageUnchanged() ? 1 : 0, "boolean")));
    return metrics;
  }

  private static Metric micros(String method, int size, String metric, long nanos) {
    return new Metric("conversion", method, size, metric, Math.round(nanos / 100.0) / 10.0, "us");
  }
}
