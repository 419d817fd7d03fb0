package io.workerpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.SchedulerNode;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.AbstractLeafQueue;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerApp;

/** The scheduler's own accounting checked against the containers it tracks as running. */
public final class Accounting {
  private Accounting() {
  }

  /** Every node, the root queue and the application's user charge exactly the containers that run. */
  public static void assertUsageEqualsRunningContainers(CapacityScheduler scheduler, ApplicationId appId) {
    long nodesRunning = 0;
    for (SchedulerNode node : scheduler.getAllNodes()) {
      long running = node.getCopiedListOfRunningContainers().stream()
          .mapToLong(c -> c.getAllocatedResource().getMemorySize()).sum();
      assertEquals(running, node.getAllocatedResource().getMemorySize(), "node " + node.getNodeID()
          + " charges what runs on it");
      nodesRunning += running;
    }
    assertEquals(nodesRunning, scheduler.getRootQueue().getQueueResourceUsage().getUsed().getMemorySize(),
        "the root queue charges what runs on the nodes");
    FiCaSchedulerApp app = scheduler.getApplicationAttempt(
        scheduler.getSchedulerApplications().get(appId).getCurrentAppAttempt().getApplicationAttemptId());
    long appRunning = app.getLiveContainers().stream().mapToLong(c -> c.getAllocatedResource().getMemorySize()).sum();
    AbstractLeafQueue queue = app.getCSLeafQueue();
    assertEquals(appRunning, queue.getUser(app.getUser()).getUsed().getMemorySize(),
        "the user " + app.getUser() + " is charged what the application runs: " + app.getLiveContainers().stream()
            .map(RMContainer::getContainerId).toList());
  }
}
