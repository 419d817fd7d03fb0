package io.workerpool.it.bench;

import io.workerpool.it.restart.RestartResult;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Prints a run's results as Markdown tables, aligned for the console and ready for the README. */
final class ResultTable {
  private ResultTable() {
  }

  static void print(BenchmarkResults results, PrintStream out) {
    List<List<String>> restarts = new ArrayList<>();
    restarts.add(List.of("workers", "restart", "downtime (ms)", "new AM registered (ms)",
        "worker gap median / max (ms)", "downloaded (bytes)", "of it unchanged files (bytes)",
        "NM cache-miss counter (bytes)", "CPU busy"));
    for (RestartRow r : results.restarts()) {
      restarts.add(List.of(Integer.toString(r.workers()), r.method(),
          r.downtimeMs() == null ? "- (keeps old version)" : Long.toString(r.downtimeMs()),
          Long.toString(r.amBackMs()),
          r.workerGapMedianMs() == null ? "-" : r.workerGapMedianMs() + " / " + r.workerGapMaxMs(),
          bytes(r.bytesDownloaded()), bytes(r.unchangedBytesDownloaded()), bytes(r.cacheMissBytesCounted()),
          r.cpuBusyPercent() < 0 ? "-" : r.cpuBusyPercent() + " %"));
    }
    render(restarts, out);

    List<List<String>> gaps = new ArrayList<>();
    SwapFloor floor = results.floor();
    gaps.add(List.of("workers", "in-place swap gap median / max (ms)", "bare worker start median / max (ms)",
        "gap ÷ bare start (medians)", "gap ÷ floor (medians)"));
    for (SwapGapRow g : results.swapGaps()) {
      gaps.add(List.of(Integer.toString(g.workers()), g.swapGapMedianMs() + " / " + g.swapGapMaxMs(),
          g.bareStartMedianMs() + " / " + g.bareStartMaxMs(), ratio(g.swapGapMedianMs(), g.bareStartMedianMs()),
          floor == null ? "-" : ratio(g.swapGapMedianMs(), floor.gapMedianMs())));
    }
    if (floor != null) {
      gaps.add(List.of("floor", floor.gapMedianMs() + " / " + floor.gapMaxMs() + " (SIGTERM -> new heartbeat "
          + floor.stopToStartMedianMs() + " / " + floor.stopToStartMaxMs() + ", " + floor.rounds() + " rounds)",
          "-", "-", "1"));
    }
    out.println();
    render(gaps, out);

    if (!results.batchFloors().isEmpty()) {
      out.println();
      render(batchFloors(results), out);
    }

    out.println();
    if (results.conversion().isEmpty()) {
      out.println("RM conversion cost at scale (issue 6c): not part of this run.");
    } else {
      List<List<String>> conversion = new ArrayList<>();
      conversion.add(List.of("method", "containers", "metric", "value", "unit"));
      for (Metric m : results.conversion()) {
        conversion.add(List.of(m.method(), Integer.toString(m.size()), m.metric(), Double.toString(m.value()),
            m.unit()));
      }
      render(conversion, out);
    }

    List<List<String>> targets = new ArrayList<>();
    targets.add(List.of("target", "measured", "met"));
    for (Target t : results.targets()) {
      targets.add(List.of(t.target(), t.measured(), t.met() ? "yes" : "no"));
    }
    out.println();
    render(targets, out);
  }

  /** In-place downtime against the machine's floor for the same worker count, and how both grow. */
  private static List<List<String>> batchFloors(BenchmarkResults results) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("workers", "in-place downtime (ms)", "floor: all stopped, all gates opened at once, outside YARN"
        + " (ms)", "in place ÷ floor"));
    for (BatchFloor floor : results.batchFloors()) {
      Long inPlace = results.restarts().stream().filter(r -> r.workers() == floor.workers()
          && r.method().equals(RestartResult.IN_PLACE)).map(RestartRow::downtimeMs)
          .findFirst().orElse(null);
      rows.add(List.of(Integer.toString(floor.workers()), inPlace == null ? "-" : Long.toString(inPlace),
          Long.toString(floor.downtimeMs()), inPlace == null ? "-" : ratio(inPlace, floor.downtimeMs())));
    }
    if (results.batchFloors().size() >= 2 && rows.stream().skip(1).noneMatch(r -> r.get(1).equals("-"))) {
      List<String> first = rows.get(1);
      List<String> last = rows.get(rows.size() - 1);
      rows.add(List.of("growth " + first.get(0) + " -> " + last.get(0),
          ratio(Long.parseLong(last.get(1)), Long.parseLong(first.get(1))) + " x",
          ratio(Long.parseLong(last.get(2)), Long.parseLong(first.get(2))) + " x", "-"));
    }
    return rows;
  }

  private static String ratio(long value, long of) {
    return of <= 0 ? "-" : String.format("%.2f", (double) value / of);
  }

  private static String bytes(long value) {
    return String.format("%,d", value);
  }

  private static void render(List<List<String>> rows, PrintStream out) {
    int[] widths = new int[rows.get(0).size()];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    for (int r = 0; r < rows.size(); r++) {
      StringBuilder line = new StringBuilder("|");
      for (int i = 0; i < widths.length; i++) {
        line.append(' ').append(String.format("%-" + widths[i] + "s", rows.get(r).get(i))).append(" |");
      }
      out.println(line);
      if (r == 0) {
        StringBuilder rule = new StringBuilder("|");
        for (int width : widths) {
          rule.append('-').append("-".repeat(width)).append("-|");
        }
        out.println(rule);
      }
    }
  }
}
