package io.workerpool.it.bench;

import io.workerpool.it.restart.RestartResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One of the performance targets with what this run measured. Targets are reported, never
 * asserted: a missed one is a result too.
 */
public record Target(String target, String measured, boolean met) {
  /** "Nearly flat": the in-place downtime at the largest worker count is at most this multiple of the smallest's. */
  static final double FLAT_FACTOR = 1.5;

  /** Conversion cost target of the issue: median per container at 10,000 pooled containers. */
  static final double CONVERSION_MEDIAN_US = 10;

  static List<Target> evaluate(List<RestartRow> rows, List<Metric> conversion) {
    List<Target> targets = new ArrayList<>();
    Optional<RestartRow> inPlace32 = find(rows, RestartResult.IN_PLACE, 32);
    Optional<RestartRow> resubmit32 = find(rows, RestartResult.KILL_RESUBMIT, 32);
    if (inPlace32.isPresent() && resubmit32.isPresent()) {
      double ratio = (double) inPlace32.get().downtimeMs() / resubmit32.get().downtimeMs();
      targets.add(new Target("in-place downtime <= 0.2 x kill + resubmit at 32 workers",
          String.format("%.2f x (%d ms vs %d ms)", ratio, inPlace32.get().downtimeMs(),
              resubmit32.get().downtimeMs()), ratio <= 0.2));
    }
    List<RestartRow> inPlace = rows.stream().filter(r -> r.method().equals(RestartResult.IN_PLACE)).toList();
    long unchanged = inPlace.stream().mapToLong(RestartRow::unchangedBytesDownloaded).max().orElse(0);
    targets.add(new Target("0 bytes of unchanged files downloaded again (in place)",
        String.format("at most %d bytes", unchanged), unchanged == 0));
    if (inPlace.size() >= 2) {
      RestartRow smallest = inPlace.get(0);
      RestartRow largest = inPlace.get(inPlace.size() - 1);
      double factor = (double) largest.downtimeMs() / smallest.downtimeMs();
      targets.add(new Target(String.format("in-place downtime nearly flat from %d to %d workers (<= %.1f x)",
          smallest.workers(), largest.workers(), FLAT_FACTOR),
          String.format("%.2f x (%d ms -> %d ms)", factor, smallest.downtimeMs(), largest.downtimeMs()),
          factor <= FLAT_FACTOR));
    }
    conversion.stream().filter(m -> m.method().equals(ConversionMetrics.CONVERSION)
        && m.metric().equals("median")).findFirst().ifPresent(median -> targets.add(new Target(
            String.format("conversion <= %.0f us per container (median) at %,d containers", CONVERSION_MEDIAN_US,
                median.size()),
            String.format("%.1f us", median.value()), median.value() <= CONVERSION_MEDIAN_US)));
    return targets;
  }

  private static Optional<RestartRow> find(List<RestartRow> rows, String method, int workers) {
    return rows.stream().filter(r -> r.method().equals(method) && r.workers() == workers).findFirst();
  }
}
