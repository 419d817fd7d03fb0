package io.workerpool.nm;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.metrics2.annotation.Metric;
import org.apache.hadoop.metrics2.annotation.Metrics;
import org.apache.hadoop.metrics2.lib.DefaultMetricsSystem;
import org.apache.hadoop.metrics2.lib.MutableCounterLong;
import org.apache.hadoop.metrics2.lib.MutableRate;

/**
 * In-place replacements on one NodeManager, as the metrics2 source {@value #SOURCE} (JMX
 * {@code Hadoop:service=NodeManager,name=WorkerPoolNodeManager}). Several NodeManagers in one JVM
 * (MiniYARNCluster) register {@value #SOURCE}-&lt;host_port&gt; after the first.
 */
@Metrics(about = "Worker Pool in-place container replacements", context = "yarn")
public class SwapMetrics {
  static final String SOURCE = "WorkerPoolNodeManager";
  private static final Set<String> REGISTERED = ConcurrentHashMap.newKeySet();

  @Metric("Replacements whose old container was asked to stop")
  MutableCounterLong swapsStarted;
  @Metric("Replacements whose new container was launched after the old one's processes were gone")
  MutableCounterLong swapsDone;
  @Metric("Replacement marks refused, and old containers that did not stop in time")
  MutableCounterLong swapsFailed;
  @Metric("Time from the old container's stop request to the opening of the new container's gate, in ms")
  MutableRate swapGapMs;
  @Metric("Time the new container's stock launch took, up to its process waiting at the gate, in ms (the old"
      + " container still runs meanwhile)")
  MutableRate prepareMs;
  @Metric("Time a prepared new container waited for the rest of its batch before the old one was asked to stop, in ms")
  MutableRate preparedWaitMs;
  @Metric("Old containers asked to stop together, per batch")
  MutableRate batchSize;

  private String sourceName;

  static SwapMetrics register(String nodeId) {
    SwapMetrics metrics = new SwapMetrics();
    // ':' may not appear unquoted in a JMX ObjectName.
    metrics.sourceName = REGISTERED.add(SOURCE) ? SOURCE : SOURCE + "-" + nodeId.replace(':', '_');
    REGISTERED.add(metrics.sourceName);
    return DefaultMetricsSystem.instance().register(metrics.sourceName, null, metrics);
  }

  void unregister() {
    DefaultMetricsSystem.instance().unregisterSource(sourceName);
    REGISTERED.remove(sourceName);
  }

  public long swapsStarted() {
    return swapsStarted.value();
  }

  public long swapsDone() {
    return swapsDone.value();
  }

  public long swapsFailed() {
    return swapsFailed.value();
  }
}
