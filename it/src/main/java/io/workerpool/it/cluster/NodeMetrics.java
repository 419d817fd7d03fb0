package io.workerpool.it.cluster;

import java.lang.reflect.Field;
import org.apache.hadoop.metrics2.lib.MutableCounterLong;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/** NodeManager counters read straight from each NM (JMX names collide with several NMs in one JVM). */
public final class NodeMetrics {
  private NodeMetrics() {
  }

  /** Bytes all NodeManagers of the cluster downloaded (localization cache misses). */
  public static long cacheMissBytes(MiniYARNCluster yarn, int nodeManagers) throws ReflectiveOperationException {
    long total = 0;
    for (int i = 0; i < nodeManagers; i++) {
      Object metrics = yarn.getNodeManager(i).getNMContext().getNodeManagerMetrics();
      Field field = metrics.getClass().getDeclaredField("localizedCacheMissBytes");
      field.setAccessible(true);
      total += ((MutableCounterLong) field.get(metrics)).value();
    }
    return total;
  }
}
