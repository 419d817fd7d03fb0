package io.workerpool.rm.hadoop;

import io.workerpool.rm.pool.PooledWorker;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerExitStatus;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.nodelabels.CommonNodeLabelsManager;
import org.apache.hadoop.yarn.server.api.protocolrecords.NMContainerStatus;
import org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerImpl;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerRecoverEvent;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerApp;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerNode;
import org.apache.hadoop.yarn.server.scheduler.SchedulerRequestKey;
import org.apache.hadoop.yarn.util.resource.Resources;

/**
 * Undoes a conversion whose new container never started: the old container C1, which the RM let
 * go of (or which a restarted RM does not know yet) but which still runs on its node, is tracked
 * again under the application's current attempt, exactly as work-preserving recovery re-creates a
 * container an NM reports as running ({@code AbstractYarnScheduler.recoverContainersOnNode}, without
 * its keep-containers check: pooled workers are kept for an update whatever that flag says).
 */
final class ContainerTakeBack {
  private final WorkerPoolScheduler scheduler;

  ContainerTakeBack(WorkerPoolScheduler scheduler) {
    this.scheduler = scheduler;
  }

  /**
   * Runs under the scheduler's write lock, from the Worker Pool engine (a failed swap) or from recovery (a
   * restarted RM pools an old container again), like stock recovery of a reported container.
   */
  boolean takeBack(PooledWorker worker) {
    return takeBack(worker, false);
  }

  /**
   * @param amContainer the place is AM1's, held for the new AM's container: tracked as an AM container (after the
   *     queue recovered it, as stock recovery marks a recovered master container)
   */
  boolean takeBack(PooledWorker worker, boolean amContainer) {
    ContainerId id = worker.containerId();
    FiCaSchedulerApp app = scheduler.getCurrentAttemptForContainer(id);
    FiCaSchedulerNode node = scheduler.getNode(worker.nodeId());
    if (app == null || app.isStopped() || app.getRMContainer(id) != null || node == null
        || node.getRMNode().getState() != NodeState.RUNNING
        // As the scheduler counts (memory only with the default calculator): vcores are often overcommitted.
        || !Resources.fitsIn(scheduler.getResourceCalculator(), worker.resource(), node.getUnallocatedResource())) {
      return false;
    }
    Container container = Container.newInstance(id, node.getNodeID(), node.getRMNode().getHttpAddress(),
        worker.resource(), Priority.UNDEFINED, null);
    container.setExecutionType(ExecutionType.GUARANTEED);
    RMContainerImpl c1 = new RMContainerImpl(container, SchedulerRequestKey.extractFrom(container),
        id.getApplicationAttemptId(), node.getNodeID(), app.getUser(), scheduler.getRMContext(),
        worker.pooledAtMs(), CommonNodeLabelsManager.NO_LABEL);
    c1.setQueueName(app.getQueueName());
    c1.handle(new RMContainerRecoverEvent(id, NMContainerStatus.newInstance(id, 0, ContainerState.RUNNING,
        worker.resource(), "", ContainerExitStatus.INVALID, Priority.UNDEFINED, worker.pooledAtMs())));
    node.recoverContainer(c1);
    app.getCSLeafQueue().recoverContainer(scheduler.getClusterResource(), app, c1);
    app.recoverContainer(node, c1);
    c1.setAMContainer(amContainer);
    RMAuditLogger.logSuccess(app.getUser(), "Worker Pool Take Back Container", "WorkerPoolScheduler",
        app.getApplicationId(), id, worker.resource(), app.getQueueName(), null);
    return true;
  }
}
