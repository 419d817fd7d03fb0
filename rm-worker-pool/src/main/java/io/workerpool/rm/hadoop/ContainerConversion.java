package io.workerpool.rm.hadoop;

import io.workerpool.protocol.ReplacementContract;
import io.workerpool.protocol.ReplacementContract.Batch;
import java.util.ArrayList;
import java.util.Collections;
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
 * Turns a pooled container C1 into a new container C3 of the new attempt on the same node with the same resource,
 * in three steps, so that the scheduler's write lock is held only for what other scheduler work must not see half
 * done:
 * <ol>
 * <li>{@link #prepare}, no scheduler lock: C3's id, records and RMContainer, C1's completion status;
 * <li>{@link #convert}, under the write lock: C3 takes C1's place in the attempt's and the node's containers;
 * <li>{@link #finish}, no scheduler lock: C1 completes, C3 gets its allocation tags and starts.
 * </ol>
 * Then, under the write lock again, {@link #handOver} puts the C3s in the attempt's newly allocated containers, so
 * the AM receives them with their tokens and NMTokens in this allocate response.
 *
 * <p>C1 and C3 belong to the same application, queue, user and node and hold the same resource, so a conversion is
 * accounting-neutral: it changes only what really changes, never the queue tree's, user's, node's or attempt's
 * usage. C1 is completed with FINISHED (the only completion that does not make the RM tell the NodeManager to kill
 * it; its attempt metrics and history are recorded as for any completion), as the stock completion does it, out of
 * the write lock: once C1 has left the attempt's and node's containers, no scheduler path reaches it. C3's START is
 * the stock allocation's (its tags go to the allocation tags manager, which has its own lock). Locality counters
 * and queue metrics' allocated/released counts are left alone, so a conversion is never counted as scheduling.
 *
 * <p>Exceptions, converted through the stock completion and commit bookkeeping under the write lock (C1 completed and
 * C3 started in {@link #convert}): AM1's held place, which becomes the new AM's container (the new attempt's AM
 * accounting starts with it), and a C1 placed on a labelled node without asking for its label (non-exclusive
 * partition use), which its leaf queue also keeps in a private set that only that bookkeeping updates (its C3 swaps
 * on its own, without a batch).
 */
final class ContainerConversion {
  private final WorkerPoolScheduler scheduler;

  ContainerConversion(WorkerPoolScheduler scheduler) {
    this.scheduler = scheduler;
  }

  /** C3 made for C1, not yet known to the scheduler. */
  record Prepared(RMContainer c1, RMContainerImpl c3, ContainerStatus c1Replaced, Resource amResource) {
  }

  /** C3 in C1's place; {@code stockBookkeeping}: C1 already completed and C3 started by {@link #convert}. */
  record Converted(RMContainer c1, RMContainerImpl c3, ContainerStatus c1Replaced, boolean stockBookkeeping) {
    ContainerId oldId() {
      return c1.getContainerId();
    }
  }

  /**
   * No scheduler lock needed. A prepared C3 that is not converted is dropped: its container id stays unused, as the
   * id of a reservation that is never fulfilled does.
   *
   * @param amResource null for a worker; else C1 is AM1's held place and C3 becomes the new AM's container with
   *     this resource (the caller checked that it fits on the node), with no replace mark (nothing on the node to
   *     replace)
   * @return null when C1 can no longer be converted (ended, node gone)
   */
  Prepared prepare(FiCaSchedulerApp app, ContainerId oldId, SchedulerRequestKey key, String updateId,
      Resource amResource) {
    RMContainer c1 = app.getRMContainer(oldId);
    FiCaSchedulerNode node = c1 == null ? null : scheduler.getNode(c1.getNodeId());
    if (node == null) {
      return null;
    }
    Resource resource = Resources.clone(amResource != null ? amResource : c1.getAllocatedResource());
    ContainerId newId = BuilderUtils.newContainerId(app.getApplicationAttemptId(), app.getNewContainerId());
    ContainerStatus replaced = ContainerStatus.newInstance(oldId, ContainerState.COMPLETE,
        ReplacementContract.replacedDiagnostic(oldId.toString(), newId.toString()) + " [" + updateId + "]",
        ReplacementContract.REPLACED_EXIT_STATUS);
    Container container = BuilderUtils.newContainer(newId, node.getNodeID(), node.getRMNode().getHttpAddress(),
        resource, key.getPriority(), null, ExecutionType.GUARANTEED, key.getAllocationRequestId());
    RMContainerImpl c3 = new RMContainerImpl(container, key, app.getApplicationAttemptId(), node.getNodeID(),
        app.getUser(), scheduler.getRMContext(), c1.getNodeLabelExpression());
    c3.setQueueName(app.getQueueName());
    return new Prepared(c1, c3, replaced, amResource);
  }

  /**
   * Under the write lock (the caller holds it): C3 takes C1's place.
   *
   * @return null when C1 can no longer be converted (ended, node gone)
   */
  Converted convert(FiCaSchedulerApp app, Prepared prepared) {
    RMContainer c1 = prepared.c1();
    boolean heldAmPlace = prepared.amResource() != null;
    if (c1.getState() != RMContainerState.RUNNING || c1.isAMContainer() != heldAmPlace
        || app.getRMContainer(c1.getContainerId()) != c1) {
      return null;
    }
    FiCaSchedulerNode node = scheduler.getNode(c1.getNodeId());
    if (node == null || node.getRMNode().getState() != NodeState.RUNNING) {
      return null;
    }
    RMContainerImpl c3 = prepared.c3();
    String partition = node.getPartition();
    if (heldAmPlace) {
      convertWithBookkeeping(app, node, c1, c3, prepared.c1Replaced(), partition, false);
      return new Converted(c1, c3, prepared.c1Replaced(), true);
    }
    if (!partition.isEmpty() && RMNodeLabelsManager.NO_LABEL.equals(c1.getNodeLabelExpression())) {
      convertWithBookkeeping(app, node, c1, c3, prepared.c1Replaced(), partition, true);
      return new Converted(c1, c3, prepared.c1Replaced(), true);
    }
    ContainerId oldId = c1.getContainerId();
    app.removeRMContainer(oldId);
    // The preemption manager knows C1 as killable only if its node does.
    if (node.getKillableContainers().containsKey(oldId)) {
      scheduler.getPreemptionManager().removeKillableContainer(
          new KillableContainer(c1, partition, app.getCSLeafQueue().getQueuePath()));
    }
    // Frees and takes the same resource: the node's usage is the same before and after.
    node.releaseContainer(oldId, true);
    app.addRMContainer(c3.getContainerId(), c3);
    node.allocateContainer(c3);
    return new Converted(c1, c3, prepared.c1Replaced(), false);
  }

  /** Completes C1 and commits C3 through the stock queue bookkeeping (usage released, then charged again). */
  private void convertWithBookkeeping(FiCaSchedulerApp app, FiCaSchedulerNode node, RMContainer c1,
      RMContainerImpl c3, ContainerStatus replaced, String partition, boolean markReplacement) {
    Resource resource = c3.getAllocatedResource();
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
   * No scheduler lock needed: completes each C1 and starts each C3 converted in one hold of the write lock. Each
   * node's C3s of that hold form one batch (a hold converts whole nodes): their tokens tell the node how many to
   * expect, so that it stops their old containers together once all are ready, and no earlier than {@code swapAt}
   * (epoch ms) if that is not 0.
   */
  void finish(FiCaSchedulerApp app, List<Converted> converted, long swapAt) {
    Map<NodeId, List<Converted>> byNode = new LinkedHashMap<>();
    for (Converted done : converted) {
      if (!done.stockBookkeeping()) {
        done.c1().handle(new RMContainerFinishedEvent(done.oldId(), done.c1Replaced(), RMContainerEventType.FINISHED));
        byNode.computeIfAbsent(done.c3().getNodeId(), n -> new ArrayList<>()).add(done);
      }
      FiCaSchedulerNode node = scheduler.getNode(done.c3().getNodeId());
      String partition = node == null ? "" : node.getPartition();
      RMAuditLogger.logSuccess(app.getUser(), "Worker Pool Convert Container", "WorkerPoolScheduler",
          app.getApplicationId(), done.c3().getContainerId(), done.c3().getAllocatedResource(), app.getQueueName(),
          partition.isEmpty() ? null : partition);
    }
    for (List<Converted> batch : byNode.values()) {
      String batchTag = ReplacementContract.batchTag(
          new Batch(batch.get(0).c3().getContainerId().toString(), batch.size()));
      for (Converted done : batch) {
        RMContainerImpl c3 = done.c3();
        // Tags go into the RM-signed container token: the NodeManager trusts only this mark.
        String replacesTag = ReplacementContract.replacesTag(done.oldId().toString());
        c3.setAllocationTags(swapAt > 0
            ? Set.of(replacesTag, batchTag, ReplacementContract.swapAtTag(swapAt)) : Set.of(replacesTag, batchTag));
        // Only a C3 killed meanwhile (its attempt or node ended) has left NEW; it must not start.
        if (c3.getState() == RMContainerState.NEW) {
          c3.handle(new RMContainerEvent(c3.getContainerId(), RMContainerEventType.START));
        }
      }
    }
  }

  /**
   * Under the write lock (the caller holds it): gives the AM the started C3s. Not done per conversion: a completion
   * can remove a container from the attempt's newly allocated containers only by scanning that list
   * ({@code FiCaSchedulerApp.containerCompleted}), so growing it while converting could make a pool of n containers
   * cost n² comparisons.
   */
  void handOver(FiCaSchedulerApp app, List<? extends RMContainer> started) {
    for (RMContainer c3 : started) {
      if (c3.getState() == RMContainerState.ALLOCATED) {
        app.addToNewlyAllocatedContainers(scheduler.getNode(c3.getNodeId()), c3);
      }
    }
  }
}
