package io.workerpool.nm;

import io.workerpool.protocol.ReplacementContract.Batch;
import java.util.Set;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainersLauncherEvent;

/**
 * The launch of a marked container C3 through its phases: waiting for the container C1 it replaces
 * to come up, preparing (C3's stock launch runs up to the gate in front of its command), prepared
 * (waiting for the rest of its batch), stopping C1, and opening the gate once C1 is gone. A launch
 * that a restarted NodeManager recovered while C3's process waited at its gate starts over at
 * waiting for C1 (its process is already prepared). Times are monotonic milliseconds.
 */
final class HeldLaunch {
  enum Phase {
    WAITING_FOR_OLD,
    PREPARING,
    PREPARED,
    STOPPING,
    OPENING
  }

  private final ContainersLauncherEvent launch;
  private final String markedId;
  private final Batch batch;
  private final long waitDeadline;
  private final boolean recovered;
  /** Read by a poll outside the lock: written last by each transition, after the fields it publishes. */
  private volatile Phase phase = Phase.WAITING_FOR_OLD;
  private Container c1;
  private long prepareStartedAt;
  private long preparedAt;
  private String c1Pid;
  /** The processes of C1's group when it was stopped, or null if they were not read. */
  private Set<Long> c1Group;
  private long stopRequestedAt;
  private long stopDeadline;
  private boolean leftoverKilled;

  HeldLaunch(ContainersLauncherEvent launch, String markedId, Batch batch, long waitDeadline, boolean recovered) {
    this.launch = launch;
    this.markedId = markedId;
    this.batch = batch;
    this.waitDeadline = waitDeadline;
    this.recovered = recovered;
  }

  void preparing(Container replaced, long now) {
    c1 = replaced;
    prepareStartedAt = now;
    phase = Phase.PREPARING;
  }

  void prepared(long now) {
    preparedAt = now;
    phase = Phase.PREPARED;
  }

  /**
   * @param replaced C1, or null if it is no longer on this node
   * @param group the processes of C1's group as read just before its stop, or null if they were not read
   */
  void stopping(Container replaced, String pid, Set<Long> group, long now, long deadline) {
    c1 = replaced;
    c1Pid = pid;
    c1Group = group;
    stopRequestedAt = now;
    stopDeadline = deadline;
    phase = Phase.STOPPING;
  }

  void opening() {
    phase = Phase.OPENING;
  }

  Phase phase() {
    return phase;
  }

  ContainersLauncherEvent launch() {
    return launch;
  }

  Container c3() {
    return launch.getContainer();
  }

  ContainerId c3Id() {
    return c3().getContainerId();
  }

  String markedId() {
    return markedId;
  }

  Batch batch() {
    return batch;
  }

  /** Whether a restarted NodeManager recovered C3 while its process waited at its gate. */
  boolean recovered() {
    return recovered;
  }

  boolean waitOver(long now) {
    return now > waitDeadline;
  }

  /** C1, once the decision to replace it was taken (null if it was gone from this node). */
  Container c1() {
    return c1;
  }

  long prepareStartedAt() {
    return prepareStartedAt;
  }

  long preparedAt() {
    return preparedAt;
  }

  String c1Pid() {
    return c1Pid;
  }

  Set<Long> c1Group() {
    return c1Group;
  }

  long stopRequestedAt() {
    return stopRequestedAt;
  }

  boolean graceOver(long now, long graceMs) {
    return now - stopRequestedAt >= graceMs;
  }

  /** True the first time: the launch SIGKILLs C1's leftover processes at most once. */
  boolean firstLeftoverKill() {
    boolean first = !leftoverKilled;
    leftoverKilled = true;
    return first;
  }

  boolean stopOverdue(long now) {
    return now > stopDeadline;
  }
}
