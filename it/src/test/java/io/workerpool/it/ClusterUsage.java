package io.workerpool.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.SchedulerApplication;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.AbstractLeafQueue;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;

/**
 * What the ResourceManager charges (each node, the root queue, each user of the leaf queue) against what really
 * runs: the containers the NodeManagers run. Not the Worker Pool's records. Queue metrics are not used: with two
 * RMs in one JVM they are static and shared.
 */
public final class ClusterUsage {
  private ClusterUsage() {
  }

  /**
   * Memory the scheduler could still give out. Counted as the root queue does, with reservations: a waiting
   * application's reservation on a full node caps the queue, and the memory left on another node stays unused.
   */
  public static long freeMb(CapacityScheduler scheduler) {
    return scheduler.getClusterResource().getMemorySize()
        - scheduler.getRootQueue().getQueueResourceUsage().getUsed().getMemorySize();
  }

  /** Waits until every charge equals the running containers (completions reach the RM with node heartbeats). */
  public static void awaitChargesEqualRunningContainers(MiniYARNCluster yarn, ResourceManager rm, int nodeManagers,
      String leafQueue) {
    awaitChargesEqualRunningContainers(yarn, rm, nodeManagers, leafQueue, Set.of());
  }

  /**
   * The same, leaving out on both sides the containers of {@code leftOut} (applications whose containers come and
   * go all the time, so that the RM's and the nodes' views of them never meet at one instant).
   */
  public static void awaitChargesEqualRunningContainers(MiniYARNCluster yarn, ResourceManager rm, int nodeManagers,
      String leafQueue, Set<ApplicationId> leftOut) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> assertEquals(
        running(yarn, nodeManagers, leftOut), charged(rm, yarn, nodeManagers, leafQueue, leftOut)));
  }

  /** Memory MB and vcores per node, the total, and per user of the leaf queue, as the NodeManagers run them. */
  static Map<String, String> running(MiniYARNCluster yarn, int nodeManagers, Set<ApplicationId> leftOut) {
    Map<String, String> usage = new TreeMap<>();
    Resource total = Resource.newInstance(0, 0);
    Map<String, Resource> users = new TreeMap<>();
    for (int i = 0; i < nodeManagers; i++) {
      NodeManager nm = yarn.getNodeManager(i);
      Resource node = Resource.newInstance(0, 0);
      for (Container container : nm.getNMContext().getContainers().values()) {
        if (container.getContainerState() == ContainerState.RUNNING
            && !leftOut.contains(container.getContainerId().getApplicationAttemptId().getApplicationId())) {
          add(node, container.getResource());
          add(users.computeIfAbsent(container.getUser(), u -> Resource.newInstance(0, 0)), container.getResource());
        }
      }
      usage.put("node " + nm.getNMContext().getNodeId(), show(node));
      add(total, node);
    }
    usage.put("root queue", show(total));
    users.forEach((user, used) -> usage.put("user " + user, show(used)));
    return usage;
  }

  static Map<String, String> charged(ResourceManager rm, MiniYARNCluster yarn, int nodeManagers, String leafQueue,
      Set<ApplicationId> leftOut) {
    CapacityScheduler scheduler = (CapacityScheduler) rm.getResourceScheduler();
    Map<String, String> usage = new TreeMap<>();
    QueueChargesNotRunning notRunning = new QueueChargesNotRunning(leafQueue);
    for (int i = 0; i < nodeManagers; i++) {
      NodeId nodeId = yarn.getNodeManager(i).getNMContext().getNodeId();
      if (scheduler.getSchedulerNode(nodeId) == null) {
        // Right after a failover a node may not have registered with the active RM yet: the charges differ, retry.
        usage.put("node " + nodeId, "not registered with the active RM");
        continue;
      }
      Resource used = Resource.newInstance(0, 0);
      add(used, scheduler.getNodeReport(nodeId).getUsedResource());
      RMContainer reservation = scheduler.getSchedulerNode(nodeId).getReservedContainer();
      if (reservation != null) {
        // A queue charges a reservation, a node and the NodeManager do not: it is nothing that runs.
        notRunning.add(scheduler, reservation, reservation.getReservedResource());
      }
      for (RMContainer container : scheduler.getSchedulerNode(nodeId).getCopiedListOfRunningContainers()) {
        if (leftOut.contains(container.getApplicationAttemptId().getApplicationId())) {
          subtract(used, container.getAllocatedResource());
          notRunning.add(scheduler, container, container.getAllocatedResource());
        }
      }
      usage.put("node " + nodeId, show(used));
    }
    Resource root = Resource.newInstance(0, 0);
    add(root, scheduler.getRootQueue().getQueueResourceUsage().getUsed());
    subtract(root, notRunning.total);
    usage.put("root queue", show(root));
    AbstractLeafQueue queue = (AbstractLeafQueue) scheduler.getQueue(leafQueue);
    List<String> users = new ArrayList<>(queue.getAllUsers());
    for (String user : users) {
      Resource used = Resource.newInstance(0, 0);
      add(used, queue.getUser(user).getUsed());
      subtract(used, notRunning.byLeafQueueUser.getOrDefault(user, Resource.newInstance(0, 0)));
      if (used.getMemorySize() != 0 || used.getVirtualCores() != 0) {
        usage.put("user " + user, show(used));
      }
    }
    return usage;
  }

  /** What the queues charge that no NodeManager runs: reservations, and the left-out applications' containers. */
  private static final class QueueChargesNotRunning {
    final String leafQueue;
    final Resource total = Resource.newInstance(0, 0);
    final Map<String, Resource> byLeafQueueUser = new TreeMap<>();

    QueueChargesNotRunning(String leafQueue) {
      this.leafQueue = leafQueue;
    }

    void add(CapacityScheduler scheduler, RMContainer container, Resource resource) {
      ClusterUsage.add(total, resource);
      SchedulerApplication<?> app = scheduler.getSchedulerApplications()
          .get(container.getApplicationAttemptId().getApplicationId());
      if (app.getQueue().getQueueName().equals(leafQueue)) {
        ClusterUsage.add(byLeafQueueUser.computeIfAbsent(app.getUser(), u -> Resource.newInstance(0, 0)), resource);
      }
    }
  }

  private static void add(Resource sum, Resource more) {
    sum.setMemorySize(sum.getMemorySize() + more.getMemorySize());
    sum.setVirtualCores(sum.getVirtualCores() + more.getVirtualCores());
  }

  private static void subtract(Resource sum, Resource less) {
    sum.setMemorySize(sum.getMemorySize() - less.getMemorySize());
    sum.setVirtualCores(sum.getVirtualCores() - less.getVirtualCores());
  }

  private static String show(Resource resource) {
    return resource.getMemorySize() + " MB, " + resource.getVirtualCores() + " vcores";
  }
}
