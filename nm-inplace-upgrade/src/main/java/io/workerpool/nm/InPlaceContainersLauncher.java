package io.workerpool.nm;

import io.workerpool.nm.ReplacementDecision.Action;
import io.workerpool.protocol.ReplacementContract;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.util.Time;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.event.Dispatcher;
import org.apache.hadoop.yarn.server.nodemanager.ContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.Context;
import org.apache.hadoop.yarn.server.nodemanager.LocalDirsHandlerService;
import org.apache.hadoop.yarn.server.nodemanager.NMAuditLogger;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.ContainerManagerImpl;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainerCleanup;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainerLaunch;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainersLauncher;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainersLauncherEvent;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.scheduler.OpportunisticContainersQueuePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a new container C3 in the place of the container C1 that its RM-signed token says it
 * replaces (allocation tag {@code worker-pool.replaces=<C1>}). C3 localizes while C1 runs; at C3's
 * LAUNCH_CONTAINER the launch is held, C1 is stopped (SIGTERM, grace, SIGKILL) with
 * {@link ReplacementContract#REPLACED_EXIT_STATUS} and a diagnostic naming C3, and C3 is launched
 * once C1's processes are gone. Every wait is bounded and runs on this launcher's own timer, never
 * on the NodeManager's dispatcher thread. Switched on with
 * {@code yarn.nodemanager.containers-launcher.class}; settings in {@link NmWorkerPoolConfig}.
 */
public class InPlaceContainersLauncher extends ContainersLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(InPlaceContainersLauncher.class);
  private static final long POLL_MS = 20;
  private static final Map<Context, InPlaceContainersLauncher> BY_CONTEXT = new ConcurrentHashMap<>();

  /** Orders held launches against CLEANUP_CONTAINER, which the dispatcher no longer orders for us. */
  private final Object lock = new Object();
  /** C3 id to its held launch; guarded by lock. */
  private final Map<ContainerId, HeldLaunch> held = new HashMap<>();
  /** Containers C1 being stopped for a replacement, until their CLEANUP_CONTAINER; guarded by lock. */
  private final Set<ContainerId> replacing = new HashSet<>();

  private Context context;
  private ContainerExecutor exec;
  private ReplacedExitStatusDispatcher dispatcher;
  private ProcessGoneProbe probe;
  private NmWorkerPoolConfig settings;
  private Configuration graceConf;
  private ScheduledExecutorService timer;
  private SwapMetrics metrics;

  /** The launcher of a NodeManager, if it runs this class. */
  public static Optional<InPlaceContainersLauncher> of(Context nmContext) {
    return Optional.ofNullable(BY_CONTEXT.get(nmContext));
  }

  public SwapMetrics metrics() {
    return metrics;
  }

  @Override
  public void init(Context nmContext, Dispatcher nmDispatcher, ContainerExecutor containerExec,
      LocalDirsHandlerService nmDirsHandler, ContainerManagerImpl nmContainerManager) {
    context = nmContext;
    exec = containerExec;
    dispatcher = new ReplacedExitStatusDispatcher(nmDispatcher);
    probe = new ProcessGoneProbe(containerExec);
    super.init(nmContext, dispatcher, containerExec, nmDirsHandler, nmContainerManager);
  }

  @Override
  protected void serviceInit(Configuration conf) throws Exception {
    settings = NmWorkerPoolConfig.from(conf);
    graceConf = new Configuration(conf);
    graceConf.setLong(YarnConfiguration.NM_SLEEP_DELAY_BEFORE_SIGKILL_MS, settings.stopGraceMs());
    warnIfGuaranteedContainersQueue(conf);
    super.serviceInit(conf);
  }

  @Override
  protected void serviceStart() throws Exception {
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "InPlaceContainersLauncher timer");
      thread.setDaemon(true);
      return thread;
    });
    metrics = SwapMetrics.register(context.getNodeId().toString());
    BY_CONTEXT.put(context, this);
    super.serviceStart();
  }

  @Override
  protected void serviceStop() throws Exception {
    BY_CONTEXT.remove(context, this);
    synchronized (lock) {
      if (timer != null) {
        timer.shutdownNow();
      }
    }
    if (metrics != null) {
      metrics.unregister();
    }
    super.serviceStop();
  }

  @Override
  public void handle(ContainersLauncherEvent event) {
    switch (event.getType()) {
      case LAUNCH_CONTAINER -> onLaunch(event);
      case CLEANUP_CONTAINER -> onCleanup(event);
      default -> super.handle(event);
    }
  }

  private void onLaunch(ContainersLauncherEvent event) {
    Optional<String> mark = ContainerFacts.mark(event.getContainer());
    if (mark.isEmpty()) {
      super.handle(event);
      return;
    }
    synchronized (lock) {
      HeldLaunch launch = new HeldLaunch(event, mark.get(), Time.monotonicNow() + settings.recoveryWaitMs());
      held.put(launch.c3Id(), launch);
      try {
        ReplacementDecision decision = decide(launch);
        if (decision.action() == Action.WAIT) {
          LOG.info("Holding the launch of {} for up to {} ms: {}", launch.c3Id(), settings.recoveryWaitMs(),
              decision.reason());
        }
      } catch (RuntimeException e) {
        // On the dispatcher thread an exception would shut the NodeManager down.
        giveUp(launch, e);
      }
    }
  }

  private void onCleanup(ContainersLauncherEvent event) {
    ContainerId id = event.getContainer().getContainerId();
    synchronized (lock) {
      HeldLaunch cancelled = held.remove(id);
      if (cancelled != null) {
        LOG.info("{} was stopped before its launch: in-place replacement of {} cancelled{}", id,
            cancelled.markedId(), cancelled.isStopping() ? " (that container is already being stopped)" : "");
      }
      if (replacing.remove(id) && stopGracefully(event)) {
        return;
      }
    }
    super.handle(event);
  }

  /** Under lock: decides on a held launch and acts on the decision. */
  private ReplacementDecision decide(HeldLaunch launch) {
    Optional<Container> c1 = ContainerFacts.find(context, launch.markedId());
    ReplacementDecision decision = ReplacementDecision.decide(ContainerFacts.asNew(launch.c3()),
        launch.markedId(), c1.map(ContainerFacts::asMarked), launch.waitOver(Time.monotonicNow()));
    switch (decision.action()) {
      case REPLACE -> stopReplaced(launch, c1.get());
      case WAIT -> schedulePoll(launch);
      case LAUNCH_NORMALLY -> {
        LOG.warn("{} is marked as replacing {} but is launched normally and stops nothing: {}", launch.c3Id(),
            launch.markedId(), decision.reason());
        metrics.swapsFailed.incr();
        release(launch);
      }
    }
    return decision;
  }

  private void stopReplaced(HeldLaunch launch, Container c1) {
    ContainerId c1Id = c1.getContainerId();
    long now = Time.monotonicNow();
    // Read before the kill: the cleanup makes the executor forget C1's pid file.
    launch.stopping(c1, exec.getProcessId(c1Id), now, now + settings.stopTimeoutMs());
    replacing.add(c1Id);
    metrics.swapsStarted.incr();
    try {
      // As ContainerManagerImpl.stopContainerInternal does, so that a NodeManager restart keeps C1 stopped.
      context.getNMStateStore().storeContainerKilled(c1Id);
    } catch (IOException e) {
      LOG.warn("Cannot record {} as killed in the NodeManager state store", c1Id, e);
    }
    c1.sendKillEvent(ReplacementContract.REPLACED_EXIT_STATUS,
        ReplacementContract.replacedDiagnostic(c1Id.toString(), launch.c3Id().toString()));
    NMAuditLogger.logSuccess(c1.getUser(), "Stop Container Request", "InPlaceContainersLauncher",
        c1Id.getApplicationAttemptId().getApplicationId(), c1Id);
    LOG.info("Stopping {} to launch {} in its place", c1Id, launch.c3Id());
    schedulePoll(launch);
  }

  /** Under lock: stops C1 with the configured grace instead of the node-wide SIGKILL delay. */
  private boolean stopGracefully(ContainersLauncherEvent cleanup) {
    ContainerId c1Id = cleanup.getContainer().getContainerId();
    ContainerLaunch launch = running.remove(c1Id);
    if (launch == null) {
      return false;
    }
    dispatcher.keepReplacedStatus(c1Id);
    containerLauncher.submit(new ContainerCleanup(context, graceConf, dispatcher, exec, cleanup.getContainer(),
        launch));
    return true;
  }

  private void poll(HeldLaunch launch) {
    try {
      // The liveness check may fork a process: run it outside the lock that the dispatcher thread takes.
      boolean gone = launch.isStopping() && probe.isGone(launch.c1(), launch.c1Pid());
      synchronized (lock) {
        if (held.get(launch.c3Id()) != launch) {
          return;
        }
        if (!launch.isStopping()) {
          decide(launch);
        } else if (gone) {
          finishSwap(launch);
        } else if (launch.stopOverdue(Time.monotonicNow())) {
          LOG.warn("{} was not gone {} ms after it was asked to stop; launching {} anyway",
              launch.c1().getContainerId(), settings.stopTimeoutMs(), launch.c3Id());
          metrics.swapsFailed.incr();
          release(launch);
        } else {
          schedulePoll(launch);
        }
      }
    } catch (RuntimeException e) {
      // A scheduled task's exception would go unseen and hold C3 for ever.
      synchronized (lock) {
        giveUp(launch, e);
      }
    }
  }

  /** Under lock. */
  private void giveUp(HeldLaunch launch, RuntimeException e) {
    LOG.error("In-place replacement of {} by {} failed; launching {} now", launch.markedId(), launch.c3Id(),
        launch.c3Id(), e);
    if (held.get(launch.c3Id()) == launch) {
      metrics.swapsFailed.incr();
      release(launch);
    }
  }

  private void finishSwap(HeldLaunch launch) {
    long gapMs = Time.monotonicNow() - launch.stopRequestedAt();
    release(launch);
    metrics.swapsDone.incr();
    metrics.swapGapMs.add(gapMs);
    LOG.info("Replaced {} in place by {} on {}: gap {} ms from stop request to launch;"
            + " {} localization bytesMissed,bytesCached,filesMissed,filesCached,millis={}",
        launch.c1().getContainerId(), launch.c3Id(), context.getNodeId(), gapMs, launch.c3Id(),
        launch.c3().localizationCountersAsString());
  }

  /** Under lock: ends the hold and launches C3 the stock way, unless C3 was stopped meanwhile. */
  private void release(HeldLaunch launch) {
    held.remove(launch.c3Id());
    ContainerState state = launch.c3().getContainerState();
    if (state != ContainerState.SCHEDULED) {
      LOG.info("{} is {}: not launching it", launch.c3Id(), state);
    } else if (isInState(STATE.STARTED)) {
      super.handle(launch.launch());
    }
  }

  private void schedulePoll(HeldLaunch launch) {
    if (isInState(STATE.STARTED)) {
      timer.schedule(() -> poll(launch), POLL_MS, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * With NodeManager queuing, a full node queues C3 until C1 ends, while C1 is stopped only at C3's
   * launch: C3 would never start.
   */
  private static void warnIfGuaranteedContainersQueue(Configuration conf) {
    boolean queuing = conf.getInt(YarnConfiguration.NM_OPPORTUNISTIC_CONTAINERS_MAX_QUEUE_LENGTH,
        YarnConfiguration.DEFAULT_NM_OPPORTUNISTIC_CONTAINERS_MAX_QUEUE_LENGTH) > 0
        || conf.getEnum(YarnConfiguration.NM_OPPORTUNISTIC_CONTAINERS_QUEUE_POLICY,
            OpportunisticContainersQueuePolicy.DEFAULT) == OpportunisticContainersQueuePolicy.BY_RESOURCES;
    if (queuing) {
      LOG.warn("{} or {} makes this NodeManager queue guaranteed containers; a container replacing another on a"
              + " full node will not start", YarnConfiguration.NM_OPPORTUNISTIC_CONTAINERS_MAX_QUEUE_LENGTH,
          YarnConfiguration.NM_OPPORTUNISTIC_CONTAINERS_QUEUE_POLICY);
    }
  }
}
