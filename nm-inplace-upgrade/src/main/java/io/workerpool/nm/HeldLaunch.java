package io.workerpool.nm;

import io.workerpool.protocol.ReplacementContract.Batch;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainersLauncherEvent;

/**
 * The launch of a marked container C3 through its phases: waiting for the container C1 it replaces
 * to come up, preparing (C3's stock launch runs up to the gate in front of its command), prepared
 * (waiting for the rest of its batch), stopping C1, and opening the gate once C1 is gone. Times are
 * monotonic milliseconds.
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
  /** Read by a poll outside the lock: written last by each transition, after the fields it publishes. */
  private volatile Phase phase = Phase.WAITING_FOR_OLD;
  private Container c1;
  private long prepareStartedAt;
  private long preparedAt;
  private String c1Pid;
  private long stopRequestedAt;
  private long stopDeadline;

  HeldLaunch(ContainersLauncherEvent launch, String markedId, Batch batch, long waitDeadline) {
    this.launch = launch;
    this.markedId = markedId;
    this.batch = batch;
    this.waitDeadline = waitDeadline;
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

  void stopping(String pid, long now, long deadline) {
    c1Pid = pid;
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

  boolean waitOver(long now) {
    return now > waitDeadline;
  }

  /** C1, once the decision to replace it was taken. */
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

  long stopRequestedAt() {
    return stopRequestedAt;
  }

  boolean stopOverdue(long now) {
    return now > stopDeadline;
  }
}
