package io.workerpool.it.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything one benchmark run measured, as written to results.json.
 *
 * @param floor the swap's floor on this machine outside YARN (SIGTERM, exit, start of a new worker); null if
 *     not measured
 * @param batchFloors per worker count, the whole update's floor outside YARN (all workers stopped together, all new
 *     ones let through their gates together); empty if not measured
 * @param conversion the RM's conversion cost at scale ({@code ConversionBenchmark}); empty if not run
 */
public record BenchmarkResults(String date, Settings settings, long wallTimeSeconds, List<RestartRow> restarts,
    List<SwapGapRow> swapGaps, SwapFloor floor, List<BatchFloor> batchFloors, List<Metric> conversion, List<Target> targets) {

  /**
   * How the run was set up; all restarts ran on one cluster in this run.
   *
   * @param clusterSettings yarn-site settings given with --set
   */
  public record Settings(String command, List<Integer> workers, int imageMb, int workerMb, int nodeManagers,
      int nodeMemoryMb, int availableProcessors, Map<String, String> clusterSettings) {
  }

  static final String BATCH_FLOOR = "floor outside YARN: all at once";

  /** Every number as one flat row, for results.csv. */
  List<Metric> metrics() {
    List<Metric> metrics = new ArrayList<>();
    for (RestartRow r : restarts) {
      add(metrics, "restart", r.method(), r.workers(), "downtime", r.downtimeMs(), "ms");
      add(metrics, "restart", r.method(), r.workers(), "am_registered", r.amBackMs(), "ms");
      add(metrics, "restart", r.method(), r.workers(), "worker_gap_median", r.workerGapMedianMs(), "ms");
      add(metrics, "restart", r.method(), r.workers(), "worker_gap_max", r.workerGapMaxMs(), "ms");
      add(metrics, "restart", r.method(), r.workers(), "bytes_downloaded", r.bytesDownloaded(), "bytes");
      add(metrics, "restart", r.method(), r.workers(), "unchanged_bytes_downloaded", r.unchangedBytesDownloaded(),
          "bytes");
      add(metrics, "restart", r.method(), r.workers(), "nm_cache_miss_bytes_counted", r.cacheMissBytesCounted(),
          "bytes");
      add(metrics, "restart", r.method(), r.workers(), "machine_cpu_busy", r.cpuBusyPercent() < 0 ? null
          : (long) r.cpuBusyPercent(), "percent");
      if (r.updatePhasesMs() != null) {
        for (Map.Entry<String, Long> phase : r.updatePhasesMs().entrySet()) {
          add(metrics, "restart", r.method(), r.workers(), "phase_" + phase.getKey(), phase.getValue(), "ms");
        }
      }
    }
    for (SwapGapRow g : swapGaps) {
      add(metrics, "swap-gap", "in-place swap", g.workers(), "gap_median", g.swapGapMedianMs(), "ms");
      add(metrics, "swap-gap", "in-place swap", g.workers(), "gap_max", g.swapGapMaxMs(), "ms");
      add(metrics, "swap-gap", "bare start", g.workers(), "gap_median", g.bareStartMedianMs(), "ms");
      add(metrics, "swap-gap", "bare start", g.workers(), "gap_max", g.bareStartMaxMs(), "ms");
    }
    if (floor != null) {
      add(metrics, "swap-gap", "floor (outside YARN)", floor.rounds(), "gap_median", floor.gapMedianMs(), "ms");
      add(metrics, "swap-gap", "floor (outside YARN)", floor.rounds(), "gap_max", floor.gapMaxMs(), "ms");
      add(metrics, "swap-gap", "floor (outside YARN)", floor.rounds(), "sigterm_to_new_heartbeat_median",
          floor.stopToStartMedianMs(), "ms");
    }
    for (BatchFloor b : batchFloors) {
      add(metrics, "restart", BATCH_FLOOR, b.workers(), "downtime", b.downtimeMs(), "ms");
    }
    metrics.addAll(conversion);
    return metrics;
  }

  private static void add(List<Metric> metrics, String section, String method, int size, String metric, Long value,
      String unit) {
    if (value != null) {
      metrics.add(new Metric(section, method, size, metric, value, unit));
    }
  }
}
