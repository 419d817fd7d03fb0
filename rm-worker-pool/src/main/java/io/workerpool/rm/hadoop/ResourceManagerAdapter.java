package io.workerpool.rm.hadoop;

import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.update.Caller;
import io.workerpool.rm.update.ResourceManagerDriver;
import io.workerpool.rm.update.UpdateRefusedException;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.hadoop.thirdparty.com.google.common.util.concurrent.SettableFuture;
import org.apache.hadoop.yarn.api.protocolrecords.SignalContainerRequest;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerExitStatus;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.ResourceRequest;
import org.apache.hadoop.yarn.api.records.SignalContainerCommand;
import org.apache.hadoop.yarn.api.records.impl.pb.ContainerLaunchContextPBImpl;
import org.apache.hadoop.yarn.server.api.protocolrecords.NMContainerStatus;
import org.apache.hadoop.yarn.server.resourcemanager.RMContext;
import org.apache.hadoop.yarn.server.resourcemanager.recovery.records.ApplicationStateData;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMAppState;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttempt;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttemptState;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.event.RMAppAttemptContainerFinishedEvent;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerEventType;
import org.apache.hadoop.yarn.server.resourcemanager.rmnode.RMNodeCleanContainerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.rmnode.RMNodeSignalContainerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.SchedulerUtils;

/** The update logic's view of the ResourceManager; RM objects are fetched per call (HA replaces them). */
final class ResourceManagerAdapter implements ResourceManagerDriver {
  private final WorkerPoolScheduler scheduler;
  private final MaxAttemptsOverride maxAttempts;
  private static final int STORE_TIMEOUT_SECONDS = 30;
  private static final long RUNNING_WAIT_MS = 5_000;

  private final ContainerTakeBack takeBack;
  private final CallerAuthority authority;
  /** AM containers killed for an update, with the diagnostic their end gets. */
  private final Map<ContainerId, String> killedAms = new ConcurrentHashMap<>();

  ResourceManagerAdapter(WorkerPoolScheduler scheduler, MaxAttemptsOverride maxAttempts) {
    this.scheduler = scheduler;
    this.maxAttempts = maxAttempts;
    this.takeBack = new ContainerTakeBack(scheduler);
    this.authority = new CallerAuthority(scheduler::getRMContext);
  }

  private RMContext rm() {
    return scheduler.getRMContext();
  }

  @Override
  public Caller authenticate(String user, String delegationToken, String remoteAddress)
      throws UpdateRefusedException {
    return authority.authenticate(user, delegationToken, remoteAddress);
  }

  @Override
  public void authorize(ApplicationId appId, Caller caller, boolean modify) throws UpdateRefusedException {
    authority.authorize(appId, caller, modify);
  }

  @Override
  public ApplicationAttemptId checkUpdatable(ApplicationId appId, Caller caller) throws UpdateRefusedException {
    authorize(appId, caller, true);
    RMApp app = rm().getRMApps().get(appId);
    if (app.getState() != RMAppState.RUNNING) {
      throw new UpdateRefusedException(Reason.FAILED_PRECONDITION, "application " + appId + " is "
          + app.getState() + "; only a RUNNING application can be updated");
    }
    if (app.getApplicationSubmissionContext().getUnmanagedAM()) {
      throw new UpdateRefusedException(Reason.FAILED_PRECONDITION,
          "application " + appId + " has an unmanaged AM: the RM cannot launch a new one");
    }
    RMAppAttempt attempt = app.getCurrentAppAttempt();
    if (attempt == null || attempt.getAppAttemptState() != RMAppAttemptState.RUNNING) {
      throw new UpdateRefusedException(Reason.FAILED_PRECONDITION, "the AM of " + appId
          + " has not registered yet; retry once the application's current attempt runs");
    }
    long notRunning = awaitContainersRunning(attempt.getAppAttemptId());
    if (notRunning > 0) {
      throw new UpdateRefusedException(Reason.FAILED_PRECONDITION, notRunning + " container(s) of " + appId
          + " are allocated but not yet running on their nodes (the RM would kill them with the AM); retry in a few"
          + " seconds");
    }
    return attempt.getAppAttemptId();
  }

  /**
   * Waits up to {@link #RUNNING_WAIT_MS} (a node heartbeat or two) until the attempt has no container that is
   * allocated but not yet reported running: those would be killed with the AM.
   *
   * @return how many are still not running
   */
  private long awaitContainersRunning(ApplicationAttemptId attemptId) throws UpdateRefusedException {
    long deadline = System.currentTimeMillis() + RUNNING_WAIT_MS;
    long notRunning = scheduler.notRunningContainers(attemptId);
    while (notRunning > 0 && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UpdateRefusedException(Reason.UNAVAILABLE, "interrupted while waiting for containers to run", e);
      }
      notRunning = scheduler.notRunningContainers(attemptId);
    }
    return notRunning;
  }

  @Override
  public ContainerLaunchContext amLaunchContext(ApplicationId appId) {
    return rm().getRMApps().get(appId).getApplicationSubmissionContext().getAMContainerSpec();
  }

  @Override
  public ContainerId amContainer(ApplicationAttemptId attemptId) {
    Container master = amContainerOf(attemptId);
    return master == null ? null : master.getId();
  }

  @Override
  public int maxAppAttempts(ApplicationId appId) {
    return rm().getRMApps().get(appId).getMaxAppAttempts();
  }

  @Override
  public ContainerLaunchContext currentAmLaunchContext(ApplicationId appId) throws UpdateRefusedException {
    RMApp app = rm().getRMApps().get(appId);
    if (app == null) {
      throw new UpdateRefusedException(Reason.NOT_FOUND, "application " + appId + " is not known to the ResourceManager");
    }
    ContainerLaunchContext copy = new ContainerLaunchContextPBImpl(
        ((ContainerLaunchContextPBImpl) app.getApplicationSubmissionContext().getAMContainerSpec()).getProto());
    copy.setTokens(null);
    copy.setTokensConf(null);
    return copy;
  }

  @Override
  public void replaceAmLaunchContext(ApplicationId appId, ContainerLaunchContext launchContext,
      Resource amResource) throws UpdateRefusedException {
    Resource maximum = scheduler.getMaximumResourceCapability();
    if (amResource != null && !org.apache.hadoop.yarn.util.resource.Resources.fitsIn(amResource, maximum)) {
      throw new UpdateRefusedException(Reason.INVALID_ARGUMENT, "the new AM resource " + amResource
          + " is larger than the largest container the scheduler allows (" + maximum + ")");
    }
    ContainerLaunchContext previous = amLaunchContext(appId);
    // ACLs and tokens were registered (ACL manager, token renewer) at submission: keep them.
    launchContext.setApplicationACLs(previous.getApplicationACLs());
    LaunchContextTokens.merge(rm(), rm().getRMApps().get(appId), previous, launchContext);
    launchContext.setTokensConf(previous.getTokensConf());
    Resource previousResource = amResource(appId);
    if (amResource != null) {
      setAmResource(appId, amResource);
    }
    try {
      setAndStore(appId, launchContext, previous);
    } catch (UpdateRefusedException e) {
      setAmResource(appId, previousResource);
      throw e;
    }
  }

  @Override
  public Resource amResource(ApplicationId appId) {
    return org.apache.hadoop.yarn.util.resource.Resources.clone(
        rm().getRMApps().get(appId).getApplicationSubmissionContext().getResource());
  }

  /** The next attempts ask for this AM resource: the submission context and the app's AM requests carry it. */
  private void setAmResource(ApplicationId appId, Resource resource) {
    RMApp app = rm().getRMApps().get(appId);
    app.getApplicationSubmissionContext().setResource(resource);
    for (ResourceRequest request : app.getAMResourceRequests()) {
      request.setCapability(resource);
    }
  }

  @Override
  public void restoreAmLaunchContext(ApplicationId appId, ContainerLaunchContext previous,
      Resource previousAmResource) throws UpdateRefusedException {
    if (previousAmResource != null) {
      setAmResource(appId, previousAmResource);
    }
    setAndStore(appId, previous, amLaunchContext(appId));
  }

  private void setAndStore(ApplicationId appId, ContainerLaunchContext next, ContainerLaunchContext current)
      throws UpdateRefusedException {
    RMApp app = rm().getRMApps().get(appId);
    ApplicationSubmissionContext context = app.getApplicationSubmissionContext();
    context.setAMContainerSpec(next);
    try {
      store(app);
    } catch (UpdateRefusedException e) {
      context.setAMContainerSpec(current);
      throw e;
    }
  }

  private void store(RMApp app) throws UpdateRefusedException {
    ApplicationStateData state = ApplicationStateData.newInstance(app.getSubmitTime(), app.getStartTime(),
        app.getApplicationSubmissionContext(), app.getUser(), app.getRealUser(), app.getCallerContext());
    state.setApplicationTimeouts(app.getApplicationTimeouts());
    state.setLaunchTime(app.getLaunchTime());
    SettableFuture<Object> stored = SettableFuture.create();
    rm().getStateStore().updateApplicationStateSynchronously(state, false, stored);
    try {
      stored.get(STORE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new UpdateRefusedException(Reason.INTERNAL,
          "the RM state store did not save the AM launch context: " + e.getCause(), e);
    } catch (TimeoutException e) {
      throw new UpdateRefusedException(Reason.UNAVAILABLE, "the RM state store did not save the AM launch context"
          + " within " + STORE_TIMEOUT_SECONDS + " s; retry later", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpdateRefusedException(Reason.INTERNAL, "interrupted while saving the AM launch context", e);
    }
  }

  @Override
  public void endAttempt(ApplicationAttemptId attemptId, String diagnostic) throws UpdateRefusedException {
    RMApp app = rm().getRMApps().get(attemptId.getApplicationId());
    Container master = amContainerOf(attemptId);
    if (master == null || scheduler.getRMContainer(master.getId()) == null) {
      throw new UpdateRefusedException(Reason.FAILED_PRECONDITION, "the AM container of " + attemptId
          + " is no longer running");
    }
    maxAttempts.allowOneMoreAttempt(app);
    killedAms.put(master.getId(), diagnostic);
    // SIGKILL, not the stop-with-grace of a released container: in that grace a stock AM's shutdown
    // (NMClient cleans up running containers on stop) would stop the very workers the pool keeps.
    // The scheduler records the AM's end as ABORTED once the node reports it.
    rm().getDispatcher().getEventHandler().handle(new RMNodeSignalContainerEvent(master.getNodeId(),
        SignalContainerRequest.newInstance(master.getId(), SignalContainerCommand.FORCEFUL_SHUTDOWN)));
  }

  @Override
  public void abortAttempt(ApplicationAttemptId attemptId, String diagnostic) {
    Container master = amContainerOf(attemptId);
    if (master != null && killedAms.remove(master.getId()) != null) {
      scheduler.underWriteLock(() -> {
        release(master.getId(), diagnostic);
        return null;
      });
    }
  }

  /**
   * Recovery: the update had killed this attempt's AM when the RM went down. Its end is recorded as
   * ABORTED now, before its node re-registers and reports the kill's exit code straight to the attempt
   * (which would count it as a failed attempt); if the node still runs it, it is killed once it registers.
   */
  void endRecoveredAttempt(ApplicationAttemptId attemptId, ContainerId amContainer, String diagnostic) {
    Container master = amContainerOf(attemptId);
    if (master == null || !master.getId().equals(amContainer)) {
      return;
    }
    killedAms.put(amContainer, diagnostic);
    rm().getDispatcher().getEventHandler().handle(new RMAppAttemptContainerFinishedEvent(attemptId,
        SchedulerUtils.createAbnormalContainerStatus(amContainer, diagnostic + " (the RM restarted meanwhile)"),
        master.getNodeId()));
  }

  /**
   * The AM container of a recovered attempt that has not registered, when it is placed on this node and the
   * node, registering with the restarted RM, does not run it; else null.
   */
  Container neverLaunchedAm(ApplicationAttemptId attemptId, NodeId nodeId, Set<ContainerId> onNode) {
    RMAppAttempt attempt = rm().getRMApps().get(attemptId.getApplicationId()).getRMAppAttempt(attemptId);
    Container master = attempt == null ? null : attempt.getMasterContainer();
    boolean neverLaunched = master != null && master.getNodeId().equals(nodeId) && !onNode.contains(master.getId())
        && attempt.getAppAttemptState() == RMAppAttemptState.LAUNCHED;
    return neverLaunched ? master : null;
  }

  /** Ends an attempt whose AM never ran, as ABORTED: it does not count as a failed attempt. */
  void endNeverLaunchedAttempt(ApplicationAttemptId attemptId, Container master) {
    rm().getDispatcher().getEventHandler().handle(new RMAppAttemptContainerFinishedEvent(attemptId,
        SchedulerUtils.createAbnormalContainerStatus(master.getId(), "the ResourceManager restarted before it"
            + " launched this AM for an in-place update; the next attempt replaces it"), master.getNodeId()));
  }

  /**
   * AM1's process is gone and its place is held: its attempt ends (the status says ABORTED, not a failed
   * attempt) as if the container had completed in the scheduler.
   */
  void endAttemptOfHeldAm(RMContainer am, ContainerStatus status) {
    rm().getDispatcher().getEventHandler().handle(new RMAppAttemptContainerFinishedEvent(
        am.getApplicationAttemptId(), status, am.getNodeId()));
  }

  /** Recovery: an AM the update was killing ends as ABORTED when its node reports it; {@link #killAgain} kills it. */
  void rememberKilledAm(ContainerId amContainer, String diagnostic) {
    killedAms.put(amContainer, diagnostic);
  }

  /**
   * Recovery: a registering node reports the end of an AM the update was killing. Stock recovery would finish the
   * attempt with the process's exit code, a failed attempt that counts towards the application's max attempts (two
   * of them end the application, with the default of 2); recorded as ABORTED with the update's diagnostic instead,
   * as {@link #completedStatus} does for an end reported in a heartbeat.
   */
  NMContainerStatus recoveredStatus(NMContainerStatus reported) {
    if (reported.getContainerState() != ContainerState.COMPLETE) {
      return reported;
    }
    String diagnostic = killedAms.remove(reported.getContainerId());
    if (diagnostic == null) {
      return reported;
    }
    NMContainerStatus aborted = NMContainerStatus.newInstance(reported.getContainerId(), reported.getVersion(),
        ContainerState.COMPLETE, reported.getAllocatedResource(), diagnostic + " (killed; the node reported exit "
            + reported.getContainerExitStatus() + " when it registered with this RM)", ContainerExitStatus.ABORTED,
        reported.getPriority(), reported.getCreationTime(), reported.getNodeLabelExpression(),
        reported.getExecutionType(), reported.getAllocationRequestId());
    aborted.setAllocationTags(reported.getAllocationTags());
    return aborted;
  }

  /** Kills a killed AM's process that its node still reports running after an RM restart. */
  void killAgain(ContainerId amContainer, NodeId nodeId) {
    if (killedAms.containsKey(amContainer)) {
      rm().getDispatcher().getEventHandler().handle(new RMNodeSignalContainerEvent(nodeId,
          SignalContainerRequest.newInstance(amContainer, SignalContainerCommand.FORCEFUL_SHUTDOWN)));
    }
  }

  /** The attempts a recovering application got back from the RM state store. */
  Set<ApplicationAttemptId> storedAttempts(ApplicationId appId) {
    return Set.copyOf(rm().getRMApps().get(appId).getAppAttempts().keySet());
  }

  void raiseMaxAttempts(ApplicationId appId) {
    maxAttempts.allowOneMoreAttempt(rm().getRMApps().get(appId));
  }

  private Container amContainerOf(ApplicationAttemptId attemptId) {
    return rm().getRMApps().get(attemptId.getApplicationId()).getRMAppAttempt(attemptId).getMasterContainer();
  }

  /**
   * The status to record for a completed container: an AM killed by {@link #endAttempt} ends as
   * ABORTED (not counted as a failed attempt) with the update's diagnostic, whatever its exit code.
   */
  ContainerStatus completedStatus(RMContainer container, ContainerStatus reported) {
    String diagnostic = container == null ? null : killedAms.remove(container.getContainerId());
    if (diagnostic == null) {
      return reported;
    }
    return SchedulerUtils.createAbnormalContainerStatus(container.getContainerId(), diagnostic
        + " (killed; the node reported exit " + reported.getExitStatus() + ")");
  }

  @Override
  public <T> T underWriteLock(Supplier<T> action) {
    return scheduler.underWriteLock(action);
  }

  @Override
  public void release(ContainerId containerId, String diagnostic) {
    scheduler.checkWriteLockHeld("release " + containerId);
    RMContainer container = scheduler.getRMContainer(containerId);
    if (container != null) {
      scheduler.completedContainer(container, SchedulerUtils.createAbnormalContainerStatus(containerId, diagnostic),
          RMContainerEventType.KILL);
    }
  }

  @Override
  public boolean takeBack(PooledWorker worker) {
    scheduler.checkWriteLockHeld("take back " + worker.containerId());
    return takeBack.takeBack(worker);
  }

  /** The RM's asks for the current attempt's AM container (as it made them: one container, the AM priority). */
  List<ResourceRequest> amAsks(ApplicationId appId) {
    return rm().getRMApps().get(appId).getAMResourceRequests().stream().map(ResourceRequest::clone).toList();
  }

  /** Recovery: charges AM1's journaled held place to the application again, as its AM container. */
  boolean takeBackAmPlace(PooledWorker place) {
    scheduler.checkWriteLockHeld("take back AM1's place " + place.containerId());
    return takeBack.takeBack(place, true);
  }

  @Override
  public void stopOnNode(NodeId nodeId, ContainerId containerId) {
    rm().getDispatcher().getEventHandler().handle(new RMNodeCleanContainerEvent(nodeId, containerId));
  }

  void newAttemptAdded(ApplicationId appId) {
    maxAttempts.restore(rm().getRMApps().get(appId));
  }
}
