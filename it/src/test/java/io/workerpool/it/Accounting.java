package io.workerpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.SchedulerNode;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.AbstractLeafQueue;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerApp;

/** The scheduler's own accounting checked against the containers it tracks as running. */
public final class Accounting {
  private Accounting() {
  }

  /**
   * Every node and the root queue charge exactly the containers that run (held places included). A queue also
   * charges its applications' reservations (a waiting application reserves a full node), so those are added to what
   * runs; a node does not.
   */
  public static void assertNodesAndRootQueueChargeWhatRuns(CapacityScheduler scheduler) {
    long nodesRunning = 0;
    long reserved = 0;
    for (SchedulerNode node : scheduler.getAllNodes()) {
      long running = node.getCopiedListOfRunningContainers().stream()
          .mapToLong(c -> c.getAllocatedResource().getMemorySize()).sum();
      assertEquals(running, node.getAllocatedResource().getMemorySize(), "node " + node.getNodeID()
          + " charges what runs on it");
      nodesRunning += running;
      RMContainer reservation = node.getReservedContainer();
      reserved += reservation == null ? 0 : reservation.getReservedResource().getMemorySize();
    }
    assertEquals(nodesRunning + reserved,
        scheduler.getRootQueue().getQueueResourceUsage().getUsed().getMemorySize(),
        "the root queue charges what runs on the nodes (" + nodesRunning + " MB) and is reserved on them ("
            + reserved + " MB)");
  }

  /** Every node, the root queue and the application's user charge exactly the containers that run. */
  public static void assertUsageEqualsRunningContainers(CapacityScheduler scheduler, ApplicationId appId) {
    assertNodesAndRootQueueChargeWhatRuns(scheduler);
    FiCaSchedulerApp app = scheduler.getApplicationAttempt(
        scheduler.getSchedulerApplications().get(appId).getCurrentAppAttempt().getApplicationAttemptId());
    AbstractLeafQueue queue = app.getCSLeafQueue();
    long userRunning = 0;
    List<ContainerId> userContainers = new ArrayList<>();
    for (FiCaSchedulerApp other : queue.getApplications()) {
      if (other.getUser().equals(app.getUser())) {
        for (RMContainer container : other.getLiveContainers()) {
          userRunning += container.getAllocatedResource().getMemorySize();
          userContainers.add(container.getContainerId());
        }
        for (RMContainer reservation : other.getReservedContainers()) {
          userRunning += reservation.getReservedResource().getMemorySize();
          userContainers.add(reservation.getContainerId());
        }
      }
    }
    assertEquals(userRunning, queue.getUser(app.getUser()).getUsed().getMemorySize(),
        "the user " + app.getUser() + " is charged what its applications run and reserve: " + userContainers);
  }
}
