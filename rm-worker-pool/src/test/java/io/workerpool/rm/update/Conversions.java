package io.workerpool.rm.update;

import io.workerpool.rm.pool.PoolMatch;
import org.apache.hadoop.yarn.api.records.ContainerId;

/** Reports a claimed worker converted as the scheduler does: the swap under the write lock, then the record. */
final class Conversions {
  private Conversions() {
  }

  static void convert(UpdateManager updates, PoolMatch match, ContainerId newId, long conversionNanos) {
    updates.converted(match, newId);
    updates.recordConversion(match, newId, conversionNanos, 0);
  }
}
