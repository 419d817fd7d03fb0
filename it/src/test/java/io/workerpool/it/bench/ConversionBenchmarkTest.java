package io.workerpool.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The conversion benchmark's path, small: every pooled container converted on its node, accounting untouched. */
class ConversionBenchmarkTest {

  @Test
  void convertsEveryPooledContainerOnItsOwnNodeWithoutMovingTheAccounting() throws Exception {
    ConversionResult result = ConversionBenchmark.run(200, 20, System.out);

    // Counted from AM2's allocate response and the update's worker records, as the RM returned them.
    assertEquals(200, result.convertedContainers(), "containers of attempt 2 in AM2's allocate response");
    assertTrue(result.sameNodes(), "AM2's containers are on AM1's containers' nodes, as many per node");
    assertEquals(200, result.replacedWorkers());
    assertEquals("SUCCEEDED", result.finalPhase());
    // Read from the scheduler: queue tree, user, queue metrics and each node.
    assertEquals(200L * 1024 + 1024, result.usageBefore().queueUsedMb());
    assertEquals(result.usageBefore(), result.usageBeforeConversion(), "AM1 -> AM2 with the workers pooled");
    assertEquals(result.usageBefore(), result.usageAfterConversion());
    assertEquals(result.usageBefore(), result.usageAfterSwaps());
    assertFalse(result.usageAfterSwaps().anyNegative());
    assertTrue(result.convertMedianNanos() > 0 && result.scheduleMedianNanos() > 0);
  }

  @Test
  void aLargeAskIsServedInSeveralLockHoldsOfWholeNodes() throws Exception {
    // 10 containers a node, at most 25 a hold: 2 nodes a hold, 10 holds for one allocate call.
    ConversionResult result = ConversionBenchmark.run(200, 20, false, 25, System.out);

    assertEquals(200, result.convertedContainers(), "every container in AM2's one allocate response");
    assertTrue(result.sameNodes(), "AM2's containers are on AM1's containers' nodes, as many per node");
    assertEquals(200, result.batchTagged(), "each node's new containers are one batch of that node's size");
    assertEquals(200, result.replacedWorkers());
    assertEquals("SUCCEEDED", result.finalPhase());
    assertTrue(result.usageUnchanged(), "queue tree, user, queue metrics and nodes unchanged at every step");
  }
}
