package io.workerpool.nm;

import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainersLauncherEvent;

/**
 * The LAUNCH_CONTAINER of a marked container C3, held while the container C1 it replaces comes up
 * (waiting) or is stopped (stopping). Times are monotonic milliseconds.
 */
final class HeldLaunch {
  private final ContainersLauncherEvent launch;
  private final String markedId;
  private final long waitDeadline;
  private Container c1;
  private String c1Pid;
  private long stopRequestedAt;
  private long stopDeadline;

  HeldLaunch(ContainersLauncherEvent launch, String markedId, long waitDeadline) {
    this.launch = launch;
    this.markedId = markedId;
    this.waitDeadline = waitDeadline;
  }

  void stopping(Container replaced, String pid, long now, long deadline) {
    c1 = replaced;
    c1Pid = pid;
    stopRequestedAt = now;
    stopDeadline = deadline;
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

  boolean waitOver(long now) {
    return now > waitDeadline;
  }

  boolean isStopping() {
    return c1 != null;
  }

  Container c1() {
    return c1;
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
