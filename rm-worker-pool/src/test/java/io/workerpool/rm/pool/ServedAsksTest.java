package io.workerpool.rm.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ServedAsksTest {

  private static List<Integer> replay(ServedAsks<String> asks, int... sent) {
    return java.util.Arrays.stream(sent).map(n -> asks.adjust("k", n)).boxed().toList();
  }

  @Test
  void theAmCountingDownWhatThePoolServedAsksForNothing() {
    ServedAsks<String> asks = new ServedAsks<>();
    asks.served("k", 4, 4);

    assertEquals(List.of(0, 0, 0, 0), replay(asks, 3, 2, 1, 0));
  }

  @Test
  void whatThePoolCouldNotServeStillReachesTheScheduler() {
    ServedAsks<String> asks = new ServedAsks<>();
    asks.served("k", 6, 4);

    assertEquals(List.of(2, 2, 2, 2), replay(asks, 5, 3, 2, 2));
  }

  @Test
  void aRiseIsNewDemand() {
    ServedAsks<String> asks = new ServedAsks<>();
    asks.served("k", 4, 4);

    assertEquals(List.of(0, 2, 2, 2), replay(asks, 3, 5, 4, 2));
  }

  @Test
  void onceTheAmHasCaughtUpCountsPassUnchanged() {
    ServedAsks<String> asks = new ServedAsks<>();
    asks.served("k", 4, 3);

    assertEquals(List.of(1, 3, 2), replay(asks, 1, 3, 2));
  }

  @Test
  void otherKeysAreUntouched() {
    ServedAsks<String> asks = new ServedAsks<>();
    asks.served("k", 4, 4);

    assertEquals(7, asks.adjust("other", 7));
  }

  @Test
  void anAskAskedAgainForTheAmKeepsTheAmsOwnCountToCountDownFrom() {
    ServedAsks<String> asks = new ServedAsks<>();
    // The AM asked for 4; the pool served 2, the other 2 were held back and are asked again for the AM later.
    asks.served("k", 4, 2);
    asks.served("k", 2, 2);

    assertEquals(List.of(0, 0, 0, 0), replay(asks, 3, 2, 1, 0));
  }
}
