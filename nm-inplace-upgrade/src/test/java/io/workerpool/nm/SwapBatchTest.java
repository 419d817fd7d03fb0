package io.workerpool.nm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SwapBatchTest {
  @Test
  void firesOnceEveryMemberIsPreparedOrDropped() {
    SwapBatch batch = new SwapBatch(3, 1_000);
    batch.prepared(0);
    batch.dropped();
    assertFalse(batch.fire(10));
    batch.prepared(20);
    assertTrue(batch.fire(20));
    assertTrue(batch.complete());
  }

  @Test
  void firesWhenTheFirstPreparedMemberHasWaitedItsBound() {
    SwapBatch batch = new SwapBatch(2, 1_000);
    assertFalse(batch.fire(5_000), "nothing prepared: nothing to stop");
    batch.prepared(100);
    assertFalse(batch.fire(1_099));
    assertTrue(batch.fire(1_100));
    assertTrue(batch.fire(1_101), "a member prepared later is stopped at once");
    assertFalse(batch.complete(), "a member has not come");
  }
}
