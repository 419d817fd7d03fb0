package io.workerpool.nm;

import io.workerpool.nm.HeldLaunch.Phase;
import io.workerpool.nm.ReplacementDecision.Action;
import io.workerpool.nm.ReplacementDecision.MarkedContainer;
import io.workerpool.protocol.ReplacementContract;
import io.workerpool.protocol.ReplacementContract.Batch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.util.Time;
import org.apache.hadoop.yarn.api.records.ContainerExitStatus;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.SignalContainerCommand;
import org.apache.hadoop.yarn.server.api.ContainerType;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.event.Dispatcher;
import org.apache.hadoop.yarn.server.nodemanager.ContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.Context;
import org.apache.hadoop.yarn.server.nodemanager.LocalDirsHandlerService;
import org.apache.hadoop.yarn.server.nodemanager.NMAuditLogger;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.ContainerManagerImpl;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainerLaunch;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainersLauncher;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainersLauncherEvent;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.SignalContainersLauncherEvent;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.scheduler.OpportunisticContainersQueuePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a new container C3 in the place of the container C1 that its RM-signed token says it
 * replaces (allocation tag {@code worker-pool.replaces=<C1>}), with the least time between C1's
 * end and C3's command: at C3's LAUNCH_CONTAINER (its files are localized) C3's whole stock launch
 * runs while C1 still runs, up to C3's own process, which waits at a {@link LaunchGate} in front of
 * its command. Once C3 and the other new containers of its batch on this node (tag
 * {@code worker-pool.batch=<size>/<key>}) are prepared, or the first prepared one has waited
 * {@code batch-wait-ms}, their old containers are stopped together (SIGTERM, grace, SIGKILL) with
 * {@link ReplacementContract#REPLACED_EXIT_STATUS} and a diagnostic naming C3, and each gate opens
 * as soon as its C1's processes are gone. C3 is RUNNING in the NodeManager only from then on
 * ({@link GatedLaunchDispatcher}). A C3 that ends or is stopped before that leaves C1 running.
 * Every wait is bounded and runs on this launcher's own timer, never on the NodeManager's
 * dispatcher thread. Switched on with {@code yarn.nodemanager.containers-launcher.class}; settings
 * in {@link NmWorkerPoolConfig}.
 */
public class InPlaceContainersLauncher extends ContainersLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(InPlaceContainersLauncher.class);
  private static final long POLL_MS = 10;
  private static final int TIMER_THREADS = 4;
  private static final long SWEEP_MINUTES = 1;
  private static final Map<Context, InPlaceContainersLauncher> BY_CONTEXT = new ConcurrentHashMap<>();

  /** Orders held launches against CLEANUP_CONTAINER, which the dispatcher no longer orders for us. */
  private final Object lock = new Object();
  /** C3 id to its held launch; guarded by lock. */
  private final Map<ContainerId, HeldLaunch> held = new HashMap<>();
  /** Batch key to its batch; guarded by lock. */
  private final Map<String, SwapBatch> batches = new HashMap<>();
  /** Containers C1 being stopped for a replacement, until their CLEANUP_CONTAINER; guarded by lock. */
  private final Set<ContainerId> replacing = new HashSet<>();

  private Context context;
  private ContainerExecutor exec;
  private ReplacedExitStatusDispatcher dispatcher;
  private GatedLaunchDispatcher gates;
  private ProcessGoneProbe probe;
  private ProcessGroups processGroups;
  private GateFiles gateFiles;
  private NmWorkerPoolConfig settings;
  private Configuration conf;
  private ReplacedStops stops;
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
    gates = new GatedLaunchDispatcher(dispatcher,
        id -> Optional.ofNullable(nmContext.getContainers().get(id)).map(Container::getContainerState));
    processGroups = ProcessGroups.ofThisHost();
    probe = new ProcessGoneProbe(containerExec, processGroups);
    gateFiles = new GateFiles(nmDirsHandler::getLocalDirs, nmDirsHandler::getLocalDirsForRead);
    super.init(nmContext, gates, containerExec, nmDirsHandler, nmContainerManager);
  }

  @Override
  protected void serviceInit(Configuration conf) throws Exception {
    settings = NmWorkerPoolConfig.from(conf);
    this.conf = conf;
    warnIfGuaranteedContainersQueue(conf);
    super.serviceInit(conf);
  }

  @Override
  protected void serviceStart() throws Exception {
    // Several threads: a liveness check forks a process, and a batch checks many old containers at once.
    timer = Executors.newScheduledThreadPool(TIMER_THREADS, r -> {
      Thread thread = new Thread(r, "InPlaceContainersLauncher timer");
      thread.setDaemon(true);
      return thread;
    });
    stops = new ReplacedStops(context, dispatcher, exec, conf, settings.stopGraceMs(), settings.recoveryWaitMs(),
        containerLauncher, timer, POLL_MS, () -> isInState(STATE.STARTED), gateFiles::replacedPid);
    // The containers recovered after a restart are known by now: files of the others ended with them.
    timer.scheduleWithFixedDelay(this::sweepGateFiles, 0, SWEEP_MINUTES, TimeUnit.MINUTES);
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
      case RECOVER_CONTAINER -> onRecover(event);
      case CLEANUP_CONTAINER -> onCleanup(event);
      case SIGNAL_CONTAINER -> onSignal(event);
      default -> super.handle(event);
    }
  }

  /**
   * The RM ends an AM for an in-place update with FORCEFUL_SHUTDOWN (no grace in which a stock AM would stop its
   * workers). The container is first marked killed with ABORTED, so that every report of its end, including the
   * one a restarted RM gets when this node registers (which goes straight to the attempt), says ABORTED: the
   * attempt does not count as failed. A FORCEFUL_SHUTDOWN of an AM from {@code yarn container -signal} ends the
   * same way.
   */
  private void onSignal(ContainersLauncherEvent event) {
    Container container = event.getContainer();
    if (event instanceof SignalContainersLauncherEvent signal
        && signal.getCommand() == SignalContainerCommand.FORCEFUL_SHUTDOWN
        && container.getContainerTokenIdentifier().getContainerType() == ContainerType.APPLICATION_MASTER
        && container.getContainerState() == ContainerState.RUNNING) {
      container.sendKillEvent(ContainerExitStatus.ABORTED,
          "AM killed by the ResourceManager (FORCEFUL_SHUTDOWN), as for an in-place update");
    }
    super.handle(event);
  }

  private void onLaunch(ContainersLauncherEvent event) {
    Optional<String> mark = ContainerFacts.mark(event.getContainer());
    if (mark.isEmpty()) {
      super.handle(event);
      return;
    }
    ContainerId c3Id = event.getContainer().getContainerId();
    Batch batch = ContainerFacts.batch(event.getContainer()).orElse(new Batch(c3Id.toString(), 1));
    synchronized (lock) {
      HeldLaunch launch = new HeldLaunch(event, mark.get(), batch, Time.monotonicNow() + settings.recoveryWaitMs(),
          false);
      held.put(c3Id, launch);
      batchOf(launch);
      try {
        ReplacementDecision decision = decide(launch);
        if (decision.action() == Action.WAIT) {
          LOG.info("Holding the launch of {} for up to {} ms: {}", c3Id, settings.recoveryWaitMs(),
              decision.reason());
        }
      } catch (RuntimeException e) {
        // On the dispatcher thread an exception would shut the NodeManager down.
        giveUp(launch, e);
      }
    }
  }

  /**
   * A restarted NodeManager recovers a container it had launched. For a marked C3 whose process waits at
   * its gate, the swap goes on where it was: C3 stays SCHEDULED behind its gate until C1 is gone, C1 is
   * stopped (again) for it with the replaced status and the configured grace.
   */
  private void onRecover(ContainersLauncherEvent event) {
    Optional<String> mark = ContainerFacts.mark(event.getContainer());
    if (mark.isPresent()) {
      ContainerFacts.recoverWorkDir(context, event.getContainer());
    } else {
      recoverReplaced(event.getContainer());
    }
    // A C3 asked to stop before the restart is left to the recovery, which kills it: C1 keeps running.
    if (mark.isEmpty() || !gateFiles.closed(event.getContainer().getContainerId())
        || ContainerFacts.recordedStopped(context, event.getContainer().getContainerId())) {
      super.handle(event);
      return;
    }
    ContainerId c3Id = event.getContainer().getContainerId();
    synchronized (lock) {
      // The other members of its batch may have swapped before the restart: it is a batch of its own.
      HeldLaunch launch = new HeldLaunch(event, mark.get(), new Batch(c3Id.toString(), 1),
          Time.monotonicNow() + settings.recoveryWaitMs(), true);
      held.put(c3Id, launch);
      batchOf(launch);
      gates.gate(c3Id);
      // Reacquires the gated process; its CONTAINER_LAUNCHED is held like a fresh launch's.
      super.handle(event);
      LOG.info("{} was recovered waiting at the gate in front of its command: resuming the replacement of {}",
          c3Id, mark.get());
      try {
        decide(launch);
      } catch (RuntimeException e) {
        giveUp(launch, e);
      }
    }
  }

  /**
   * A recovered container C1 whose stop for a replacement C3 had begun before the restart (C3's folder
   * holds C1's pid): its end, however the recovered launch sees it, is reported as replaced.
   */
  private void recoverReplaced(Container c1) {
    Optional<Container> c3 = ContainerFacts.replacementOf(context, c1.getContainerId());
    if (c3.isEmpty()) {
      return;
    }
    if (gateFiles.replacedPid(c3.get().getContainerId()).isPresent()) {
      dispatcher.endsAsReplaced(c1.getContainerId(), ReplacementContract.replacedDiagnostic(
          c1.getContainerId().toString(), c3.get().getContainerId().toString()));
    }
  }

  private void onCleanup(ContainersLauncherEvent event) {
    ContainerId id = event.getContainer().getContainerId();
    synchronized (lock) {
      if (recoveredAsStopped(event.getContainer())) {
        return;
      }
      HeldLaunch cancelled = held.get(id);
      if (cancelled != null && gates.endedAtGate(id)) {
        // Its process ended by itself; the container's failure brings this cleanup.
        preparedLaunchFailed(cancelled);
      } else if (cancelled != null) {
        held.remove(id);
        gates.forget(id);
        boolean c1Stopping = cancelled.phase().compareTo(Phase.STOPPING) >= 0;
        LOG.info("{} was stopped before its command ran: in-place replacement of {} cancelled{}", id,
            cancelled.markedId(), c1Stopping ? " (that container is already being stopped)"
                : "; " + cancelled.markedId() + " keeps running");
        settleUnprepared(cancelled);
      }
      if (replacing.remove(id) && stopGracefully(event)) {
        return;
      }
    }
    if (ContainerFacts.mark(event.getContainer()).isPresent()) {
      gateFiles.delete(id);
    }
    // Stops a prepared C3 waiting at its gate the stock way (its process is killed).
    super.handle(event);
  }

  /**
   * Under lock. A CLEANUP_CONTAINER for a RUNNING container comes from a restarted NodeManager that
   * recovered it as stopped; it would stop the container at once with the node-wide SIGKILL delay, or,
   * before the recovered launch has read its pid file, not at all. A C1 whose replacement is on this
   * node is stopped as a replaced container instead: its kill event brings the cleanup back.
   */
  private boolean recoveredAsStopped(Container container) {
    ContainerId id = container.getContainerId();
    if (container.getContainerState() != ContainerState.RUNNING || replacing.contains(id) || held.containsKey(id)) {
      return false;
    }
    Optional<Container> c3 = ContainerFacts.replacementOf(context, id);
    if (c3.isEmpty()) {
      return false;
    }
    replacing.add(id);
    container.sendKillEvent(ReplacementContract.REPLACED_EXIT_STATUS,
        ReplacementContract.replacedDiagnostic(id.toString(), c3.get().getContainerId().toString()));
    LOG.info("{} was recovered as stopped for {}: stopping it with a grace of {} ms", id,
        c3.get().getContainerId(), settings.stopGraceMs());
    return true;
  }

  /** Under lock: decides on a launch waiting for C1 to come up, and acts on the decision. */
  private ReplacementDecision decide(HeldLaunch launch) {
    Optional<Container> c1 = ContainerFacts.find(context, launch.markedId());
    Optional<MarkedContainer> marked = c1.map(c -> ContainerFacts.asMarked(c, exec.getProcessId(c.getContainerId())));
    boolean waitOver = launch.waitOver(Time.monotonicNow());
    ReplacementDecision decision = launch.recovered()
        ? ReplacementDecision.resume(ContainerFacts.asNew(launch.c3()), launch.markedId(), marked, waitOver)
        : ReplacementDecision.decide(ContainerFacts.asNew(launch.c3()), launch.markedId(), marked, waitOver);
    switch (decision.action()) {
      case REPLACE -> {
        if (launch.recovered()) {
          // Its process is already at (or on its way to) its gate.
          launch.preparing(c1.get(), Time.monotonicNow());
          schedulePoll(launch);
        } else {
          prepare(launch, c1.get());
        }
      }
      case WAIT -> schedulePoll(launch);
      case OPEN_WHEN_GONE -> {
        LOG.info("{}: {} passes its gate once that container's processes are gone", decision.reason(),
            launch.c3Id());
        long now = Time.monotonicNow();
        launch.stopping(c1.orElse(null), null, null, now, now + settings.stopTimeoutMs());
        schedulePoll(launch);
      }
      case CANCEL -> {
        LOG.warn("{} cannot take the place of {} after the NodeManager restart ({}): stopping {}, {} keeps running",
            launch.c3Id(), launch.markedId(), decision.reason(), launch.c3Id(), launch.markedId());
        metrics.swapsFailed.incr();
        launch.c3().sendKillEvent(ContainerExitStatus.ABORTED, "Container " + launch.c3Id() + " could not take the"
            + " place of " + launch.markedId() + " after a NodeManager restart: " + decision.reason());
      }
      case LAUNCH_NORMALLY -> {
        LOG.warn("{} is marked as replacing {} but is launched normally and stops nothing: {}", launch.c3Id(),
            launch.markedId(), decision.reason());
        metrics.swapsFailed.incr();
        launchUngated(launch);
      }
    }
    return decision;
  }

  /** Under lock: runs C3's stock launch up to the gate in front of its command while C1 runs on. */
  private void prepare(HeldLaunch launch, Container c1) {
    Optional<Path> openFile;
    try {
      openFile = gateFiles.create(launch.c3Id());
    } catch (IOException e) {
      LOG.warn("Cannot create the gate files of {} in the folder {} of a local dir: launched normally, {} keeps"
          + " running", launch.c3Id(), GateFiles.FOLDER, launch.markedId(), e);
      metrics.swapsFailed.incr();
      launchUngated(launch);
      return;
    }
    if (openFile.isEmpty()) {
      LOG.warn("No local dir of this NodeManager has a path of letters, digits and /._+- only, which the gate in"
          + " front of {}'s command must name: launched normally, {} keeps running", launch.c3Id(),
          launch.markedId());
      metrics.swapsFailed.incr();
      launchUngated(launch);
      return;
    }
    if (!LaunchGate.install(launch.c3().getLaunchContext(), settings.gateLimitSeconds(), openFile.get())) {
      gateFiles.delete(launch.c3Id());
      LOG.warn("{} has no command to hold: launched normally, {} keeps running", launch.c3Id(), launch.markedId());
      metrics.swapsFailed.incr();
      launchUngated(launch);
      return;
    }
    launch.preparing(c1, Time.monotonicNow());
    gates.gate(launch.c3Id());
    if (isInState(STATE.STARTED)) {
      super.handle(launch.launch());
    }
    schedulePoll(launch);
  }

  private void poll(HeldLaunch launch) {
    try {
      // The liveness check may fork a process: run it outside the lock that the dispatcher thread takes.
      boolean stopping = launch.phase() == Phase.STOPPING;
      String pid = stopping ? stops.pidOf(launch) : null;
      boolean graceOver = stopping && launch.graceOver(Time.monotonicNow(), settings.stopGraceMs());
      boolean gone = stopping && probe.isGone(launch.c1(), launch.c1() != null ? launch.c1() : launch.c3(), pid,
          launch.c1Group(), graceOver);
      if (stopping && !gone && graceOver && pid != null && probe.exited(launch.c1()) && launch.firstLeftoverKill()) {
        LOG.warn("{} counts as ended but its process {} outlived the grace of {} ms: SIGKILL", launch.markedId(),
            pid, settings.stopGraceMs());
        probe.kill(launch.c1() != null ? launch.c1() : launch.c3(), pid);
      }
      boolean ready = launch.phase() == Phase.PREPARING && LaunchGate.isReady(launch.c3());
      synchronized (lock) {
        if (held.get(launch.c3Id()) != launch) {
          return;
        }
        long now = Time.monotonicNow();
        switch (launch.phase()) {
          case WAITING_FOR_OLD -> decide(launch);
          case PREPARING -> {
            if (gates.endedAtGate(launch.c3Id())) {
              preparedLaunchFailed(launch);
            } else if (ready || now - launch.prepareStartedAt() > settings.prepareTimeoutMs()) {
              if (!ready) {
                LOG.warn("{} did not reach the gate in front of its command within {} ms; stopping {} anyway",
                    launch.c3Id(), settings.prepareTimeoutMs(), launch.markedId());
              }
              launch.prepared(now);
              metrics.prepareMs.add(now - launch.prepareStartedAt());
              batchOf(launch).prepared(now);
              fireIfDue(launch);
            } else {
              schedulePoll(launch);
            }
          }
          case PREPARED -> {
            if (gates.endedAtGate(launch.c3Id())) {
              preparedLaunchFailed(launch);
            } else {
              fireIfDue(launch);
            }
          }
          case STOPPING -> {
            if (gone) {
              open(launch);
            } else if (launch.stopOverdue(now)) {
              LOG.warn("{} was not gone {} ms after it was asked to stop; opening the gate of {} anyway",
                  launch.markedId(), settings.stopTimeoutMs(), launch.c3Id());
              metrics.swapsFailed.incr();
              open(launch);
            } else {
              schedulePoll(launch);
            }
          }
          case OPENING -> open(launch);
        }
      }
    } catch (RuntimeException e) {
      // A scheduled task's exception would go unseen and hold C3 for ever.
      synchronized (lock) {
        giveUp(launch, e);
      }
    }
  }

  /** Under lock: stops the old containers of the launch's batch together once the batch is due. */
  private void fireIfDue(HeldLaunch launch) {
    String key = launch.batch().key();
    SwapBatch batch = batchOf(launch);
    long now = Time.monotonicNow();
    // Each held launch keeps exactly one poll going: this one's continues whether or not the batch fires.
    schedulePoll(launch);
    if (!batch.fire(now, System.currentTimeMillis())) {
      return;
    }
    List<HeldLaunch> due = held.values().stream()
        .filter(l -> l.phase() == Phase.PREPARED && l.batch().key().equals(key)).toList();
    // Read before the kill: the cleanup makes the executor forget C1's pid file.
    Map<HeldLaunch, String> pids = new IdentityHashMap<>();
    due.forEach(member -> pids.put(member, exec.getProcessId(member.c1().getContainerId())));
    Map<Long, Set<Long>> groups = c1Groups(pids.values());
    for (HeldLaunch member : due) {
      metrics.preparedWaitMs.add(now - member.preparedAt());
      stopReplaced(member, now, pids.get(member), groups);
    }
    metrics.batchSize.add(due.size());
    LOG.info("Stopping {} old container(s) of batch {} together ({} expected on this node)", due.size(), key,
        batch.expected());
    batches.values().removeIf(b -> b.complete() || b.stale(now));
  }

  /** Under lock: the launch's batch (a new one if it was forgotten). */
  private SwapBatch batchOf(HeldLaunch launch) {
    return batches.computeIfAbsent(launch.batch().key(),
        key -> new SwapBatch(launch.batch().size(), settings.batchWaitMs(), ContainerFacts.swapAt(launch.c3())));
  }

  /** Under lock: a member of a batch will never be prepared; the others need not wait for it. */
  private void settleUnprepared(HeldLaunch launch) {
    if (launch.phase().compareTo(Phase.PREPARED) >= 0) {
      return;
    }
    SwapBatch batch = batches.get(launch.batch().key());
    if (batch == null) {
      return;
    }
    batch.dropped();
    if (batch.complete()) {
      batches.remove(launch.batch().key());
    }
  }

  /** Under lock: C3's process ended at its gate. */
  private void preparedLaunchFailed(HeldLaunch launch) {
    held.remove(launch.c3Id());
    if (launch.phase().compareTo(Phase.STOPPING) >= 0) {
      LOG.warn("{} ended before its command ran, after {} was asked to stop", launch.c3Id(), launch.markedId());
    } else {
      LOG.warn("{} ended before its command ran and before {} was stopped: {} keeps running", launch.c3Id(),
          launch.markedId(), launch.markedId());
    }
    metrics.swapsFailed.incr();
    settleUnprepared(launch);
  }

  /**
   * Under lock: the processes of the groups these C1 pids lead, from one scan of the process table (empty if it
   * cannot be read): once a group's leader has exited, its other processes can only be found by scanning.
   */
  private Map<Long, Set<Long>> c1Groups(Collection<String> pids) {
    Set<Long> pgids = new HashSet<>();
    for (String pid : pids) {
      Long pgid = ProcessGroups.groupId(pid);
      if (pgid != null) {
        pgids.add(pgid);
      }
    }
    if (pgids.isEmpty()) {
      return Map.of();
    }
    Map<Long, Set<Long>> groups = processGroups.members(pgids);
    return groups == null ? Map.of() : groups;
  }

  /**
   * Under lock: stops C1 of a prepared member; the member's own poll then waits for C1 to be gone.
   *
   * @param pid C1's pid as the executor knew it before the batch's stops, or null
   */
  private void stopReplaced(HeldLaunch launch, long now, String pid, Map<Long, Set<Long>> groups) {
    Container c1 = launch.c1();
    ContainerId c1Id = c1.getContainerId();
    if (c1.getContainerState() != ContainerState.RUNNING) {
      // It ended (or is ending) by itself meanwhile: C3 takes its place once it is gone.
      LOG.info("{} is {}, no longer RUNNING: {} takes its place once it is gone", c1Id, c1.getContainerState(),
          launch.c3Id());
      launch.stopping(c1, pid, null, now, now + settings.stopTimeoutMs());
      return;
    }
    launch.stopping(c1, pid, groupOf(pid, groups), now, now + settings.stopTimeoutMs());
    replacing.add(c1Id);
    try {
      // Before the stop is recorded: a restarted NodeManager finds C1's process through it.
      if (pid != null) {
        gateFiles.recordReplacedPid(launch.c3Id(), pid);
      }
    } catch (IOException e) {
      LOG.warn("Cannot record the pid of {} in the folder of {}", c1Id, launch.c3Id(), e);
    }
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
    LOG.info("Stopping {} to run {} in its place", c1Id, launch.c3Id());
  }

  private static Set<Long> groupOf(String pid, Map<Long, Set<Long>> groups) {
    Long pgid = ProcessGroups.groupId(pid);
    return pgid == null ? null : groups.get(pgid);
  }

  /** Under lock: C1 is gone; C3 becomes RUNNING and its command runs. */
  private void open(HeldLaunch launch) {
    launch.opening();
    ContainerId c3Id = launch.c3Id();
    if (gates.endedAtGate(c3Id) || launch.c3().getContainerState() != ContainerState.SCHEDULED) {
      held.remove(c3Id);
      LOG.warn("{} ended or is being stopped ({}) before its gate was opened; {} was already stopped", c3Id,
          launch.c3().getContainerState(), launch.markedId());
      return;
    }
    gates.release(c3Id);
    held.remove(c3Id);
    try {
      if (!gateFiles.open(c3Id)) {
        throw new IOException("its gate files are gone");
      }
    } catch (IOException e) {
      metrics.swapsFailed.incr();
      LOG.error("Cannot open the gate of {}: it gives up by itself after {} s", c3Id, settings.gateLimitSeconds(), e);
      return;
    }
    if (launch.c1() != null) {
      stops.forget(launch.c1().getContainerId());
    }
    long gapMs = Time.monotonicNow() - launch.stopRequestedAt();
    metrics.swapsDone.incr();
    metrics.swapGapMs.add(gapMs);
    LOG.info("Replaced {} in place by {} on {}: gap {} ms from stop request to open gate;"
            + " {} localization bytesMissed,bytesCached,filesMissed,filesCached,millis={}",
        launch.markedId(), c3Id, context.getNodeId(), gapMs, c3Id,
        launch.c3().localizationCountersAsString());
  }

  /** Under lock. */
  private void giveUp(HeldLaunch launch, RuntimeException e) {
    LOG.error("In-place replacement of {} by {} failed; letting {} run now", launch.markedId(), launch.c3Id(),
        launch.c3Id(), e);
    if (held.get(launch.c3Id()) != launch) {
      return;
    }
    metrics.swapsFailed.incr();
    if (launch.phase() == Phase.WAITING_FOR_OLD) {
      launchUngated(launch);
      return;
    }
    held.remove(launch.c3Id());
    settleUnprepared(launch);
    gates.release(launch.c3Id());
    try {
      gateFiles.open(launch.c3Id());
    } catch (IOException | RuntimeException openFailed) {
      LOG.error("Cannot open the gate of {}: it gives up by itself after {} s", launch.c3Id(),
          settings.gateLimitSeconds(), openFailed);
    }
  }

  /** Under lock: ends the hold and launches C3 the stock way, without a gate, unless C3 was stopped meanwhile. */
  private void launchUngated(HeldLaunch launch) {
    held.remove(launch.c3Id());
    settleUnprepared(launch);
    ContainerState state = launch.c3().getContainerState();
    if (state != ContainerState.SCHEDULED) {
      LOG.info("{} is {}: not launching it", launch.c3Id(), state);
    } else if (isInState(STATE.STARTED)) {
      super.handle(launch.launch());
    }
  }

  /** Under lock: stops C1 with the configured grace instead of the node-wide SIGKILL delay. */
  private boolean stopGracefully(ContainersLauncherEvent cleanup) {
    ContainerId c1Id = cleanup.getContainer().getContainerId();
    ContainerLaunch launch = running.remove(c1Id);
    if (launch == null) {
      return false;
    }
    dispatcher.keepReplacedStatus(c1Id);
    stops.stop(cleanup.getContainer(), launch);
    return true;
  }

  private void sweepGateFiles() {
    try {
      gateFiles.sweep(context.getContainers()::containsKey);
    } catch (RuntimeException e) {
      // A periodic task that throws is never run again.
      LOG.warn("Cannot delete the gate files of ended containers", e);
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
