package io.workerpool.rm.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.workerpool.rm.pool.ServedAsks.AskAgain;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServedAsksTest {
  /** In {@link #replay}: a call that does not send the key's count (AMRMClient sends only changed counts). */
  private static final int UNCHANGED = -1;

  private final ServedAsks<String, String> asks = new ServedAsks<>();
  private final List<AskAgain<String>> askedAgain = new ArrayList<>();

  /** One allocate call per count the AM sends; returns what reaches the scheduler for each sent count. */
  private List<Integer> replay(int... sent) {
    List<Integer> passed = new ArrayList<>();
    for (int count : sent) {
      if (count != UNCHANGED) {
        passed.add(asks.adjust("k", "ask", count));
      }
      askedAgain.addAll(asks.settled());
    }
    return passed;
  }

  private static int[] quietCalls(int calls) {
    int[] quiet = new int[calls];
    Arrays.fill(quiet, UNCHANGED);
    return quiet;
  }

  @Test
  void theAmCountingDownWhatThePoolServedAsksForNothing() {
    asks.served("k", "ask", 4, 4);

    assertEquals(List.of(0, 0, 0, 0), replay(3, 2, 1, 0));
    replay(quietCalls(10));
    assertEquals(List.of(), askedAgain);
  }

  @Test
  void whatThePoolCouldNotServeStillReachesTheScheduler() {
    asks.served("k", "ask", 6, 4);

    assertEquals(List.of(2, 2, 2, 2), replay(5, 3, 2, 2));
  }

  @Test
  void aRiseIsNewDemand() {
    asks.served("k", "ask", 4, 4);

    assertEquals(List.of(0, 2, 2, 2), replay(3, 5, 4, 2));
  }

  @Test
  void onceTheAmHasCaughtUpCountsPassUnchanged() {
    asks.served("k", "ask", 4, 3);

    assertEquals(List.of(1, 3, 2), replay(1, 3, 2));
  }

  @Test
  void otherKeysAreUntouched() {
    asks.served("k", "ask", 4, 4);

    assertEquals(7, asks.adjust("other", "ask", 7));
  }

  @Test
  void anAskAskedAgainForTheAmKeepsTheAmsOwnCountToCountDownFrom() {
    // The AM asked for 4; the pool served 2, the other 2 were held back and are asked again for the AM later.
    asks.served("k", "ask", 4, 2);
    asks.served("k", "ask", 2, 2);

    assertEquals(List.of(0, 0, 0, 0), replay(3, 2, 1, 0));
  }

  @Test
  void anAmThatTookTheServedAskOffBeforeAskingForMoreIsAskedAgainForWhatItStillWaitsFor() {
    // Seen in UpdateStressTest: the AM's first heartbeat carried 1 of its 16 asks; it took the served one off and
    // had added the other 15 by its next heartbeat. The rise 1 -> 15 reads as "1 stale + 14 new".
    asks.served("k", "ask", 1, 1);
    assertEquals(List.of(14), replay(15));
    asks.served("k", "ask", 14, 14);

    // The AM takes the 14 off: 1 is left, which it waits for and never sends again.
    assertEquals(List.of(0), replay(1));
    replay(quietCalls(ServedAsks.SETTLED_AFTER_QUIET_CALLS - 1));
    assertEquals(List.of(), askedAgain, "not before the count has settled");
    replay(quietCalls(1));
    assertEquals(List.of(new AskAgain<>("ask", 1)), askedAgain);

    replay(quietCalls(10));
    assertEquals(1, askedAgain.size(), "asked again once");
  }

  @Test
  void anAmThatNeverTakesServedAsksOffIsNeverAskedAgain() {
    // distributedshell: its count only rises; a rise after a serve is the old count plus new demand.
    asks.served("k", "ask", 1, 1);
    assertEquals(List.of(15), replay(16));
    asks.served("k", "ask", 15, 15);

    replay(quietCalls(10));
    assertEquals(List.of(), askedAgain);
  }

  @Test
  void anAskAskedAgainThatThePoolServedIsNotAskedAgainBeforeTheAmTakesItOff() {
    asks.served("k", "ask", 1, 1);
    replay(15);
    asks.served("k", "ask", 14, 14);
    replay(1);
    replay(quietCalls(ServedAsks.SETTLED_AFTER_QUIET_CALLS));
    asks.served("k", "ask", 1, 1);

    replay(quietCalls(10));
    assertEquals(List.of(0), replay(0));
    replay(quietCalls(10));
    assertEquals(List.of(new AskAgain<>("ask", 1)), askedAgain, "only the first time");
  }
}
