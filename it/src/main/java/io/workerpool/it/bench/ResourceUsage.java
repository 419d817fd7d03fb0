package io.workerpool.it.bench;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.SchedulerNode;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.AbstractLeafQueue;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;

/**
 * What the scheduler charges, read from its own accounting: queue tree, user, queue metrics and
 * every node. A conversion must leave all of it unchanged and nothing negative.
 *
 * @param perNodeMb memory allocated on each node, by node id
 */
public record ResourceUsage(long rootUsedMb, long queueUsedMb, long userUsedMb, long metricsAllocatedMb,
    int metricsAllocatedContainers, SortedMap<String, Long> perNodeMb, long minNodeUnallocatedMb) {

  static ResourceUsage read(CapacityScheduler scheduler, String queue, String user, Iterable<NodeId> nodes) {
    AbstractLeafQueue leaf = (AbstractLeafQueue) scheduler.getQueue(queue);
    SortedMap<String, Long> perNode = new TreeMap<>();
    long minUnallocated = Long.MAX_VALUE;
    for (NodeId id : nodes) {
      SchedulerNode node = scheduler.getSchedulerNode(id);
      perNode.put(id.toString(), node.getAllocatedResource().getMemorySize());
      minUnallocated = Math.min(minUnallocated, node.getUnallocatedResource().getMemorySize());
    }
    return new ResourceUsage(
        scheduler.getRootQueue().getQueueResourceUsage().getUsed().getMemorySize(),
        leaf.getQueueResourceUsage().getUsed().getMemorySize(),
        leaf.getUser(user).getUsed().getMemorySize(),
        scheduler.getRootQueueMetrics().getAllocatedMB(),
        scheduler.getRootQueueMetrics().getAllocatedContainers(),
        perNode, minUnallocated);
  }

  public boolean anyNegative() {
    return rootUsedMb < 0 || queueUsedMb < 0 || userUsedMb < 0 || metricsAllocatedMb < 0
        || metricsAllocatedContainers < 0 || minNodeUnallocatedMb < 0
        || perNodeMb.values().stream().anyMatch(mb -> mb < 0);
  }

  public long nodesAllocatedMb() {
    return perNodeMb.values().stream().mapToLong(Long::longValue).sum();
  }

  /** One line for people; the per-node map is summed. */
  public String summary() {
    return String.format("root %d MB, queue %d MB, user %d MB, metrics %d MB in %d containers, nodes %d MB"
        + " (least free on a node %d MB)", rootUsedMb, queueUsedMb, userUsedMb, metricsAllocatedMb,
        metricsAllocatedContainers, nodesAllocatedMb(), minNodeUnallocatedMb);
  }

  static Map<String, Long> difference(ResourceUsage before, ResourceUsage after) {
    Map<String, Long> changed = new TreeMap<>();
    after.perNodeMb.forEach((node, mb) -> {
      long delta = mb - before.perNodeMb.getOrDefault(node, 0L);
      if (delta != 0) {
        changed.put(node, delta);
      }
    });
    return changed;
  }
}
