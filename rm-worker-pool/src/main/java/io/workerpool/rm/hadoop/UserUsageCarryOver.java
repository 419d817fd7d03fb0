package io.workerpool.rm.hadoop;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.AbstractLeafQueue;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerApp;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerNode;

/**
 * Keeps an updated application's kept containers charged to its user in the leaf queue.
 *
 * <p>When the old attempt is removed and it was its user's last one in the queue, the
 * CapacityScheduler drops the user's record together with its usage
 * ({@code AbstractLeafQueue.removeApplicationAttempt} → {@code UsersManager.removeUser}), although
 * the kept containers stay charged to the queue and the nodes. The new attempt then starts from a
 * user with no usage: user limits undercount, and the kept containers' later completions drive the
 * user's usage negative. (Stock work-preserving AM restart has the same flaw.) For an update, the
 * kept containers are charged again to the new user record as soon as the new attempt exists.
 */
final class UserUsageCarryOver {
  private final WorkerPoolScheduler scheduler;
  private final Set<ApplicationId> dropped = ConcurrentHashMap.newKeySet();

  UserUsageCarryOver(WorkerPoolScheduler scheduler) {
    this.scheduler = scheduler;
  }

  /** Call after the scheduler removed the replaced attempt {@code removed} (its queue still knows the user if other apps run). */
  void attemptRemoved(FiCaSchedulerApp removed) {
    if (removed != null && removed.getCSLeafQueue().getUser(removed.getUser()) == null) {
      dropped.add(removed.getApplicationId());
    }
  }

  /** Call under the scheduler's write lock once the new attempt, which owns the kept containers, is added. */
  void attemptAdded(FiCaSchedulerApp added) {
    if (added == null || !dropped.remove(added.getApplicationId())) {
      return;
    }
    AbstractLeafQueue queue = added.getCSLeafQueue();
    for (RMContainer container : added.getLiveContainers()) {
      FiCaSchedulerNode node = scheduler.getNode(container.getNodeId());
      // AM containers too: the old AM's held place is one of the kept containers.
      if (node != null) {
        queue.getUsersManager().updateUserResourceUsage(added.getUser(), container.getAllocatedResource(),
            scheduler.getClusterResource(), node.getPartition(), true);
      }
    }
  }
}
