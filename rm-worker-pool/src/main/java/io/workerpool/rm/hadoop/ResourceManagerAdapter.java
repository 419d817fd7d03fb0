package io.workerpool.rm.hadoop;

import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.update.Caller;
import io.workerpool.rm.update.ResourceManagerDriver;
import io.workerpool.rm.update.UpdateRefusedException;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.yarn.security.client.RMDelegationTokenIdentifier;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.thirdparty.com.google.common.util.concurrent.SettableFuture;
import org.apache.hadoop.yarn.api.protocolrecords.SignalContainerRequest;
import org.apache.hadoop.yarn.api.records.ApplicationAccessType;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.QueueACL;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.SignalContainerCommand;
import org.apache.hadoop.yarn.api.records.impl.pb.ContainerLaunchContextPBImpl;
import org.apache.hadoop.yarn.server.resourcemanager.RMContext;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.server.resourcemanager.recovery.records.ApplicationStateData;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMAppState;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttempt;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttemptState;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerEventType;
import org.apache.hadoop.yarn.server.resourcemanager.rmnode.RMNodeCleanContainerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.rmnode.RMNodeSignalContainerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.SchedulerUtils;

/** The update logic's view of the ResourceManager; RM objects are fetched per call (HA replaces them). */
final class ResourceManagerAdapter implements ResourceManagerDriver {
  private final WorkerPoolScheduler scheduler;
  private final MaxAttemptsOverride maxAttempts;
  private final ContainerTakeBack takeBack;
  /** AM containers killed for an update, with the diagnostic their end gets. */
  private final Map<ContainerId, String> killedAms = new ConcurrentHashMap<>();

  ResourceManagerAdapter(WorkerPoolScheduler scheduler, MaxAttemptsOverride maxAttempts) {
    this.scheduler = scheduler;
    this.maxAttempts = maxAttempts;
    this.takeBack = new ContainerTakeBack(scheduler);
  }

  private RMContext rm() {
    return scheduler.getRMContext();
  }

  @Override
  public Caller authenticate(String user, String delegationToken, String remoteAddress)
      throws UpdateRefusedException {
    if (delegationToken != null) {
      try {
        Token<RMDelegationTokenIdentifier> token = new Token<>();
        token.decodeFromUrlString(delegationToken);
        RMDelegationTokenIdentifier identifier = token.decodeIdentifier();
        rm().getRMDelegationTokenSecretManager().verifyToken(identifier, token.getPassword());
        return new Caller(identifier.getUser().getShortUserName(), remoteAddress);
      } catch (IOException e) {
        throw new UpdateRefusedException(Reason.UNAUTHENTICATED,
            "the RM delegation token was not accepted: " + e.getMessage(), e);
      }
    }
    if (UserGroupInformation.isSecurityEnabled()) {
      throw new UpdateRefusedException(Reason.UNAUTHENTICATED,
          "this cluster is secure: pass an RM delegation token (WorkerPoolClient does this for a Kerberos login)");
    }
    if (user == null || user.isBlank()) {
      throw new UpdateRefusedException(Reason.UNAUTHENTICATED, "no user name given");
    }
    return new Caller(user, remoteAddress);
  }

  @Override
  public void authorize(ApplicationId appId, Caller caller, boolean modify) throws UpdateRefusedException {
    RMApp app = rm().getRMApps().get(appId);
    if (app == null) {
      throw new UpdateRefusedException(Reason.NOT_FOUND, "application " + appId + " is not known to the ResourceManager");
    }
    UserGroupInformation ugi = UserGroupInformation.createRemoteUser(caller.user());
    ResourceManager resourceManager = rm().getResourceManager();
    ApplicationAccessType access = modify ? ApplicationAccessType.MODIFY_APP : ApplicationAccessType.VIEW_APP;
    boolean allowed = resourceManager.getApplicationACLsManager().checkAccess(ugi, access, app.getUser(), appId)
        || resourceManager.getQueueACLsManager()
            .checkAccess(ugi, QueueACL.ADMINISTER_QUEUE, app, caller.remoteAddress(), null);
    if (!allowed) {
      throw new UpdateRefusedException(Reason.PERMISSION_DENIED, "user " + caller.user() + " may not "
          + (modify ? "update " : "view ") + appId + ": it needs " + access + " on the application or"
          + " ADMINISTER_QUEUE on queue " + app.getQueue());
    }
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
    return attempt.getAppAttemptId();
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
  public Runnable replaceAmLaunchContext(ApplicationId appId, ContainerLaunchContext launchContext,
      Resource amResource) throws UpdateRefusedException {
    if (amResource != null) {
      throw new UpdateRefusedException(Reason.INVALID_ARGUMENT,
          "changing the AM container resource is not supported; leave am_resource unset");
    }
    RMApp app = rm().getRMApps().get(appId);
    ApplicationSubmissionContext context = app.getApplicationSubmissionContext();
    ContainerLaunchContext previous = context.getAMContainerSpec();
    // ACLs and tokens were registered (ACL manager, token renewer) at submission: keep them.
    launchContext.setApplicationACLs(previous.getApplicationACLs());
    launchContext.setTokens(previous.getTokens() == null ? null : previous.getTokens().duplicate());
    launchContext.setTokensConf(previous.getTokensConf());
    context.setAMContainerSpec(launchContext);
    try {
      store(app);
    } catch (UpdateRefusedException e) {
      context.setAMContainerSpec(previous);
      throw e;
    }
    return () -> {
      context.setAMContainerSpec(previous);
      try {
        store(app);
      } catch (UpdateRefusedException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    };
  }

  private void store(RMApp app) throws UpdateRefusedException {
    ApplicationStateData state = ApplicationStateData.newInstance(app.getSubmitTime(), app.getStartTime(),
        app.getApplicationSubmissionContext(), app.getUser(), app.getRealUser(), app.getCallerContext());
    state.setApplicationTimeouts(app.getApplicationTimeouts());
    state.setLaunchTime(app.getLaunchTime());
    SettableFuture<Object> stored = SettableFuture.create();
    rm().getStateStore().updateApplicationStateSynchronously(state, false, stored);
    try {
      stored.get();
    } catch (ExecutionException e) {
      throw new UpdateRefusedException(Reason.INTERNAL,
          "the RM state store did not save the new launch context: " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpdateRefusedException(Reason.INTERNAL, "interrupted while saving the new launch context", e);
    }
  }

  @Override
  public void endAttempt(ApplicationAttemptId attemptId, String diagnostic) throws UpdateRefusedException {
    RMApp app = rm().getRMApps().get(attemptId.getApplicationId());
    Container master = amContainer(attemptId);
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
    Container master = amContainer(attemptId);
    if (master != null && killedAms.remove(master.getId()) != null) {
      release(master.getId(), diagnostic);
    }
  }

  private Container amContainer(ApplicationAttemptId attemptId) {
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
  public void release(ContainerId containerId, String diagnostic) {
    scheduler.underWriteLock(() -> {
      RMContainer container = scheduler.getRMContainer(containerId);
      if (container != null) {
        scheduler.completedContainer(container, SchedulerUtils.createAbnormalContainerStatus(containerId, diagnostic),
            RMContainerEventType.KILL);
      }
      return null;
    });
  }

  @Override
  public boolean takeBack(PooledWorker worker) {
    return takeBack.takeBack(worker);
  }

  @Override
  public void stopOnNode(NodeId nodeId, ContainerId containerId) {
    rm().getDispatcher().getEventHandler().handle(new RMNodeCleanContainerEvent(nodeId, containerId));
  }

  void newAttemptAdded(ApplicationId appId) {
    maxAttempts.restore(rm().getRMApps().get(appId));
  }
}
