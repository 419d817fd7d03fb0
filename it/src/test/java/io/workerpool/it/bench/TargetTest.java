package io.workerpool.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.workerpool.it.restart.RestartResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The targets judged from measured rows. */
class TargetTest {

  @Test
  void judgesRatioUnchangedBytesFlatnessAndConversionCost() {
    List<Target> targets = Target.evaluate(List.of(
        row(RestartResult.IN_PLACE, 8, 1000L, 0),
        row(RestartResult.KILL_RESUBMIT, 8, 4000L, 100),
        row(RestartResult.IN_PLACE, 32, 600L, 0),
        row(RestartResult.KILL_RESUBMIT, 32, 7000L, 100),
        row(RestartResult.WORK_PRESERVING, 32, null, 0),
        row(RestartResult.IN_PLACE, 64, 2000L, 3)),
        List.of(new Metric("conversion", ConversionMetrics.CONVERSION, 10_000, "median", 33.8, "us")));

    assertEquals(4, targets.size(), targets.toString());
    assertEquals(true, targets.get(0).met(), "600 / 7000 = 0.086");
    assertEquals(false, targets.get(1).met(), "3 bytes of unchanged files came again at 64 workers");
    assertEquals(false, targets.get(2).met(), "2000 / 1000 = 2.0 > 1.5");
    assertEquals(false, targets.get(3).met(), "33.8 us > 10 us");
    assertEquals("33.8 us", targets.get(3).measured());
  }

  @Test
  void judgesTheSwapGapPerWorkerCountAndTheWriteLock() {
    List<Target> targets = Target.evaluate(List.of(),
        List.of(new SwapGapRow(8, 100, 150, 600, 700), new SwapGapRow(32, 300, 400, 1000, 1200)),
        List.of(new Metric("conversion", ConversionMetrics.CONVERSION, 10_000, "write_lock_longest_hold", 149, "ms"),
            new Metric("conversion", ConversionMetrics.CONVERSION, 10_000, "write_lock_allocate_hold", 151, "ms")));

    assertEquals(5, targets.size(), targets.toString());
    assertEquals(true, targets.get(1).met(), "100 / 600 = 0.17");
    assertEquals(false, targets.get(2).met(), "300 / 1000 = 0.3");
    assertEquals(true, targets.get(3).met(), "149 ms <= 150 ms");
    assertEquals(false, targets.get(4).met(), "151 ms > 150 ms");
  }

  private static RestartRow row(String method, int workers, Long downtimeMs, long unchangedBytes) {
    return new RestartRow(method, workers, downtimeMs, 1000, null, null, unchangedBytes, unchangedBytes, 0, null, 50);
  }
}
