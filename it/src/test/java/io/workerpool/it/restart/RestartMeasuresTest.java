package io.workerpool.it.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.workerpool.it.restart.RestartResult.Spread;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure arithmetic behind the restart measures. */
class RestartMeasuresTest {

  @Test
  void longestPauseCountsOnlyPausesThatOverlapTheRestart() {
    List<Long> beats = List.of(0L, 100L, 900L, 1000L, 1100L, 3000L);
    assertEquals(800, Restarts.longestPause(beats, 500, 1050), "the 100 -> 900 pause spans the restart's start");
    assertEquals(1900, Restarts.longestPause(beats, 1050, 1200), "the 1100 -> 3000 pause began during the restart");
    assertEquals(100, Restarts.longestPause(beats, 950, 1050));
  }

  @Test
  void spreadIsMedianAndMaxOrNone() {
    assertEquals(new Spread(30, 50), Spread.of(List.of(50L, 10L, 30L)));
    assertEquals(new Spread(40, 40), Spread.of(List.of(40L, 30L)), "the upper median of an even count");
    assertEquals(Spread.NONE, Spread.of(List.of()));
  }
}
