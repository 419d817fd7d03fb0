package io.workerpool.nm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class NmWorkerPoolConfigTest {
  @Test
  void defaults() {
    assertEquals(new NmWorkerPoolConfig(5_000, 60_000, 30_000, 60_000, 30_000), NmWorkerPoolConfig.from(new Configuration(false)));
  }

  @Test
  void readsTheKeys() {
    Configuration conf = new Configuration(false);
    conf.setLong("yarn.nodemanager.worker-pool.stop-grace-ms", 100);
    conf.setLong("yarn.nodemanager.worker-pool.stop-timeout-ms", 2_000);
    conf.setLong("yarn.nodemanager.worker-pool.recovery-wait-ms", 0);
    conf.setLong("yarn.nodemanager.worker-pool.prepare-timeout-ms", 3_000);
    conf.setLong("yarn.nodemanager.worker-pool.batch-wait-ms", 700);
    assertEquals(new NmWorkerPoolConfig(100, 2_000, 0, 3_000, 700), NmWorkerPoolConfig.from(conf));
  }

  @Test
  void theStopTimeoutMustOutlastTheGrace() {
    assertThrows(IllegalArgumentException.class, () -> new NmWorkerPoolConfig(5_000, 5_000, 0, 0, 0));
  }

  @Test
  void negativeWaitsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new NmWorkerPoolConfig(-1, 1_000, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new NmWorkerPoolConfig(0, 1_000, -1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new NmWorkerPoolConfig(0, 1_000, 0, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> new NmWorkerPoolConfig(0, 1_000, 0, 0, -1));
  }
}
