package io.workerpool.nm;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.util.Time;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.event.Dispatcher;
import org.apache.hadoop.yarn.server.nodemanager.ContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.Context;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainerCleanup;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainerLaunch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops replaced containers C1 the stock way (SIGTERM, then SIGKILL, with the stop grace instead of the
 * node-wide SIGKILL delay), once the executor knows C1's pid (the SIGTERMs of a node's batch go out together,
 * {@link BatchedTerm}), and tells which pid each stop signalled. The
 * stock cleanup reads the pid once: a container recovered after a NodeManager restart is RUNNING before its
 * recovered launch has read its pid file, and a cleanup in that moment signals nothing and reports the
 * container killed while its process runs on.
 */
final class ReplacedStops {
  private static final Logger LOG = LoggerFactory.getLogger(ReplacedStops.class);

  private final Context context;
  private final Dispatcher dispatcher;
  private final ContainerExecutor exec;
  private final Configuration graceConf;
  private final long pidWaitMs;
  private final ExecutorService cleanups;
  private final ScheduledExecutorService timer;
  private final long pollMs;
  private final BooleanSupplier running;
  private final BatchedTerm term;
  private final Function<ContainerId, Optional<String>> recordedPids;
  /** Pids of containers C1 as their stop signalled them (the stop makes the executor forget them). */
  private final Map<ContainerId, String> signalled = new ConcurrentHashMap<>();

  /**
   * @param pidWaitMs longest wait for the pid of a C1 being stopped
   * @param cleanups where the stock cleanups run (the launcher's pool)
   * @param running whether the launcher still runs (no more polls once it stopped)
   * @param recordedPids C1's pid as recorded for a C3 before a NodeManager restart ({@link GateFiles#replacedPid})
   */
  ReplacedStops(Context context, Dispatcher dispatcher, ContainerExecutor exec, Configuration conf, long graceMs,
      long pidWaitMs, ExecutorService cleanups, ScheduledExecutorService timer, long pollMs, BooleanSupplier running,
      Function<ContainerId, Optional<String>> recordedPids) {
    this.context = context;
    this.dispatcher = dispatcher;
    this.exec = exec;
    this.graceConf = new Configuration(conf);
    graceConf.setLong(YarnConfiguration.NM_SLEEP_DELAY_BEFORE_SIGKILL_MS, graceMs);
    this.pidWaitMs = pidWaitMs;
    this.cleanups = cleanups;
    this.timer = timer;
    this.pollMs = pollMs;
    this.running = running;
    this.term = new BatchedTerm(exec, timer, pollMs);
    this.recordedPids = recordedPids;
  }

  /** Stops C1 (whose kill event brought its cleanup) with the grace, once its pid is known. */
  void stop(Container c1, ContainerLaunch launch) {
    submitWhenPidKnown(c1, launch, Time.monotonicNow() + pidWaitMs);
  }

  private void submitWhenPidKnown(Container c1, ContainerLaunch launch, long deadline) {
    ContainerId c1Id = c1.getContainerId();
    String pid = exec.getProcessId(c1Id);
    if (pid == null && c1.getContainerState() == ContainerState.KILLING && Time.monotonicNow() < deadline
        && running.getAsBoolean()) {
      timer.schedule(() -> submitWhenPidKnown(c1, launch, deadline), pollMs, TimeUnit.MILLISECONDS);
      return;
    }
    Runnable cleanup = () -> cleanups.submit(new ContainerCleanup(context, graceConf, dispatcher, exec, c1, launch));
    if (pid != null) {
      signalled.put(c1Id, pid);
      term.terminate(pid, cleanup);
      return;
    }
    if (c1.getContainerState() == ContainerState.KILLING) {
      LOG.warn("The pid of {} is still not known {} ms after it was asked to stop; stopping it the stock way",
          c1Id, pidWaitMs);
    }
    cleanup.run();
  }

  /**
   * C1's pid as its stop signalled it, else as the executor knows it now, else as read before the stop, else as
   * recorded in C3's folder before a NodeManager restart; null if none is known.
   */
  String pidOf(HeldLaunch launch) {
    ContainerId c1Id = ContainerId.fromString(launch.markedId());
    String pid = signalled.get(c1Id);
    if (pid == null) {
      pid = exec.getProcessId(c1Id);
    }
    if (pid == null) {
      pid = launch.c1Pid();
    }
    return pid != null ? pid : recordedPids.apply(launch.c3Id()).orElse(null);
  }

  /** C3 runs in C1's place: C1's pid is of no more use. */
  void forget(ContainerId c1) {
    signalled.remove(c1);
  }
}
