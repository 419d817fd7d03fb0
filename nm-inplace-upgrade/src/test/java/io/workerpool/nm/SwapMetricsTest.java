package io.workerpool.nm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.hadoop.metrics2.lib.DefaultMetricsSystem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Several NodeManagers in one JVM, as in MiniYARNCluster, with the metrics system running. */
class SwapMetricsTest {
  private final MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();

  @BeforeEach
  void startMetricsSystem() {
    DefaultMetricsSystem.initialize("NodeManager");
  }

  @AfterEach
  void stopMetricsSystem() {
    DefaultMetricsSystem.shutdown();
  }

  @Test
  void eachNodeManagerHasItsOwnSource() throws Exception {
    SwapMetrics first = SwapMetrics.register("localhost:1001");
    SwapMetrics second = SwapMetrics.register("localhost:1002");
    first.swapsStarted.incr();
    second.swapsFailed.incr(2);

    assertEquals(1, first.swapsStarted());
    assertEquals(0, first.swapsFailed());
    assertEquals(0, second.swapsStarted());
    assertEquals(2, second.swapsFailed());
    ObjectName firstBean = new ObjectName("Hadoop:service=NodeManager,name=WorkerPoolNodeManager");
    ObjectName secondBean = new ObjectName("Hadoop:service=NodeManager,name=WorkerPoolNodeManager-localhost_1002");
    // JMX serves cached snapshots: check the beans are there, not their current values.
    assertTrue(jmx.getAttribute(firstBean, "SwapsStarted") instanceof Long);
    assertTrue(jmx.getAttribute(secondBean, "SwapGapMsNumOps") instanceof Long);

    first.unregister();
    second.unregister();
    assertFalse(jmx.isRegistered(firstBean));
    assertFalse(jmx.isRegistered(secondBean));
  }

  @Test
  void aRestartedNodeManagerRegistersAgain() {
    SwapMetrics.register("localhost:1001").unregister();
    SwapMetrics again = SwapMetrics.register("localhost:1001");
    again.swapsDone.incr();
    assertEquals(1, again.swapsDone());
    again.unregister();
  }
}
