package io.workerpool.rm.update;

import io.workerpool.rm.pool.PooledWorker;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;
import java.util.function.Supplier;

/**
 * Everything the update logic needs from the ResourceManager, and nothing else: the only way
 * the core reaches Hadoop internals (implemented next to the scheduler).
 */
public interface ResourceManagerDriver {

  /**
   * Establishes who calls: a user name (simple authentication, as Hadoop's) or an RM delegation
   * token, which secure clusters require.
   */
  Caller authenticate(String user, String delegationToken, String remoteAddress) throws UpdateRefusedException;

  /** Checks that the caller may view (or, with {@code modify}, modify) the application. */
  void authorize(ApplicationId appId, Caller caller, boolean modify) throws UpdateRefusedException;

  /**
   * Checks that the application exists, runs, has a running AM and that the caller may modify it.
   *
   * @return the attempt that runs now (AM1)
   */
  ApplicationAttemptId checkUpdatable(ApplicationId appId, Caller caller) throws UpdateRefusedException;

  /** The AM launch context the application's next attempt would run now. */
  ContainerLaunchContext amLaunchContext(ApplicationId appId);

  /** The attempt's AM container. */
  ContainerId amContainer(ApplicationAttemptId attemptId);

  /** The application's max attempts (an update of an application with 1 raises it to 2 until AM2 exists). */
  int maxAppAttempts(ApplicationId appId);

  /** The application's current AM launch context, without its tokens (they stay in the RM). */
  ContainerLaunchContext currentAmLaunchContext(ApplicationId appId) throws UpdateRefusedException;

  /**
   * Makes {@code launchContext} the AM launch context of the application's next attempts and stores it
   * durably, keeping the current ACLs and tokens; with {@code amResource}, their AM container resource too.
   */
  void replaceAmLaunchContext(ApplicationId appId, ContainerLaunchContext launchContext, Resource amResource)
      throws UpdateRefusedException;

  /** The AM container resource of the application's next attempts. */
  Resource amResource(ApplicationId appId);

  /**
   * Puts back a launch context {@link #amLaunchContext} returned, exactly, and the AM resource, and stores them
   * durably.
   */
  void restoreAmLaunchContext(ApplicationId appId, ContainerLaunchContext previous, Resource previousAmResource)
      throws UpdateRefusedException;

  /**
   * Kills the attempt's AM process at once, with no grace in which a stock AM's shutdown would stop the
   * workers it started. When its node reports it gone, the RM records the end as not counting towards
   * the application's failed attempts and launches the next attempt.
   */
  void endAttempt(ApplicationAttemptId attemptId, String diagnostic) throws UpdateRefusedException;

  /**
   * Ends the attempt in the RM right away, not counting as a failed attempt; its node stops the AM with
   * the usual grace. For an AM whose node did not report it gone after {@link #endAttempt}.
   */
  void abortAttempt(ApplicationAttemptId attemptId, String diagnostic);

  /**
   * Runs {@code action} under the scheduler's write lock.
   *
   * @throws IllegalStateException when the calling thread holds the scheduler's read lock (it would wait for ever)
   */
  <T> T underWriteLock(Supplier<T> action);

  /** Releases a pooled container: the RM stops it and its resources return to the cluster. Needs the write lock. */
  void release(ContainerId containerId, String diagnostic);

  /**
   * Puts a container the RM let go of when it was converted back under the application, as it
   * still runs on its node (its replacement never started). Needs the write lock.
   *
   * @return false when it cannot be taken back (the application or node is gone, or the node is full)
   */
  boolean takeBack(PooledWorker worker);

  /** Tells a node to stop a container the RM no longer tracks. */
  void stopOnNode(NodeId nodeId, ContainerId containerId);
}
