package io.workerpool.it.demo;

import io.workerpool.it.app.WorkerReport;
import java.util.List;

/**
 * Downtime of one restart, from the workers' own heartbeats: from the moment the first old
 * worker stopped beating until every new worker beats; plus each worker's own gap and the
 * bytes the NodeManagers downloaded for the new workers.
 */
public record RestartMeasurement(String method, int workers, long downtimeMs, long medianGapMs, long maxGapMs,
    long bytesDownloaded) {

  public static RestartMeasurement of(String method, List<WorkerReport> old, List<WorkerReport> replacements,
      List<Long> gaps) {
    long firstOldSilent = old.stream().mapToLong(WorkerReport::lastHeartbeatMs).min().orElse(0);
    long allNewBeating = replacements.stream().mapToLong(WorkerReport::firstHeartbeatMs).max().orElse(0);
    List<Long> sorted = gaps.stream().sorted().toList();
    return new RestartMeasurement(method, replacements.size(), allNewBeating - firstOldSilent,
        sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2), sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1),
        replacements.stream().mapToLong(WorkerReport::bytesMissed).sum());
  }
}
