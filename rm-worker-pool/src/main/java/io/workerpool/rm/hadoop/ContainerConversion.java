package io.workerpool.rm.hadoop;

import io.workerpool.protocol.ReplacementContract;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerEventType;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerImpl;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerState;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.NodeType;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.SchedulingMode;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.ContainerAllocationProposal;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.ResourceCommitRequest;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.SchedulerContainer;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerApp;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerNode;
import org.apache.hadoop.yarn.server.scheduler.SchedulerRequestKey;
import org.apache.hadoop.yarn.server.utils.BuilderUtils;
import org.apache.hadoop.yarn.util.resource.Resources;

/**
 * Turns a pooled container C1 into a new container C3 of the new attempt on the same node with
 * the same resource, as one step under the scheduler's write lock (the caller holds it).
 *
 * <p>It mirrors {@code FiCaSchedulerApp.apply} without the allocation checks: C1 is completed
 * with FINISHED (the only completion that does not make the RM tell the NodeManager to kill it),
 * C3 is added to the application, the node and the queue tree; once all of one allocate call's
 * conversions are done, {@link #handOver} puts them in the attempt's newly allocated containers,
 * so the AM receives them with their tokens and NMTokens in this allocate response. Locality
 * counters are left alone, so a conversion is never counted as scheduling.
 */
final class ContainerConversion {
  private final WorkerPoolScheduler scheduler;

  ContainerConversion(WorkerPoolScheduler scheduler) {
    this.scheduler = scheduler;
  }

  /**
   * @param heldAmPlace C1 is AM1's held place and C3 becomes the new AM's container (no replace mark: there is
   *     nothing on the node to replace)
   * @return C3, to be handed over, or null when C1 can no longer be converted (ended, node gone)
   */
  RMContainer convert(FiCaSchedulerApp app, ContainerId oldId, SchedulerRequestKey key, String updateId,
      boolean heldAmPlace) {
    RMContainer c1 = app.getRMContainer(oldId);
    if (c1 == null || c1.getState() != RMContainerState.RUNNING || c1.isAMContainer() != heldAmPlace) {
      return null;
    }
    FiCaSchedulerNode node = scheduler.getNode(c1.getNodeId());
    if (node == null || node.getRMNode().getState() != NodeState.RUNNING) {
      return null;
    }
    Resource resource = Resources.clone(c1.getAllocatedResource());
    String partition = node.getPartition();
    ContainerId newId = BuilderUtils.newContainerId(app.getApplicationAttemptId(), app.getNewContainerId());

    ContainerStatus replaced = ContainerStatus.newInstance(oldId, ContainerState.COMPLETE,
        ReplacementContract.replacedDiagnostic(oldId.toString(), newId.toString()) + " [" + updateId + "]",
        ReplacementContract.REPLACED_EXIT_STATUS);
    scheduler.completedContainer(c1, replaced, RMContainerEventType.FINISHED);
    // A RUNNING container stays charged to its node until the NM reports it gone; C3 takes its place now.
    node.releaseContainer(oldId, true);

    Container container = BuilderUtils.newContainer(newId, node.getNodeID(), node.getRMNode().getHttpAddress(),
        resource, key.getPriority(), null, ExecutionType.GUARANTEED, key.getAllocationRequestId());
    RMContainerImpl c3 = new RMContainerImpl(container, key, app.getApplicationAttemptId(), node.getNodeID(),
        app.getUser(), scheduler.getRMContext(), c1.getNodeLabelExpression());
    // Tags go into the RM-signed container token: the NodeManager trusts only this mark.
    if (!heldAmPlace) {
      c3.setAllocationTags(Set.of(ReplacementContract.replacesTag(oldId.toString())));
    }
    c3.setQueueName(app.getQueueName());

    app.addRMContainer(newId, c3);
    app.getAppAttemptResourceUsage().incUsed(partition, resource);
    c3.handle(new RMContainerEvent(newId, RMContainerEventType.START));
    node.allocateContainer(c3);

    SchedulerContainer<FiCaSchedulerApp, FiCaSchedulerNode> placed =
        new SchedulerContainer<>(app, node, c3, partition, true);
    app.getCSLeafQueue().apply(scheduler.getClusterResource(), new ResourceCommitRequest<>(
        Collections.singletonList(new ContainerAllocationProposal<>(placed, Collections.emptyList(), null,
            NodeType.OFF_SWITCH, NodeType.OFF_SWITCH, SchedulingMode.RESPECT_PARTITION_EXCLUSIVITY, resource)),
        null, null));
    app.getQueue().getMetrics().allocateResources(partition, app.getUser(), 1, resource, false);

    RMAuditLogger.logSuccess(app.getUser(), "Worker Pool Convert Container", "WorkerPoolScheduler",
        app.getApplicationId(), newId, resource, app.getQueueName(), partition.isEmpty() ? null : partition);
    return c3;
  }

  /**
   * Gives the AM the containers converted under this write lock. Not done per conversion: each C1's
   * completion removes it from the attempt's newly allocated containers by scanning that list
   * ({@code FiCaSchedulerApp.containerCompleted}), so growing it while converting would make a
   * pool of n containers cost n² comparisons (10,000 containers: a median of 250 µs each instead of 35).
   */
  void handOver(FiCaSchedulerApp app, List<RMContainer> converted) {
    for (RMContainer c3 : converted) {
      app.addToNewlyAllocatedContainers(scheduler.getNode(c3.getNodeId()), c3);
    }
  }
}
