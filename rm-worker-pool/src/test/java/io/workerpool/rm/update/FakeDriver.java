package io.workerpool.rm.update;

import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;

/**
 * A ResourceManager that records what the update logic asks of it and enforces the lock rule: releases
 * and take-backs only under the write lock, which is never asked for from inside a scheduler callback
 * that holds the read lock ({@link #inReadLockedCallback}).
 */
final class FakeDriver implements ResourceManagerDriver {
  final ApplicationAttemptId currentAttempt;
  final List<ApplicationAttemptId> endedAttempts = new ArrayList<>();
  final List<ApplicationAttemptId> abortedAttempts = new ArrayList<>();
  final List<ContainerId> released = new ArrayList<>();
  final List<ContainerId> stopped = new ArrayList<>();
  final List<ContainerId> takenBack = new ArrayList<>();
  final List<String> launchContexts = new ArrayList<>();
  int restored;
  int maxAppAttempts = 2;
  boolean refuseEnd;
  boolean refuseTakeBack;
  private ContainerLaunchContext current = ContainerLaunchContext.newInstance(null, null, List.of("v1"), null, null,
      null);
  private Resource amResource = Resource.newInstance(512, 1);
  private int writeLockHolds;
  private boolean readLocked;

  FakeDriver(ApplicationAttemptId currentAttempt) {
    this.currentAttempt = currentAttempt;
  }

  /** Runs a scheduler callback the way nodeUpdate does: under the read lock. */
  void inReadLockedCallback(Runnable callback) {
    readLocked = true;
    try {
      callback.run();
    } finally {
      readLocked = false;
    }
  }

  <T> T inReadLockedCallbackResult(Supplier<T> callback) {
    readLocked = true;
    try {
      return callback.get();
    } finally {
      readLocked = false;
    }
  }

  String currentCommand() {
    return current.getCommands().get(0);
  }

  @Override
  public Caller authenticate(String user, String delegationToken, String remoteAddress) {
    return new Caller(user, remoteAddress);
  }

  @Override
  public void authorize(ApplicationId appId, Caller caller, boolean modify) {
  }

  @Override
  public ApplicationAttemptId checkUpdatable(ApplicationId appId, Caller caller) {
    return currentAttempt;
  }

  @Override
  public ContainerLaunchContext amLaunchContext(ApplicationId appId) {
    return current;
  }

  @Override
  public ContainerLaunchContext currentAmLaunchContext(ApplicationId appId) {
    return current;
  }

  @Override
  public ContainerId amContainer(ApplicationAttemptId attemptId) {
    return ContainerId.newContainerId(attemptId, 1);
  }

  @Override
  public int maxAppAttempts(ApplicationId appId) {
    return maxAppAttempts;
  }

  @Override
  public synchronized void replaceAmLaunchContext(ApplicationId appId, ContainerLaunchContext launchContext,
      Resource amResource) {
    current = launchContext;
    if (amResource != null) {
      this.amResource = amResource;
    }
    launchContexts.add(launchContext.getCommands().get(0));
  }

  @Override
  public synchronized void restoreAmLaunchContext(ApplicationId appId, ContainerLaunchContext previous,
      Resource previousAmResource) {
    current = previous;
    amResource = previousAmResource;
    restored++;
  }

  @Override
  public Resource amResource(ApplicationId appId) {
    return amResource;
  }

  @Override
  public synchronized void endAttempt(ApplicationAttemptId attemptId, String diagnostic)
      throws UpdateRefusedException {
    if (refuseEnd) {
      throw new UpdateRefusedException(Reason.FAILED_PRECONDITION, "the AM container is no longer running");
    }
    endedAttempts.add(attemptId);
  }

  @Override
  public synchronized void abortAttempt(ApplicationAttemptId attemptId, String diagnostic) {
    abortedAttempts.add(attemptId);
  }

  @Override
  public <T> T underWriteLock(Supplier<T> action) {
    if (readLocked && writeLockHolds == 0) {
      throw new IllegalStateException("asked for the write lock while holding the read lock");
    }
    writeLockHolds++;
    try {
      return action.get();
    } finally {
      writeLockHolds--;
    }
  }

  @Override
  public synchronized void release(ContainerId containerId, String diagnostic) {
    requireWriteLock("release");
    released.add(containerId);
  }

  @Override
  public synchronized boolean takeBack(PooledWorker worker) {
    requireWriteLock("take back");
    if (!refuseTakeBack) {
      takenBack.add(worker.containerId());
    }
    return !refuseTakeBack;
  }

  @Override
  public synchronized void stopOnNode(NodeId nodeId, ContainerId containerId) {
    stopped.add(containerId);
  }

  private void requireWriteLock(String what) {
    if (writeLockHolds == 0) {
      throw new IllegalStateException(what + " without the scheduler's write lock");
    }
  }
}
