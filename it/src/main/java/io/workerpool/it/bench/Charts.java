package io.workerpool.it.bench;

import io.workerpool.it.restart.RestartResult;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler.LegendPosition;

/** The benchmark's PNG charts: one bar group per worker count, one color per restart method throughout. */
final class Charts {
  static final String DOWNTIME = "downtime.png";
  static final String DOWNLOADS = "downloads.png";
  static final String SWAP_GAP = "swap-gap.png";
  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;
  private static final Color IN_PLACE = new Color(0x1f77b4);
  private static final Color IN_PLACE_LIGHT = new Color(0x9ecae9);
  private static final Color KILL_RESUBMIT = new Color(0xff7f0e);
  private static final Color KILL_RESUBMIT_LIGHT = new Color(0xffbb78);
  private static final Color WORK_PRESERVING = new Color(0x9467bd);
  private static final Color FLOOR = new Color(0x2ca02c);

  private Charts() {
  }

  static List<Path> write(BenchmarkResults results, Path outDir) throws IOException {
    List<String> workers = results.settings().workers().stream().map(String::valueOf).toList();
    List<RestartRow> rows = results.restarts();

    CategoryChart downtime = chart("Restart to a new version: downtime (" + results.settings().imageMb()
        + " MiB image, " + results.settings().nodeManagers() + " NodeManagers)", "seconds", "#,##0.0",
        IN_PLACE, KILL_RESUBMIT, WORK_PRESERVING, FLOOR);
    downtime.addSeries("in-place update: until all workers run the new version", workers,
        values(rows, RestartResult.IN_PLACE, r -> r.downtimeMs() / 1000.0));
    downtime.addSeries("kill + resubmit: until all workers run the new version", workers,
        values(rows, RestartResult.KILL_RESUBMIT, r -> r.downtimeMs() / 1000.0));
    downtime.addSeries("work-preserving AM restart: new AM up, workers keep the old version",
        workers, values(rows, RestartResult.WORK_PRESERVING, r -> r.amBackMs() / 1000.0));
    if (results.batchFloors().size() == workers.size()) {
      downtime.addSeries("floor outside YARN: all workers stopped, all gates opened at once", workers,
          results.batchFloors().stream().map(b -> b.downtimeMs() / 1000.0).toList());
    }

    CategoryChart downloads = chart("Bytes the NodeManagers downloaded during the restart", "MiB", "#,##0.#",
        IN_PLACE, KILL_RESUBMIT, WORK_PRESERVING);
    for (String method : List.of(RestartResult.IN_PLACE, RestartResult.KILL_RESUBMIT,
        RestartResult.WORK_PRESERVING)) {
      long most = rows.stream().filter(r -> r.method().equals(method)).mapToLong(RestartRow::bytesDownloaded)
          .max().orElse(0);
      downloads.addSeries(String.format("%s (at most %,d bytes)", method, most), workers,
          values(rows, method, r -> r.bytesDownloaded() / (double) (1 << 20)));
    }

    CategoryChart gaps = chart("Per-worker gap: in-place swap vs bare worker start", "ms", "#,##0",
        IN_PLACE, IN_PLACE_LIGHT, KILL_RESUBMIT, KILL_RESUBMIT_LIGHT, FLOOR);
    List<SwapGapRow> swapGaps = results.swapGaps();
    gaps.addSeries("in-place swap (last old heartbeat -> first new), median", workers,
        swapGaps.stream().map(SwapGapRow::swapGapMedianMs).toList());
    gaps.addSeries("in-place swap, max", workers, swapGaps.stream().map(SwapGapRow::swapGapMaxMs).toList());
    gaps.addSeries("bare start (NM accepted -> first heartbeat, less localization), median", workers,
        swapGaps.stream().map(SwapGapRow::bareStartMedianMs).toList());
    gaps.addSeries("bare start, max", workers, swapGaps.stream().map(SwapGapRow::bareStartMaxMs).toList());
    if (results.floor() != null) {
      gaps.addSeries("floor outside YARN (SIGTERM, exit, new worker: last -> first heartbeat), median", workers,
          swapGaps.stream().map(g -> results.floor().gapMedianMs()).toList());
    }

    return List.of(save(downtime, outDir.resolve(DOWNTIME)), save(downloads, outDir.resolve(DOWNLOADS)),
        save(gaps, outDir.resolve(SWAP_GAP)));
  }

  private static CategoryChart chart(String title, String yAxis, String labelPattern, Color... colors) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle("workers").yAxisTitle(yAxis).build();
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setSeriesColors(colors);
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setLabelsFontColorAutomaticEnabled(false);
    chart.getStyler().setLabelsFontColor(Color.BLACK);
    chart.getStyler().setLabelsPosition(1.0);
    chart.getStyler().setDecimalPattern(labelPattern);
    chart.getStyler().setYAxisDecimalPattern("#,##0.#");
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    return chart;
  }

  private static List<Double> values(List<RestartRow> rows, String method, ToDoubleFunction<RestartRow> value) {
    return rows.stream().filter(r -> r.method().equals(method)).map(r -> value.applyAsDouble(r)).toList();
  }

  private static Path save(CategoryChart chart, Path file) throws IOException {
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapFormat.PNG);
    return file;
  }
}
