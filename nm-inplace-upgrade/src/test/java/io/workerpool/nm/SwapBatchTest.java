package io.workerpool.nm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SwapBatchTest {
  @Test
  void firesOnceEveryMemberIsPreparedOrDropped() {
    SwapBatch batch = new SwapBatch(3, 1_000, 0);
    batch.prepared(0);
    batch.dropped();
    assertFalse(batch.fire(10, 0));
    batch.prepared(20);
    assertTrue(batch.fire(20, 0));
    assertTrue(batch.complete());
  }

  @Test
  void firesWhenTheFirstPreparedMemberHasWaitedItsBound() {
    SwapBatch batch = new SwapBatch(2, 1_000, 0);
    assertFalse(batch.fire(5_000, 0), "nothing prepared: nothing to stop");
    batch.prepared(100);
    assertFalse(batch.fire(1_099, 0));
    assertTrue(batch.fire(1_100, 0));
    assertTrue(batch.fire(1_101, 0), "a member prepared later is stopped at once");
    assertFalse(batch.complete(), "a member has not come");
  }

  @Test
  void aPreparedBatchWaitsForTheMomentTheResourceManagerSet() {
    SwapBatch batch = new SwapBatch(2, 10_000, 1_796_000_005_000L);
    batch.prepared(100);
    batch.prepared(200);
    assertFalse(batch.fire(300, 1_796_000_004_999L), "every member is prepared, but the moment has not come");
    assertTrue(batch.fire(400, 1_796_000_005_000L));
  }

  @Test
  void theWaitBoundHoldsEvenBeforeTheMoment() {
    SwapBatch batch = new SwapBatch(1, 1_000, 1_796_000_005_000L);
    batch.prepared(100);
    assertFalse(batch.fire(1_099, 1_796_000_000_000L));
    assertTrue(batch.fire(1_100, 1_796_000_000_000L), "a moment further than the bound does not hold the batch");
  }
}
