package io.workerpool.rm.update;

import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.rm.pool.PoolMatch;
import io.workerpool.rm.pool.PoolMatcher;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.pool.WorkerAsk;
import io.workerpool.rm.update.Swaps.Swap;
import io.workerpool.rm.update.UpdateLifecycle.Event;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs updates: takes requests from clients and facts from the scheduler, moves each update through
 * {@link UpdateLifecycle}, holds each application's pool and decides what it serves. Its parts:
 * {@link UpdateHistory}, {@link ActiveUpdate} (one update in flight), {@link Swaps}, {@link AmPlace},
 * {@link EngineSteps} (the effects on the ResourceManager), {@link JournalWriter} and {@link UpdateRecovery}.
 *
 * <p>Threads and locks (the module README has the whole rule): this object's monitor is the innermost
 * lock but an {@link Update}'s own, and the parts above synchronize on it too. Code holding it changes
 * only in-memory state and never calls the {@link ResourceManagerDriver} or the journal. Scheduler
 * callbacks may come with or without the scheduler's read or write lock: they record facts under the
 * monitor and hand every effect on the ResourceManager to the {@link Engine}, whose steps take the
 * scheduler's write lock themselves. Only the allocate path (which holds the write lock it took itself)
 * converts containers synchronously.
 */
public final class UpdateManager {
  private static final Logger LOG = LoggerFactory.getLogger(UpdateManager.class);
  /** The final state of an attempt whose application was killed (the update's own stop of AM1 ends it FAILED). */
  private static final String KILLED = "KILLED";

  private final ResourceManagerDriver driver;
  private final UpdateListener listener;
  private final LongSupplier clock;
  private final UpdateSettings settings;
  private final JournalWriter journal;
  private final Engine engine;
  private final ScheduledExecutorService watchExecutor;

  private final UpdateHistory history;
  private final Map<ApplicationId, ActiveUpdate> active = new HashMap<>();
  private final Swaps swaps;
  private final EngineSteps steps;
  private final AmPlace amPlace;
  private final UpdateRecovery recovery;
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Counts what happens, for metrics. */
  public interface UpdateListener {
    void started();

    void finished(UpdatePhase phase);

    void pooled(int containers);

    void converted(long micros);

    void released(int containers);

    /** A new container ended before it took the old one's place. */
    void swapFailed();

    /** A new container ended within the early-exit window after it took the old one's place. */
    void exitedEarly();
  }

  public UpdateManager(ResourceManagerDriver driver, UpdateListener listener, LongSupplier clock,
      UpdateSettings settings, UpdateJournal journal, Engine engine, ScheduledExecutorService watchExecutor) {
    this.driver = driver;
    this.listener = listener;
    this.clock = clock;
    this.settings = settings;
    this.engine = engine;
    this.watchExecutor = watchExecutor;
    this.journal = new JournalWriter(journal, engine, this);
    this.history = new UpdateHistory(settings.historySize(), this.journal);
    this.swaps = new Swaps(clock, settings.earlyExitWindowMs());
    this.steps = new EngineSteps(this, driver, this.journal, listener, settings);
    this.amPlace = new AmPlace(this, this.journal, engine, steps, clock);
    this.recovery = new UpdateRecovery(this, history, journal, this.journal, engine, listener, clock,
        watchExecutor);
  }

  /** What the scheduler calls about AM1's held place. */
  public AmPlace amPlace() {
    return amPlace;
  }

  /** What a restarted or newly active RM calls to resume the updates in flight. */
  public UpdateRecovery recovery() {
    return recovery;
  }

  // ---- client side ------------------------------------------------------------------------

  public Update start(Caller caller, ApplicationId appId, ContainerLaunchContext launchContext,
      Resource amResource, String clientRequestId) throws UpdateRefusedException {
    synchronized (this) {
      Update earlier = history.byClientRequest(appId, clientRequestId);
      if (earlier != null) {
        return earlier;
      }
      refuseIfRunning(appId);
    }
    ApplicationAttemptId currentAttempt = driver.checkUpdatable(appId, caller);
    ContainerLaunchContext previous = driver.amLaunchContext(appId);
    Resource previousAmResource = driver.amResource(appId);
    ContainerId oldAm = driver.amContainer(currentAttempt);
    int raiseFrom = driver.maxAppAttempts(appId) == 1 ? 1 : 0;
    ActiveUpdate a;
    synchronized (this) {
      refuseIfRunning(appId);
      Update update = new Update("update_" + UUID.randomUUID(), appId, clientRequestId, clock, watchExecutor);
      update.setAttempts(currentAttempt.toString(), null);
      a = new ActiveUpdate(update, currentAttempt);
      a.previousLaunchContext = previous;
      a.previousAmResource = previousAmResource;
      a.oldAmContainer = oldAm == null ? "" : oldAm.toString();
      a.raisedMaxAttemptsFrom = raiseFrom;
      active.put(appId, a);
      history.remember(update, clientRequestId);
    }
    listener.started();
    boolean specReplaced = false;
    try {
      journal.write(a);
      driver.replaceAmLaunchContext(appId, launchContext, amResource);
      specReplaced = true;
      pauseForTests();
      synchronized (this) {
        if (a.update.phase() != UpdatePhase.ACCEPTED) {
          throw new UpdateRefusedException(Reason.FAILED_PRECONDITION, "update " + a.update.id() + " was "
              + a.update.phase() + " before the old AM was ended");
        }
        a.update.on(Event.AM1_ENDING, "new AM launch context stored; ending " + currentAttempt);
      }
      journal.write(a);
      driver.endAttempt(currentAttempt, "AM stopped for in-place update " + a.update.id());
    } catch (UpdateRefusedException | IOException | RuntimeException e) {
      if (stopped.getCount() == 0) {
        throw new UpdateRefusedException(Reason.UNAVAILABLE, "the ResourceManager stopped; retry with the active one");
      }
      // AM1 still runs: its next attempts must keep the launch context it was started with.
      if (specReplaced) {
        restoreLaunchContext(a);
      }
      fail(a, "could not start: " + e.getMessage());
      journal.writeOrLog(null, a.update);
      if (a.update.phase() == UpdatePhase.CANCELLED) {
        return a.update;
      }
      throw e instanceof UpdateRefusedException refused ? refused
          : new UpdateRefusedException(Reason.INTERNAL, e.toString(), e);
    }
    LOG.info("Update {} of {} started by {}: ending {}", a.update.id(), appId, caller.user(), currentAttempt);
    synchronized (this) {
      // The new attempt may already be added, with its claim deadline: that one stays.
      if (a.newAttempt == null && active.get(appId) == a) {
        a.cancelDeadline = engine.schedule(() -> steps.amStopTimedOut(a), settings.amStopTimeoutMs());
      }
    }
    return a.update;
  }

  private void refuseIfRunning(ApplicationId appId) throws UpdateRefusedException {
    ActiveUpdate running = active.get(appId);
    if (running != null) {
      throw new UpdateRefusedException(Reason.ALREADY_EXISTS, "application " + appId + " is already being updated by "
          + running.update.id() + " (phase " + running.update.phase() + "); wait for it to end or cancel it");
    }
  }

  private void pauseForTests() throws UpdateRefusedException {
    try {
      if (settings.pauseBeforeAmEndMs() > 0 && stopped.await(settings.pauseBeforeAmEndMs(), TimeUnit.MILLISECONDS)) {
        throw new UpdateRefusedException(Reason.UNAVAILABLE, "the ResourceManager stopped");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The RM stops (or dies, in tests): updates still being started have no further effect. */
  public void stop() {
    stopped.countDown();
  }

  public synchronized Update get(String updateId) throws UpdateRefusedException {
    Update update = history.get(updateId);
    if (update == null) {
      throw new UpdateRefusedException(Reason.NOT_FOUND, "no update " + updateId
          + " (unknown, or finished long ago and no longer kept)");
    }
    return update;
  }

  public synchronized Update latest(ApplicationId appId) throws UpdateRefusedException {
    Update update = history.latest(appId);
    if (update == null) {
      throw new UpdateRefusedException(Reason.NOT_FOUND, "application " + appId + " has no update");
    }
    return update;
  }

  /** Only before AM1 is touched; the thread that started the update puts the old launch context back. */
  public Update cancel(String updateId) throws UpdateRefusedException {
    Update update = get(updateId);
    synchronized (this) {
      if (!UpdateLifecycle.allows(update.phase(), Event.CANCEL)) {
        throw new UpdateRefusedException(Reason.FAILED_PRECONDITION, "update " + updateId + " is in phase "
            + update.phase() + " and can no longer be cancelled: the old AM has ended. To go back, update the"
            + " application again with the previous launch context");
      }
      update.on(Event.CANCEL, "cancelled by request");
      listener.finished(update.phase());
    }
    return update;
  }

  // ---- scheduler side ---------------------------------------------------------------------

  /** Whether the RM must keep this attempt's running containers when it ends (it is being replaced). */
  public synchronized boolean isBeingReplaced(ApplicationAttemptId attemptId) {
    ActiveUpdate a = active.get(attemptId.getApplicationId());
    return a != null && a.oldAttempt.equals(attemptId) && a.update.phase() == UpdatePhase.POOLING;
  }

  /** Whether the next attempt of this application is the one an update waits for. */
  public synchronized boolean awaitsNewAttempt(ApplicationId appId) {
    ActiveUpdate a = active.get(appId);
    return a != null && a.newAttempt == null && a.update.phase() == UpdatePhase.POOLING;
  }

  /** The new attempt exists and owns {@code running}: they form its pool. */
  public void newAttemptAdded(ApplicationAttemptId attemptId, List<PooledWorker> running) {
    ActiveUpdate a;
    synchronized (this) {
      a = active.get(attemptId.getApplicationId());
      if (a == null || a.newAttempt != null) {
        return;
      }
      a.newAttempt = attemptId;
      a.update.setAttempts(null, attemptId.toString());
      Set<ContainerId> alreadyPooled = a.pool.stream().map(PooledWorker::containerId).collect(Collectors.toSet());
      for (PooledWorker worker : running) {
        if (alreadyPooled.add(worker.containerId())) {
          a.pool.add(worker);
          a.update.workerPooled(worker);
          a.unreported.remove(worker.containerId());
          String how = a.heldBeforePool.remove(worker.containerId());
          if (how != null) {
            a.held.add(worker.containerId());
            a.update.workerHeld(worker.containerId(), "its process ended while the old AM was being stopped ("
                + how + "); its place on " + worker.nodeId() + " is held for the new attempt");
          }
        }
      }
      releaseHeldBeforePool(a, "its process ended before the pool was formed and the new attempt "
          + attemptId + " did not take it over");
      a.claimDeadlineMs = clock.getAsLong() + settings.claimTimeoutMs();
      a.update.on(Event.NEW_ATTEMPT_ADDED, running.size() + " workers pooled; launching " + attemptId);
    }
    listener.pooled(running.size());
    scheduleClaimDeadline(a);
    journal.writeLater(a);
  }

  /**
   * Hands the places held before the pool existed to the engine for release, so that nothing stays charged with no
   * process behind it. The caller holds the monitor.
   */
  private void releaseHeldBeforePool(ActiveUpdate a, String reason) {
    if (a.heldBeforePool.isEmpty()) {
      return;
    }
    List<ContainerId> places = List.copyOf(a.heldBeforePool.keySet());
    a.heldBeforePool.clear();
    engine.execute(() -> steps.release(a, places, reason));
  }

  synchronized void scheduleClaimDeadline(ActiveUpdate a) {
    a.cancelDeadline.run();
    a.cancelDeadline = engine.schedule(() -> steps.claimDeadlinePassed(a), a.claimDeadlineMs - clock.getAsLong());
  }

  /** Containers that are pooled for this application: the new AM must not see them as its own yet. */
  public synchronized Set<ContainerId> pooledContainers(ApplicationId appId) {
    ActiveUpdate a = active.get(appId);
    if (a == null) {
      return Set.of();
    }
    Set<ContainerId> pooled = a.pool.stream().map(PooledWorker::containerId).collect(Collectors.toSet());
    if (a.heldAm != null) {
      pooled.add(a.heldAm.containerId());
    }
    return pooled;
  }

  /**
   * The sizes of the pooled (or held) workers that a restarted RM still expects to hear of from their nodes, for the
   * new attempt's asks: the pool may yet serve them, so their asks must not be scheduled elsewhere meanwhile. Empty
   * once every worker is heard of or written off (claim deadline).
   */
  public synchronized List<Resource> awaitedWorkers(ApplicationAttemptId attemptId) {
    ActiveUpdate a = active.get(attemptId.getApplicationId());
    if (a == null || !attemptId.equals(a.newAttempt) || a.poolClosed || a.unreported.isEmpty()) {
      return List.of();
    }
    return a.unreported.values().stream()
        .filter(r -> r.getState() == WorkerState.POOLED || r.getState() == WorkerState.HELD)
        .map(r -> LaunchContextCodec.decode(r.getResource()))
        .toList();
  }

  public synchronized boolean hasPool(ApplicationAttemptId attemptId) {
    ActiveUpdate a = active.get(attemptId.getApplicationId());
    return a != null && attemptId.equals(a.newAttempt) && (!a.pool.isEmpty() || a.heldAm != null);
  }

  /**
   * A node reports that the process of a container ended. When it is AM1's (killed for the update), a
   * pooled worker's or, while AM1 is being stopped, a worker's that the pool would take, its place is held:
   * the caller leaves it charged to the application (the container stays in the scheduler, hidden from the
   * AMs) until a claim converts it or the update lets go of it.
   * Records and returns.
   *
   * @return whether the place is held (the caller must not complete the container in the scheduler)
   */
  public synchronized boolean holdPlace(ContainerId id, NodeId nodeId, Resource resource, int exitStatus,
      String diagnostics) {
    ActiveUpdate a = active.get(appOf(id));
    if (a == null) {
      return false;
    }
    if (amPlace.holdIfOldAm(a, id, nodeId, resource)
        // A node that registers with a restarted RM may report AM1's end again: its place is held already.
        || a.heldAm != null && a.heldAm.containerId().equals(id)) {
      return true;
    }
    String how = "exit " + exitStatus + (diagnostics.isBlank() ? "" : ": " + diagnostics.strip());
    if (a.newAttempt == null && a.update.phase() == UpdatePhase.POOLING
        && a.ownsWorkersOf(id.getApplicationAttemptId())) {
      // AM1 is being stopped and the pool does not exist yet: the worker would be in it, so its place is kept.
      a.heldBeforePool.put(id, how);
      return true;
    }
    if (a.pool.stream().anyMatch(w -> w.containerId().equals(id))) {
      a.held.add(id);
      a.update.workerHeld(id, "its process ended while pooled (" + how + "); its place on " + nodeId
          + " is held for the new attempt");
      journal.writeLater(a);
      return true;
    }
    return false;
  }

  /**
   * The new attempt asks for workers: the pooled workers that answer its asks, in the order they are taken (the
   * rule is {@link PoolMatcher}). Nothing leaves the pool: the caller claims the plan, in parts, with
   * {@link #claim}. Needs no scheduler lock, so that matching a pool of thousands does not hold the write lock.
   */
  public synchronized List<PoolMatch> plan(ApplicationAttemptId attemptId, List<WorkerAsk> asks) {
    ActiveUpdate a = active.get(attemptId.getApplicationId());
    if (a == null || !attemptId.equals(a.newAttempt)) {
      return List.of();
    }
    return PoolMatcher.match(a.pool, asks);
  }

  /**
   * Takes the planned workers that are still pooled out of the pool (a release or the deadline may have taken some
   * since the plan) and returns their matches. The caller holds the scheduler's write lock until it has reported
   * each of them {@link #converted} or {@link #conversionFailed}, so no deadline or release can come in between.
   */
  public synchronized List<PoolMatch> claim(ApplicationAttemptId attemptId, List<PoolMatch> planned) {
    ActiveUpdate a = active.get(attemptId.getApplicationId());
    if (a == null || !attemptId.equals(a.newAttempt)) {
      return List.of();
    }
    a.update.onIfAllowed(Event.NEW_ATTEMPT_REGISTERED, attemptId + " registered and asks for workers");
    if (a.heldAm != null) {
      // The new AM runs, so its container came from elsewhere (its ask was scheduled before AM1's place was held).
      amPlace.release(a, "the new AM's container was scheduled before AM1's place was held");
    }
    // The plan holds the pool's own instances: identity sets spare hashing thousands of ContainerIds.
    Set<PooledWorker> wanted = Collections.newSetFromMap(new IdentityHashMap<>());
    planned.forEach(match -> wanted.add(match.worker()));
    Set<PooledWorker> taken = Collections.newSetFromMap(new IdentityHashMap<>());
    a.pool.removeIf(worker -> wanted.contains(worker) && taken.add(worker));
    List<PoolMatch> claimed = new ArrayList<>(taken.size());
    for (PoolMatch match : planned) {
      if (taken.remove(match.worker())) {
        claimed.add(match);
      }
    }
    return claimed;
  }

  /**
   * A claimed worker was converted into {@code newId} of the new attempt: from now on the end of its old container
   * completes a swap. The caller holds the scheduler's write lock since its claim; every path that ends an update
   * takes that lock, so nothing ends the update in between. Its record is written by {@link #recordConversion}.
   */
  public synchronized void converted(PoolMatch match, ContainerId newId) {
    Update update = history.latest(appOf(match.worker().containerId()));
    ActiveUpdate a = active.get(update.applicationId());
    if (a != null && a.held.remove(match.worker().containerId())) {
      // Nothing runs in the held place: the node launches the new container as any other.
      update.workerReplaced(match.worker().containerId(), "its place was held since its process ended; "
          + newId + " starts there");
      return;
    }
    swaps.add(new Swap(update, match.worker(), newId));
  }

  /**
   * Records a conversion reported {@link #converted}, in {@code conversionNanos}; its node is asked not to stop the
   * old container before {@code swapAtMs} (epoch ms), or 0. Needs no scheduler lock: the allocate path writes the
   * records of a hold after letting go of the write lock, before the journal and the response.
   */
  public void recordConversion(PoolMatch match, ContainerId newId, long conversionNanos, long swapAtMs) {
    Update update;
    synchronized (this) {
      update = history.latest(appOf(match.worker().containerId()));
    }
    update.workerConverted(match.worker().containerId(), newId, conversionNanos, swapAtMs);
    listener.converted(conversionNanos / 1_000);
  }

  /** A claimed worker could not be converted (it ended meanwhile). */
  public synchronized void conversionFailed(PoolMatch match, String reason) {
    ActiveUpdate a = active.get(appOf(match.worker().containerId()));
    if (a != null) {
      a.update.workerEnded(match.worker().containerId(), WorkerState.LOST, reason);
      finishIfDone(a);
    }
  }

  /**
   * Journals what an allocate call converted, before the new attempt receives it. Called by the allocate
   * path once it has let go of the scheduler's write lock.
   */
  public void conversionsDone(ApplicationAttemptId attemptId) {
    ActiveUpdate a;
    synchronized (this) {
      a = active.get(attemptId.getApplicationId());
      // A held place's conversion has no swap to wait for: the last one may end the update.
      finishIfDone(a);
    }
    Update update = a != null ? a.update : latestOf(attemptId.getApplicationId());
    if (update != null) {
      journal.writeOrLog(a, update);
    }
  }

  /** The ResourceManager saw a container complete (from the NM, the AM or itself). Records and returns. */
  public void containerCompleted(ContainerId id, int exitStatus, String diagnostics) {
    String how = "exit " + exitStatus + (diagnostics.isBlank() ? "" : ": " + diagnostics.strip());
    Update changed;
    synchronized (this) {
      Swap replaced = swaps.awaitingEndOf(id);
      if (replaced != null) {
        swaps.oldContainerGone(replaced, exitStatus, how);
        finishIfDone(active.get(appOf(replaced.oldId())));
        changed = replaced.update();
      } else if (swaps.endedEarly(id, how)) {
        listener.exitedEarly();
        return;
      } else if (swaps.isNewContainer(id)) {
        Swap failed = swaps.newContainerEnded(id);
        String reason = "new container " + id + " ended before it took the old one's place (" + how + ")";
        engine.execute(() -> steps.swapFailed(failed, reason));
        listener.swapFailed();
        return;
      } else {
        ActiveUpdate a = active.get(appOf(id));
        if (a != null && a.heldAm != null && a.heldAm.containerId().equals(id)) {
          // The scheduler let go of AM1's held place (its node was lost, the application killed).
          a.heldAm = null;
          a.update.amPlace("ended: " + how);
        } else if (a == null || !a.pool.removeIf(w -> w.containerId().equals(id))) {
          return;
        } else {
          a.update.workerEnded(id, WorkerState.LOST, (a.held.remove(id) ? "its held place ended: "
              : "ended while pooled: ") + how);
        }
        finishIfDone(a);
        changed = a.update;
      }
    }
    Update journaled = changed;
    engine.execute(() -> journal.writeOrLog(journaled));
  }

  /**
   * The scheduler is about to end the attempt, and with it the containers it holds: when it is the new attempt of an
   * update in flight, the pool those completions drain does not make the update succeed ({@link #attemptEnded}
   * fails it). Records and returns.
   */
  public synchronized void attemptEnding(ApplicationAttemptId attemptId) {
    ActiveUpdate a = active.get(attemptId.getApplicationId());
    if (a != null && attemptId.equals(a.newAttempt)) {
      a.newAttemptEnding = true;
    }
  }

  /**
   * The attempt ended; when it is the new attempt of an update in flight, or the old one ended by a kill of the
   * application, the update fails. Records and returns.
   */
  public void attemptEnded(ApplicationAttemptId attemptId, String state) {
    ActiveUpdate a;
    synchronized (this) {
      a = active.get(attemptId.getApplicationId());
      if (a == null || !attemptId.equals(a.newAttempt) && !isApplicationKill(a, attemptId, state)) {
        return;
      }
    }
    String why = (attemptId.equals(a.newAttempt) ? "the new attempt " : "the old attempt ") + attemptId
        + " ended (" + state + ")";
    engine.execute(() -> steps.endPool(a, why + " before claiming it",
        leftovers -> fail(a, why + " during the update")));
  }

  /** The old attempt was killed, not stopped by the update: its application was killed before a new attempt came. */
  private static boolean isApplicationKill(ActiveUpdate a, ApplicationAttemptId attemptId, String state) {
    return a.newAttempt == null && attemptId.equals(a.oldAttempt) && KILLED.equals(state);
  }

  // ---- internals ----------------------------------------------------------------------------

  /** The caller holds the monitor. */
  void finishIfDone(ActiveUpdate a) {
    if (a == null || a.update.phase() != UpdatePhase.CONVERTING || !a.pool.isEmpty() || !a.unreported.isEmpty()
        || a.heldAm != null || a.newAttemptEnding
        || active.get(a.appId()) != a) {
      return;
    }
    if (!swaps.pendingFor(a.update)) {
      a.cancelDeadline.run();
      active.remove(a.appId());
      a.update.on(Event.POOL_DRAINED, "every pooled worker is replaced or released");
      listener.finished(a.update.phase());
    }
  }

  void fail(ActiveUpdate a, String reason) {
    synchronized (this) {
      if (active.get(a.appId()) == a) {
        active.remove(a.appId());
      }
      releaseHeldBeforePool(a, "the update failed before the pool was formed: " + reason);
      a.cancelDeadline.run();
    }
    if (a.update.onIfAllowed(Event.FAIL, reason)) {
      listener.finished(UpdatePhase.FAILED);
      LOG.warn("Update {} of {} failed: {}", a.update.id(), a.appId(), reason);
    }
  }

  void restoreLaunchContext(ActiveUpdate a) {
    try {
      driver.restoreAmLaunchContext(a.appId(), a.previousLaunchContext, a.previousAmResource);
    } catch (UpdateRefusedException | RuntimeException e) {
      LOG.error("Update {}: could not put back the previous AM launch context of {}: {}", a.update.id(), a.appId(),
          e.getMessage());
    }
  }

  // For the classes that share this monitor (UpdateRecovery, EngineSteps, AmPlace, JournalWriter); callers hold it.

  ActiveUpdate inFlight(ApplicationId appId) {
    return active.get(appId);
  }

  Collection<ActiveUpdate> allInFlight() {
    return active.values();
  }

  void resumed(ActiveUpdate a) {
    active.put(a.appId(), a);
  }

  Swaps swaps() {
    return swaps;
  }

  synchronized ActiveUpdate activeOf(Update update) {
    ActiveUpdate a = active.get(update.applicationId());
    return a != null && a.update == update ? a : null;
  }

  private synchronized Update latestOf(ApplicationId appId) {
    return history.latest(appId);
  }

  static ApplicationId appOf(ContainerId id) {
    return id.getApplicationAttemptId().getApplicationId();
  }
}
