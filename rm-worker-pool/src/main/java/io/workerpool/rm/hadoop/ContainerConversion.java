package io.workerpool.rm.hadoop;

import io.workerpool.protocol.ReplacementContract;
import io.workerpool.protocol.ReplacementContract.Batch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger;
import org.apache.hadoop.yarn.server.resourcemanager.nodelabels.RMNodeLabelsManager;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerEventType;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerFinishedEvent;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerImpl;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerState;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.NodeType;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.SchedulingMode;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.preemption.KillableContainer;
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
 * <p>C1 and C3 belong to the same application, queue, user and node and hold the same resource,
 * so a conversion is accounting-neutral: it changes only what really changes, never the queue
 * tree's, user's, node's or attempt's usage. C1 is completed with FINISHED (the only completion
 * that does not make the RM tell the NodeManager to kill it; its attempt metrics and history are
 * recorded as for any completion) and leaves the attempt's live containers, the node's containers
 * and the preemption manager; C3 takes its place in both maps. Once the conversions of one hold of
 * the write lock are done, {@link #handOver} gives each C3 its allocation tags (the replacement mark
 * and the node's batch, signed into its container token), starts it and puts it in the attempt's
 * newly allocated containers, so the AM receives them with their tokens and NMTokens in this
 * allocate response. Locality counters and queue metrics' allocated/released counts are left
 * alone, so a conversion is never counted as scheduling.
 *
 * <p>Exception: a C1 placed on a labelled node without asking for its label (non-exclusive
 * partition use) is also in a private set of its leaf queue that only the stock completion and
 * commit update; such a C1 is converted through that bookkeeping (its C3 is started at once and
 * swaps on its own, without a batch).
 */
final class ContainerConversion {
  private final WorkerPoolScheduler scheduler;
  /** C3 to the C1 it replaces, until its hand-over; guarded by the scheduler's write lock. */
  private final Map<RMContainer, ContainerId> replacing = new IdentityHashMap<>();

  ContainerConversion(WorkerPoolScheduler scheduler) {
    this.scheduler = scheduler;
  }

  /**
   * @param amResource null for a worker; else C1 is AM1's held place and C3 becomes the new AM's container with
   *     this resource (the caller checked that it fits on the node): converted through the stock bookkeeping
   *     (the new attempt's AM accounting starts with it), with no replace mark (nothing on the node to replace)
   * @return C3, to be handed over, or null when C1 can no longer be converted (ended, node gone)
   */
  RMContainer convert(FiCaSchedulerApp app, ContainerId oldId, SchedulerRequestKey key, String updateId,
      Resource amResource) {
    boolean heldAmPlace = amResource != null;
    RMContainer c1 = app.getRMContainer(oldId);
    if (c1 == null || c1.getState() != RMContainerState.RUNNING || c1.isAMContainer() != heldAmPlace) {
      return null;
    }
    FiCaSchedulerNode node = scheduler.getNode(c1.getNodeId());
    if (node == null || node.getRMNode().getState() != NodeState.RUNNING) {
      return null;
    }
    Resource resource = Resources.clone(heldAmPlace ? amResource : c1.getAllocatedResource());
    String partition = node.getPartition();
    ContainerId newId = BuilderUtils.newContainerId(app.getApplicationAttemptId(), app.getNewContainerId());
    ContainerStatus replaced = ContainerStatus.newInstance(oldId, ContainerState.COMPLETE,
        ReplacementContract.replacedDiagnostic(oldId.toString(), newId.toString()) + " [" + updateId + "]",
        ReplacementContract.REPLACED_EXIT_STATUS);
    Container container = BuilderUtils.newContainer(newId, node.getNodeID(), node.getRMNode().getHttpAddress(),
        resource, key.getPriority(), null, ExecutionType.GUARANTEED, key.getAllocationRequestId());
    RMContainerImpl c3 = new RMContainerImpl(container, key, app.getApplicationAttemptId(), node.getNodeID(),
        app.getUser(), scheduler.getRMContext(), c1.getNodeLabelExpression());
    c3.setQueueName(app.getQueueName());

    if (heldAmPlace) {
      convertWithBookkeeping(app, node, c1, c3, replaced, resource, partition, false);
    } else if (!partition.isEmpty() && RMNodeLabelsManager.NO_LABEL.equals(c1.getNodeLabelExpression())) {
      convertWithBookkeeping(app, node, c1, c3, replaced, resource, partition, true);
    } else {
      app.removeRMContainer(oldId);
      c1.handle(new RMContainerFinishedEvent(oldId, replaced, RMContainerEventType.FINISHED));
      // The preemption manager knows C1 as killable only if its node does.
      if (node.getKillableContainers().containsKey(oldId)) {
        scheduler.getPreemptionManager().removeKillableContainer(
            new KillableContainer(c1, partition, app.getCSLeafQueue().getQueuePath()));
      }
      // Frees and takes the same resource: the node's usage is the same before and after.
      node.releaseContainer(oldId, true);
      app.addRMContainer(newId, c3);
      node.allocateContainer(c3);
      replacing.put(c3, oldId);
    }

    RMAuditLogger.logSuccess(app.getUser(), "Worker Pool Convert Container", "WorkerPoolScheduler",
        app.getApplicationId(), newId, resource, app.getQueueName(), partition.isEmpty() ? null : partition);
    return c3;
  }

  /** Completes C1 and commits C3 through the stock queue bookkeeping (usage released, then charged again). */
  private void convertWithBookkeeping(FiCaSchedulerApp app, FiCaSchedulerNode node, RMContainer c1,
      RMContainerImpl c3, ContainerStatus replaced, Resource resource, String partition, boolean markReplacement) {
    scheduler.completedContainer(c1, replaced, RMContainerEventType.FINISHED);
    // A RUNNING container stays charged to its node until the NM reports it gone; C3 takes its place now.
    node.releaseContainer(c1.getContainerId(), true);
    if (markReplacement) {
      // Tags go into the RM-signed container token: the NodeManager trusts only this mark.
      c3.setAllocationTags(Set.of(ReplacementContract.replacesTag(c1.getContainerId().toString())));
    }
    app.addRMContainer(c3.getContainerId(), c3);
    app.getAppAttemptResourceUsage().incUsed(partition, resource);
    c3.handle(new RMContainerEvent(c3.getContainerId(), RMContainerEventType.START));
    node.allocateContainer(c3);
    SchedulerContainer<FiCaSchedulerApp, FiCaSchedulerNode> placed =
        new SchedulerContainer<>(app, node, c3, partition, true);
    app.getCSLeafQueue().apply(scheduler.getClusterResource(), new ResourceCommitRequest<>(
        Collections.singletonList(new ContainerAllocationProposal<>(placed, Collections.emptyList(), null,
            NodeType.OFF_SWITCH, NodeType.OFF_SWITCH, SchedulingMode.RESPECT_PARTITION_EXCLUSIVITY, resource)),
        null, null));
    app.getQueue().getMetrics().allocateResources(partition, app.getUser(), 1, resource, false);
  }

  /**
   * Gives the AM the containers converted under this hold of the write lock. Each node's C3s of this
   * hold form one batch (a hold converts whole nodes): their tokens tell the node how many to expect,
   * so that it stops their old containers together once all are ready, and no earlier than
   * {@code swapAt} (epoch ms) if that is not 0. Not done per conversion: a completion can remove a
   * container from the attempt's newly allocated containers only by scanning that list
   * ({@code FiCaSchedulerApp.containerCompleted}), so growing it while converting could make a pool
   * of n containers cost n² comparisons.
   */
  void handOver(FiCaSchedulerApp app, List<RMContainer> converted, long swapAt) {
    Map<NodeId, List<RMContainer>> byNode = new LinkedHashMap<>();
    for (RMContainer c3 : converted) {
      if (replacing.containsKey(c3)) {
        byNode.computeIfAbsent(c3.getNodeId(), n -> new ArrayList<>()).add(c3);
      }
    }
    for (List<RMContainer> batch : byNode.values()) {
      String batchTag = ReplacementContract.batchTag(
          new Batch(batch.get(0).getContainerId().toString(), batch.size()));
      for (RMContainer c3 : batch) {
        // Tags go into the RM-signed container token: the NodeManager trusts only this mark.
        // C3 was created by convert, as an RMContainerImpl.
        String replacesTag = ReplacementContract.replacesTag(replacing.remove(c3).toString());
        ((RMContainerImpl) c3).setAllocationTags(swapAt > 0
            ? Set.of(replacesTag, batchTag, ReplacementContract.swapAtTag(swapAt)) : Set.of(replacesTag, batchTag));
        c3.handle(new RMContainerEvent(c3.getContainerId(), RMContainerEventType.START));
      }
    }
    // Conversions of which the allocate call handed nothing over (none happen today) must not linger.
    replacing.clear();
    for (RMContainer c3 : converted) {
      app.addToNewlyAllocatedContainers(scheduler.getNode(c3.getNodeId()), c3);
    }
  }
}
