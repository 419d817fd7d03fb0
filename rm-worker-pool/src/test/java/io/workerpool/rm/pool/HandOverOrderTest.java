package io.workerpool.rm.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class HandOverOrderTest {
  /** Containers named node:number. */
  private static String node(String container) {
    return container.substring(0, container.indexOf(':'));
  }

  @Test
  void takesOneContainerOfEachNodeInTurn() {
    List<String> grouped = List.of("a:1", "a:2", "a:3", "b:4", "b:5", "c:6");
    assertEquals(List.of("a:1", "b:4", "c:6", "a:2", "b:5", "a:3"), HandOverOrder.interleaved(grouped,
        HandOverOrderTest::node));
  }

  @Test
  void keepsEachNodesOwnOrderAndTheNodesFirstSeenOrder() {
    List<String> mixed = List.of("b:9", "a:2", "b:1", "a:7");
    assertEquals(List.of("b:9", "a:2", "b:1", "a:7"), HandOverOrder.interleaved(mixed, HandOverOrderTest::node));
  }

  @Test
  void leavesOneNodeAndNothingAsTheyAre() {
    assertEquals(List.of("a:3", "a:1"), HandOverOrder.interleaved(List.of("a:3", "a:1"), HandOverOrderTest::node));
    assertEquals(List.of(), HandOverOrder.interleaved(List.<String>of(), HandOverOrderTest::node));
  }
}
