package io.workerpool.nm;

import java.io.IOException;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.apache.hadoop.yarn.server.nodemanager.ContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.apache.hadoop.yarn.server.nodemanager.executor.ContainerLivenessContext;
import org.apache.hadoop.yarn.server.nodemanager.executor.ContainerSignalContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells whether a stopped container's processes are gone: the NodeManager has seen its launched
 * process exit, and nothing is left of its process group (children get SIGKILL only at the end of the
 * grace period). The group is looked up in the host's process table ({@link ProcessGroups}, no fork);
 * where that cannot be read, the executor's liveness check answers (DefaultContainerExecutor,
 * LinuxContainerExecutor and its Docker runtime each for their own kind of container).
 */
final class ProcessGoneProbe {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessGoneProbe.class);

  /** States reached only after the launched process has exited. */
  private static final Set<ContainerState> EXITED = EnumSet.of(ContainerState.CONTAINER_CLEANEDUP_AFTER_KILL,
      ContainerState.EXITED_WITH_SUCCESS, ContainerState.EXITED_WITH_FAILURE, ContainerState.DONE);

  private final ContainerExecutor exec;
  private final ProcessGroups groups;

  ProcessGoneProbe(ContainerExecutor exec, ProcessGroups groups) {
    this.exec = exec;
    this.groups = groups;
  }

  /**
   * @param container the container, or null if the NodeManager no longer knows it
   * @param checkAs the container whose executor context checks the pid: the container itself, or the one
   *     replacing it when the NodeManager no longer knows it
   * @param pid the container's pid as read before it was stopped (stopping forgets it), or null if it
   *     is not known
   * @param group the processes of the container's group as read before it was stopped, or null if not read
   * @param graceOver whether the stop's grace period is over: a container whose pid is not known (after a
   *     NodeManager restart the state can say it exited before the pid file was read) counts as gone only
   *     then, when its processes got SIGKILL if they were known at all
   */
  boolean isGone(Container container, Container checkAs, String pid, Set<Long> group, boolean graceOver) {
    if (!exited(container)) {
      return false;
    }
    if (pid == null) {
      return container == null || graceOver;
    }
    Long pgid = ProcessGroups.groupId(pid);
    Optional<Boolean> groupAlive = pgid != null ? groups.anyAlive(pgid, group) : Optional.empty();
    if (groupAlive.isPresent()) {
      return !groupAlive.get();
    }
    try {
      return !exec.isContainerAlive(new ContainerLivenessContext.Builder().setContainer(checkAs)
          .setUser(checkAs.getUser()).setPid(pid).build());
    } catch (IOException e) {
      LOG.warn("Cannot check whether the processes of pid {} are gone; the NodeManager saw its container end", pid,
          e);
      return true;
    }
  }

  /** Whether the NodeManager has seen the container's launched process end (true if it no longer knows it). */
  boolean exited(Container container) {
    return container == null || EXITED.contains(container.getContainerState());
  }

  /**
   * SIGKILLs the process group of a stopped container that the NodeManager takes for ended while it outlived
   * its grace: after a restart, a container whose stop had removed its pid file is recovered as lost, and no
   * one would end its processes.
   *
   * @param container the container, or the one replacing it when the NodeManager no longer knows it (the
   *     executor signals as that container's user)
   */
  void kill(Container container, String pid) {
    try {
      exec.signalContainer(new ContainerSignalContext.Builder().setContainer(container)
          .setUser(container.getUser()).setPid(pid).setSignal(ContainerExecutor.Signal.KILL).build());
    } catch (IOException e) {
      LOG.warn("Cannot SIGKILL pid {} of the container {} replaces", pid, container.getContainerId(), e);
    }
  }
}
