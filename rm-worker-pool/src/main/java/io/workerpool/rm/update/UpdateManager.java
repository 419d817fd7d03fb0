package io.workerpool.rm.update;

import io.workerpool.proto.UpdateJournalEntry;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.protocol.ReplacementContract;
import io.workerpool.rm.pool.PoolMatch;
import io.workerpool.rm.pool.PoolMatcher;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.pool.WorkerAsk;
import io.workerpool.rm.update.RecoveryRule.Outcome;
import io.workerpool.rm.update.UpdateLifecycle.Event;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerExitStatus;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs updates: takes requests from clients and facts from the scheduler, moves each update through
 * {@link UpdateLifecycle}, holds each application's pool, decides what it serves and journals it all.
 *
 * <p>Threads and locks (the module README has the whole rule): this object's monitor is the innermost
 * lock. Code holding it changes only in-memory state and never calls the {@link ResourceManagerDriver}
 * or the journal. Scheduler callbacks may come with or without the scheduler's read or write lock: they
 * record facts under the monitor and hand every effect on the ResourceManager to the {@link Engine},
 * whose steps take the scheduler's write lock themselves. Only the allocate path (which holds the write
 * lock it took itself) converts containers synchronously.
 */
public final class UpdateManager {
  private static final Logger LOG = LoggerFactory.getLogger(UpdateManager.class);
  /** The final state of an attempt whose application was killed (the update's own stop of AM1 ends it FAILED). */
  private static final String KILLED = "KILLED";

  private final ResourceManagerDriver driver;
  private final UpdateListener listener;
  private final LongSupplier clock;
  private final UpdateSettings settings;
  private final UpdateJournal journal;
  private final Engine engine;
  private final ScheduledExecutorService watchExecutor;
  private final AtomicLong revisions = new AtomicLong();

  private final Map<String, Update> updates = new LinkedHashMap<>();
  private final Map<ApplicationId, Update> latestByApp = new HashMap<>();
  private final Map<String, Update> byClientRequest = new HashMap<>();
  private final Map<ApplicationId, Active> active = new HashMap<>();
  private final Map<ContainerId, Swap> swapsByOld = new HashMap<>();
  private final Map<ContainerId, Swap> swapsByNew = new HashMap<>();
  private final Map<ContainerId, Replaced> recentlyReplaced = new LinkedHashMap<>();
  private boolean recovered;
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

  /** An update that has not ended, with what the RM must know to carry it on. */
  private static final class Active {
    final Update update;
    /** The attempt being replaced: AM1's, or a new attempt whose AM an RM restart kept from launching. */
    ApplicationAttemptId oldAttempt;
    /** AM1's attempt: the pool's containers belong to it. */
    final ApplicationAttemptId firstOldAttempt;
    ApplicationAttemptId newAttempt;
    ContainerLaunchContext previousLaunchContext;
    Resource previousAmResource;
    String oldAmContainer = "";
    int raisedMaxAttemptsFrom;
    long claimDeadlineMs;
    Runnable cancelDeadline = () -> { };
    final List<PooledWorker> pool = new ArrayList<>();
    /** The claim deadline passed or the new attempt ended: nothing goes back into the pool. */
    boolean poolClosed;
    /** AM1's container, ended but still charged: the place the new AM's container takes. */
    PooledWorker heldAm;
    /** Pooled workers whose process ended: their containers hold the place, nothing runs on the node. */
    final Set<ContainerId> held = new java.util.HashSet<>();
    /** Resumed from the journal by this RM: its workers' containers come back with the nodes' registrations. */
    boolean restored;
    /** The new attempt as this RM recovered it from the state store (its AM may never have been launched). */
    ApplicationAttemptId recoveredNewAttempt;
    /** Read from the journal: the old AM's node had reported it gone before the RM restarted. */
    boolean oldAmSeenGone;
    /** Journaled workers a restarted RM has not yet heard of from their nodes, by old container. */
    final Map<ContainerId, WorkerRecord> unreported = new HashMap<>();

    Active(Update update, ApplicationAttemptId oldAttempt) {
      this.update = update;
      this.oldAttempt = oldAttempt;
      this.firstOldAttempt = oldAttempt;
    }

    /** Whether a container of this attempt can be one of the update's workers. */
    boolean ownsWorkersOf(ApplicationAttemptId attempt) {
      return attempt.getAttemptId() >= firstOldAttempt.getAttemptId()
          && attempt.getAttemptId() <= oldAttempt.getAttemptId();
    }

    ApplicationId appId() {
      return update.applicationId();
    }
  }

  private record Swap(Update update, PooledWorker worker, ContainerId newId) {
    ContainerId oldId() {
      return worker.containerId();
    }
  }

  private record Replaced(Swap swap, long atMs) {
  }

  public UpdateManager(ResourceManagerDriver driver, UpdateListener listener, LongSupplier clock,
      UpdateSettings settings, UpdateJournal journal, Engine engine, ScheduledExecutorService watchExecutor) {
    this.driver = driver;
    this.listener = listener;
    this.clock = clock;
    this.settings = settings;
    this.journal = journal;
    this.engine = engine;
    this.watchExecutor = watchExecutor;
  }

  // ---- client side ------------------------------------------------------------------------

  public Update start(Caller caller, ApplicationId appId, ContainerLaunchContext launchContext,
      Resource amResource, String clientRequestId) throws UpdateRefusedException {
    synchronized (this) {
      Update earlier = clientRequestId.isEmpty() ? null : byClientRequest.get(appId + "/" + clientRequestId);
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
    Active a;
    synchronized (this) {
      refuseIfRunning(appId);
      Update update = new Update("update_" + UUID.randomUUID(), appId, clientRequestId, clock, watchExecutor);
      update.setAttempts(currentAttempt.toString(), null);
      a = new Active(update, currentAttempt);
      a.previousLaunchContext = previous;
      a.previousAmResource = previousAmResource;
      a.oldAmContainer = oldAm == null ? "" : oldAm.toString();
      a.raisedMaxAttemptsFrom = raiseFrom;
      active.put(appId, a);
      remember(update);
      if (!clientRequestId.isEmpty()) {
        byClientRequest.put(appId + "/" + clientRequestId, update);
      }
    }
    listener.started();
    boolean specReplaced = false;
    try {
      journalNow(a);
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
      journalNow(a);
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
      journalNow(null, a.update);
      if (a.update.phase() == UpdatePhase.CANCELLED) {
        return a.update;
      }
      throw e instanceof UpdateRefusedException refused ? refused
          : new UpdateRefusedException(Reason.INTERNAL, e.toString(), e);
    }
    LOG.info("Update {} of {} started by {}: ending {}", a.update.id(), appId, caller.user(), currentAttempt);
    a.cancelDeadline = engine.schedule(() -> amStopTimedOut(a), settings.amStopTimeoutMs());
    return a.update;
  }

  private void refuseIfRunning(ApplicationId appId) throws UpdateRefusedException {
    Active running = active.get(appId);
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

  /** The old AM's node has not reported it gone: the RM ends the attempt itself. */
  private void amStopTimedOut(Active a) {
    synchronized (this) {
      if (active.get(a.appId()) != a || a.newAttempt != null) {
        return;
      }
    }
    LOG.warn("Update {}: the node of {} did not report the killed AM gone within {} ms; ending the attempt in the RM",
        a.update.id(), a.oldAttempt, settings.amStopTimeoutMs());
    driver.abortAttempt(a.oldAttempt, "AM stopped for in-place update " + a.update.id()
        + " (its node did not report it killed within " + settings.amStopTimeoutMs() + " ms)");
  }

  public synchronized Update get(String updateId) throws UpdateRefusedException {
    Update update = updates.get(updateId);
    if (update == null) {
      throw new UpdateRefusedException(Reason.NOT_FOUND, "no update " + updateId
          + " (unknown, or finished long ago and no longer kept)");
    }
    return update;
  }

  public synchronized Update latest(ApplicationId appId) throws UpdateRefusedException {
    Update update = latestByApp.get(appId);
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
    Active a = active.get(attemptId.getApplicationId());
    return a != null && a.oldAttempt.equals(attemptId) && a.update.phase() == UpdatePhase.POOLING;
  }

  /** Whether the next attempt of this application is the one an update waits for. */
  public synchronized boolean awaitsNewAttempt(ApplicationId appId) {
    Active a = active.get(appId);
    return a != null && a.newAttempt == null && a.update.phase() == UpdatePhase.POOLING;
  }

  /** The new attempt exists and owns {@code running}: they form its pool. */
  public void newAttemptAdded(ApplicationAttemptId attemptId, List<PooledWorker> running) {
    Active a;
    synchronized (this) {
      a = active.get(attemptId.getApplicationId());
      if (a == null || a.newAttempt != null) {
        return;
      }
      a.newAttempt = attemptId;
      a.update.setAttempts(null, attemptId.toString());
      for (PooledWorker worker : running) {
        if (a.pool.stream().noneMatch(w -> w.containerId().equals(worker.containerId()))) {
          a.pool.add(worker);
          a.update.workerPooled(worker);
          a.unreported.remove(worker.containerId());
        }
      }
      a.claimDeadlineMs = clock.getAsLong() + settings.claimTimeoutMs();
      a.update.on(Event.NEW_ATTEMPT_ADDED, running.size() + " workers pooled; launching " + attemptId);
    }
    listener.pooled(running.size());
    scheduleClaimDeadline(a);
    journalLater(a);
  }

  private void scheduleClaimDeadline(Active a) {
    a.cancelDeadline.run();
    a.cancelDeadline = engine.schedule(() -> claimDeadlinePassed(a), a.claimDeadlineMs - clock.getAsLong());
  }

  /** Containers that are pooled for this application: the new AM must not see them as its own yet. */
  public synchronized Set<ContainerId> pooledContainers(ApplicationId appId) {
    Active a = active.get(appId);
    if (a == null) {
      return Set.of();
    }
    Set<ContainerId> pooled = a.pool.stream().map(PooledWorker::containerId).collect(Collectors.toSet());
    if (a.heldAm != null) {
      pooled.add(a.heldAm.containerId());
    }
    return pooled;
  }

  public synchronized boolean hasPool(ApplicationAttemptId attemptId) {
    Active a = active.get(attemptId.getApplicationId());
    return a != null && attemptId.equals(a.newAttempt) && (!a.pool.isEmpty() || a.heldAm != null);
  }

  /**
   * A node reports that the process of a container ended. When it is AM1's (killed for the update) or a
   * pooled worker's, its place is held: the caller leaves it charged to the application (the container
   * stays in the scheduler, hidden from the AMs) until a claim converts it or the update lets go of it.
   * Records and returns.
   *
   * @return whether the place is held (the caller must not complete the container in the scheduler)
   */
  public synchronized boolean holdPlace(ContainerId id, NodeId nodeId, Resource resource, int exitStatus,
      String diagnostics) {
    Active a = active.get(appOf(id));
    if (a == null) {
      return false;
    }
    String how = "exit " + exitStatus + (diagnostics.isBlank() ? "" : ": " + diagnostics.strip());
    if (id.toString().equals(a.oldAmContainer) && a.newAttempt == null && a.heldAm == null
        && a.update.phase() == UpdatePhase.POOLING) {
      a.heldAm = new PooledWorker(id, nodeId, resource, clock.getAsLong());
      a.update.amPlace("held on " + nodeId + " (" + resource + ") for the new AM's container");
      journalLater(a);
      return true;
    }
    if (a.pool.stream().anyMatch(w -> w.containerId().equals(id))) {
      a.held.add(id);
      a.update.workerHeld(id, "its process ended while pooled (" + how + "); its place on " + nodeId
          + " is held for the new attempt");
      journalLater(a);
      return true;
    }
    return false;
  }

  /**
   * The RM asks for the new attempt's AM container: it takes AM1's held place, if any. The caller holds the write
   * lock and reports {@link #amPlaceTaken} or {@link #amPlaceNotUsed}.
   */
  public synchronized PooledWorker claimAmPlace(ApplicationAttemptId attemptId) {
    Active a = active.get(attemptId.getApplicationId());
    if (!holdsAmPlaceFor(a, attemptId)) {
      return null;
    }
    PooledWorker place = a.heldAm;
    a.heldAm = null;
    return place;
  }

  private void releaseHeldAm(Active a, String why) {
    PooledWorker place = a.heldAm;
    a.heldAm = null;
    a.update.amPlace("released: " + why);
    releaseLater(place, why);
    journalLater(a);
  }

  /** An engine step releases the place under the write lock: the caller may hold the scheduler's locks. */
  private void releaseLater(PooledWorker place, String why) {
    engine.execute(() -> driver.underWriteLock(() -> {
      driver.release(place.containerId(), "Released by the Worker Pool: " + why);
      return null;
    }));
  }

  /** The new AM's container could not take AM1's place (it asks for more than its node has): the place is released. */
  public void amPlaceNotUsed(PooledWorker place, String why) {
    Active a;
    synchronized (this) {
      a = active.get(appOf(place.containerId()));
      if (a != null) {
        a.update.amPlace("released: " + why + "; the new AM's container is scheduled as usual");
      }
    }
    releaseLater(place, why);
    if (a != null) {
      journalLater(a);
    }
  }

  /** Whether AM1's place waits for this attempt's AM container (its ask may come before the update knows it). */
  public synchronized boolean holdsAmPlaceFor(ApplicationAttemptId attemptId) {
    return holdsAmPlaceFor(active.get(attemptId.getApplicationId()), attemptId);
  }

  private static boolean holdsAmPlaceFor(Active a, ApplicationAttemptId attemptId) {
    return a != null && a.heldAm != null && (attemptId.equals(a.newAttempt)
        || a.newAttempt == null && attemptId.getAttemptId() > a.oldAttempt.getAttemptId());
  }

  public synchronized void amPlaceTaken(PooledWorker place, ContainerId amContainer, Resource resource) {
    Active a = active.get(appOf(place.containerId()));
    if (a != null) {
      a.update.amPlace(amContainer + " took AM1's place on " + place.nodeId() + " (" + place.resource()
          + (resource.equals(place.resource()) ? "" : ", now " + resource) + ")");
    }
  }

  /**
   * The new attempt asks for workers: picks the pooled workers that answer its asks and takes them out
   * of the pool. The caller holds the scheduler's write lock until it has reported each match
   * {@link #converted} or {@link #conversionFailed}, so no deadline or release can come in between.
   */
  public synchronized List<PoolMatch> claim(ApplicationAttemptId attemptId, List<WorkerAsk> asks) {
    Active a = active.get(attemptId.getApplicationId());
    if (a == null || !attemptId.equals(a.newAttempt)) {
      return List.of();
    }
    a.update.onIfAllowed(Event.NEW_ATTEMPT_REGISTERED, attemptId + " registered and asks for workers");
    if (a.heldAm != null) {
      // The new AM runs, so its container came from elsewhere (its ask was scheduled before AM1's place was held).
      releaseHeldAm(a, "the new AM's container was scheduled before AM1's place was held");
    }
    List<PoolMatch> matches = PoolMatcher.match(a.pool, asks);
    Set<PooledWorker> claimed = matches.stream().map(PoolMatch::worker).collect(Collectors.toSet());
    a.pool.removeIf(claimed::contains);
    return matches;
  }

  /** A claimed worker was converted into {@code newId} of the new attempt, in {@code conversionNanos}. */
  public synchronized void converted(PoolMatch match, ContainerId newId, long conversionNanos) {
    // Every path that ends an update takes the write lock, which the caller holds since its claim.
    Update update = latestByApp.get(appOf(match.worker().containerId()));
    update.workerConverted(match.worker().containerId(), newId, conversionNanos);
    Active a = active.get(update.applicationId());
    if (a != null && a.held.remove(match.worker().containerId())) {
      // Nothing runs in the held place: the node launches the new container as any other.
      update.workerReplaced(match.worker().containerId(), "its place was held since its process ended; "
          + newId + " starts there");
      listener.converted(conversionNanos / 1_000);
      return;
    }
    Swap swap = new Swap(update, match.worker(), newId);
    swapsByOld.put(swap.oldId(), swap);
    swapsByNew.put(swap.newId(), swap);
    listener.converted(conversionNanos / 1_000);
  }

  /** A claimed worker could not be converted (it ended meanwhile). */
  public synchronized void conversionFailed(PoolMatch match, String reason) {
    Active a = active.get(appOf(match.worker().containerId()));
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
    Active a;
    synchronized (this) {
      a = active.get(attemptId.getApplicationId());
      // A held place's conversion has no swap to wait for: the last one may end the update.
      finishIfDone(a);
    }
    Update update = a != null ? a.update : latestByApp(attemptId.getApplicationId());
    if (update != null) {
      journalNow(a, update);
    }
  }

  /** The ResourceManager saw a container complete (from the NM, the AM or itself). Records and returns. */
  public void containerCompleted(ContainerId id, int exitStatus, String diagnostics) {
    String how = "exit " + exitStatus + (diagnostics.isBlank() ? "" : ": " + diagnostics.strip());
    Update changed;
    synchronized (this) {
      Swap replaced = swapsByOld.get(id);
      if (replaced != null && swapsByNew.containsKey(replaced.newId())) {
        changed = oldContainerGone(replaced, exitStatus, how);
      } else if (endedEarly(id, how)) {
        return;
      } else if (swapsByNew.containsKey(id)) {
        Swap failed = swapsByNew.remove(id);
        // It stays in swapsByOld until the engine has taken the old container back: the update waits for it.
        String reason = "new container " + id + " ended before it took the old one's place (" + how + ")";
        engine.execute(() -> swapFailed(failed, reason));
        listener.swapFailed();
        return;
      } else {
        Active a = active.get(appOf(id));
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
    engine.execute(() -> journalNow(activeOf(journaled), journaled));
  }

  /**
   * The new container is alive and the node launches it once the old one is gone: whatever ended the old
   * one, the new one has taken its place.
   */
  private Update oldContainerGone(Swap replaced, int exitStatus, String how) {
    swapsByOld.remove(replaced.oldId());
    swapsByNew.remove(replaced.newId());
    recentlyReplaced.put(replaced.newId(), new Replaced(replaced, clock.getAsLong()));
    String note;
    if (exitStatus == ReplacementContract.REPLACED_EXIT_STATUS) {
      note = "";
    } else if (exitStatus == ContainerExitStatus.ABORTED) {
      // The NM drops a container it stopped for the swap once the RM acknowledged it, so the RM may only
      // learn of its end as "running but not reported" (ABORTED), depending on the heartbeat timing.
      note = "its node stopped it for the swap and no longer reports it (" + how + ")";
    } else {
      note = "the old container ended with " + how;
    }
    replaced.update().workerReplaced(replaced.oldId(), note);
    finishIfDone(active.get(appOf(replaced.oldId())));
    return replaced.update();
  }

  /** Records a new container that ended soon after it replaced the old one; forgets older replacements. */
  private boolean endedEarly(ContainerId newId, String how) {
    long now = clock.getAsLong();
    // Insertion order is replacement order: the expired ones are at the head.
    for (Iterator<Replaced> it = recentlyReplaced.values().iterator(); it.hasNext(); ) {
      if (now - it.next().atMs() <= settings.earlyExitWindowMs()) {
        break;
      }
      it.remove();
    }
    Replaced replaced = recentlyReplaced.remove(newId);
    if (replaced == null) {
      return false;
    }
    replaced.swap().update().workerEnded(replaced.swap().oldId(), WorkerState.EXITED_EARLY, "new container " + newId
        + " ended " + (now - replaced.atMs()) + " ms after it replaced the old one (" + how + ")");
    listener.exitedEarly();
    return true;
  }

  /**
   * Engine step. The new container never took the old one's place, so the node has not stopped the old
   * one: the RM takes it back and it returns to the pool, where the new attempt's next ask (stock AMs ask
   * again for a container that failed) can claim it again until the claim deadline. When the update is
   * over, or the RM cannot take it back, the old container is stopped instead, so that nothing runs
   * unaccounted.
   */
  private void swapFailed(Swap swap, String reason) {
    Update update = driver.underWriteLock(() -> {
      Active a;
      synchronized (this) {
        a = active.get(appOf(swap.oldId()));
        if (a != null && a.update != swap.update()) {
          a = null;
        }
      }
      boolean takenBack = a != null && !a.poolClosed && driver.takeBack(swap.worker());
      synchronized (this) {
        swapsByOld.remove(swap.oldId());
        if (takenBack) {
          a.pool.add(swap.worker());
          swap.update().workerBackInPool(swap.oldId(), reason);
        } else {
          swap.update().workerEnded(swap.oldId(), WorkerState.SWAP_FAILED, reason + (a == null
              ? "; the update is over, so the old container is stopped"
              : a.poolClosed ? "; the claim deadline has passed, so the old container is stopped"
              : "; the old container is stopped"));
          finishIfDone(a);
        }
      }
      if (!takenBack) {
        driver.stopOnNode(swap.worker().nodeId(), swap.oldId());
      }
      return swap.update();
    });
    journalNow(activeOf(update), update);
  }

  /**
   * The attempt ended; when it is the new attempt of an update in flight, or the old one ended by a kill of the
   * application, the update fails. Records and returns.
   */
  public void attemptEnded(ApplicationAttemptId attemptId, String state) {
    Active a;
    synchronized (this) {
      a = active.get(attemptId.getApplicationId());
      if (a == null || !attemptId.equals(a.newAttempt) && !isApplicationKill(a, attemptId, state)) {
        return;
      }
    }
    String why = (attemptId.equals(a.newAttempt) ? "the new attempt " : "the old attempt ") + attemptId
        + " ended (" + state + ")";
    engine.execute(() -> endPool(a, why + " before claiming it", leftovers -> fail(a, why + " during the update")));
  }

  /** The old attempt was killed, not stopped by the update: its application was killed before a new attempt came. */
  private static boolean isApplicationKill(Active a, ApplicationAttemptId attemptId, String state) {
    return a.newAttempt == null && attemptId.equals(a.oldAttempt) && KILLED.equals(state);
  }

  // ---- recovery -----------------------------------------------------------------------------

  /**
   * Reads the journal once, when this RM recovers or becomes active (before the first recovery event),
   * and resumes the updates that had not ended.
   */
  public void recover() {
    synchronized (this) {
      if (recovered) {
        return;
      }
      recovered = true;
    }
    List<UpdateJournalEntry> entries;
    try {
      entries = journal.readAll();
    } catch (IOException e) {
      LOG.error("Cannot read the Worker Pool journal ({}): updates in flight are not resumed", journal.describe(), e);
      return;
    }
    entries.sort((x, y) -> Long.compare(x.getRevision(), y.getRevision()));
    List<Active> resumed = new ArrayList<>();
    synchronized (this) {
      for (UpdateJournalEntry entry : entries) {
        revisions.accumulateAndGet(entry.getRevision(), Math::max);
        Update update = Update.restore(entry.getStatus(), clock, watchExecutor);
        remember(update);
        if (!entry.getStatus().getClientRequestId().isEmpty()) {
          byClientRequest.put(update.applicationId() + "/" + entry.getStatus().getClientRequestId(), update);
        }
        if (!update.isFinished()) {
          resumed.add(resume(update, entry));
        }
      }
    }
    for (Active a : resumed) {
      LOG.info("Update {} of {} RECOVERED in phase {} with {} workers to hear of from their nodes", a.update.id(),
          a.appId(), a.update.phase(), a.unreported.size());
      if (a.update.phase() == UpdatePhase.ACCEPTED) {
        engine.execute(() -> {
          restoreLaunchContext(a);
          fail(a, "the ResourceManager restarted before the old AM was ended; the previous AM launch context"
              + " is back in place");
          journalNow(null, a.update);
        });
      } else if (a.newAttempt != null) {
        scheduleClaimDeadline(a);
      }
    }
  }

  private Active resume(Update update, UpdateJournalEntry entry) {
    UpdateStatus status = entry.getStatus();
    Active a = new Active(update, ApplicationAttemptId.fromString(status.getOldAttemptId()));
    if (!status.getNewAttemptId().isEmpty()) {
      a.newAttempt = ApplicationAttemptId.fromString(status.getNewAttemptId());
    }
    if (!entry.getPreviousAmLaunchContext().isEmpty()) {
      a.previousLaunchContext = LaunchContextCodec.decode(entry.getPreviousAmLaunchContext());
    }
    if (entry.hasPreviousAmResource()) {
      a.previousAmResource = LaunchContextCodec.decode(entry.getPreviousAmResource());
    }
    a.oldAmContainer = entry.getOldAmContainerId();
    a.raisedMaxAttemptsFrom = entry.getRaisedMaxAttemptsFrom();
    a.claimDeadlineMs = entry.getClaimDeadlineMs();
    a.oldAmSeenGone = !status.getAmPlace().isEmpty();
    for (WorkerRecord record : status.getWorkersList()) {
      if (record.getState() == WorkerState.POOLED || record.getState() == WorkerState.CONVERTED
          || record.getState() == WorkerState.HELD) {
        a.unreported.put(ContainerId.fromString(record.getOldContainerId()), record);
      }
    }
    update.markRecovered();
    a.restored = true;
    active.put(a.appId(), a);
    return a;
  }

  /**
   * The new attempts whose AM container a restarted RM recovered but that no node runs: the RM went down
   * between allocating AM2's container and launching it.
   */
  public synchronized List<ApplicationAttemptId> newAttemptsNotYetRegistered() {
    return active.values().stream().filter(a -> a.newAttempt != null && a.newAttempt.equals(a.recoveredNewAttempt)
        && a.update.phase() == UpdatePhase.LAUNCHING_AM).map(a -> a.newAttempt).toList();
  }

  /**
   * The new attempt's AM was never launched (the RM restarted in between) and stock YARN would wait for it
   * until the AM expiry: that attempt is replaced in turn, keeping the pool, by the next one.
   */
  public void newAmNeverLaunched(ApplicationAttemptId attemptId, ContainerId amContainer) {
    Active a;
    synchronized (this) {
      a = active.get(attemptId.getApplicationId());
      if (a == null || !attemptId.equals(a.newAttempt) || a.update.phase() != UpdatePhase.LAUNCHING_AM) {
        return;
      }
      a.cancelDeadline.run();
      a.oldAttempt = attemptId;
      a.newAttempt = null;
      a.oldAmContainer = amContainer.toString();
      a.update.on(Event.NEW_AM_NEVER_LAUNCHED, "the ResourceManager restarted before it launched the AM of "
          + attemptId + "; the next attempt replaces it");
    }
    journalLater(a);
  }

  /**
   * A restarted RM recovers the application with the attempts its state store holds. When the journal names a
   * new attempt the store does not have (the RM went down before it stored it), the application will create
   * it again: the update goes back to waiting for it, and its held AM place went with the RM.
   */
  public void appRecovered(ApplicationId appId, Set<ApplicationAttemptId> storedAttempts) {
    Active a;
    synchronized (this) {
      a = active.get(appId);
      if (a == null || a.newAttempt == null || storedAttempts.contains(a.newAttempt)) {
        return;
      }
      a.update.on(Event.NEW_AM_NEVER_LAUNCHED, "the ResourceManager restarted before it stored " + a.newAttempt
          + "; the application creates the new attempt again");
      a.newAttempt = null;
      a.heldAm = null;
      a.cancelDeadline.run();
    }
    journalLater(a);
  }

  /** Whether the application needs its max attempts raised again for the update's new attempt. */
  public synchronized boolean needsExtraAttempt(ApplicationId appId) {
    Active a = active.get(appId);
    return a != null && a.newAttempt == null && a.raisedMaxAttemptsFrom > 0
        && a.update.phase() == UpdatePhase.POOLING;
  }

  /**
   * The old AM container of an attempt a restarted RM recovers while its update was ending it, or null. Its
   * end is recorded as ABORTED (not a failed attempt); the caller kills it again if its node still runs it.
   */
  public synchronized ContainerId killedAmOf(ApplicationAttemptId recoveredAttempt) {
    Active a = active.get(recoveredAttempt.getApplicationId());
    boolean killed = a != null && a.oldAttempt.equals(recoveredAttempt) && a.update.phase() == UpdatePhase.POOLING
        && !a.oldAmContainer.isEmpty();
    return killed ? ContainerId.fromString(a.oldAmContainer) : null;
  }

  /**
   * Whether the journal shows that the killed AM's node had reported it gone (its place was held): then the
   * restarted RM can end the attempt at once. Otherwise the AM may still run (the kill reaches a node with its
   * next heartbeat), and ending its attempt would make the AM shut down gracefully and stop its workers.
   */
  public synchronized boolean oldAmSeenGone(ApplicationId appId) {
    Active a = active.get(appId);
    return a != null && a.oldAmSeenGone;
  }

  /** A restarted RM recovered an attempt after the update's old one: the journal may not have it yet. */
  public void attemptRecovered(ApplicationAttemptId attemptId) {
    Active a;
    synchronized (this) {
      a = active.get(attemptId.getApplicationId());
      if (a != null && attemptId.getAttemptId() > a.oldAttempt.getAttemptId()) {
        a.recoveredNewAttempt = attemptId;
      }
      if (a == null || a.newAttempt != null
          || attemptId.getAttemptId() <= a.oldAttempt.getAttemptId() || a.update.phase() != UpdatePhase.POOLING) {
        return;
      }
    }
    newAttemptAdded(attemptId, List.of());
  }

  /**
   * A NodeManager registered with a restarted RM and reports {@code reported}: decides, for each container
   * of an update's old attempt, what the RM does with it (containers of no update are absent from the
   * result: stock recovery handles them). Outcomes other than REPOOL are recorded here; the caller
   * recovers the REPOOL ones into the application and reports each with {@link #repooled}.
   */
  public Map<ContainerId, Outcome> nodeRecovered(NodeId nodeId, List<ReportedContainer> reported) {
    Map<ContainerId, Outcome> outcomes = new HashMap<>();
    Set<Active> changed = new java.util.HashSet<>();
    synchronized (this) {
      Set<ContainerId> onNode = reported.stream().map(ReportedContainer::id).collect(Collectors.toSet());
      for (ReportedContainer container : reported) {
        Active a = active.get(appOf(container.id()));
        // A NodeManager that restarts while this RM runs re-registers with containers the RM still tracks: stock.
        if (a == null || !a.restored || !a.ownsWorkersOf(container.id().getApplicationAttemptId())
            || container.id().toString().equals(a.oldAmContainer) || a.update.phase() == UpdatePhase.ACCEPTED) {
          continue;
        }
        WorkerRecord record = a.unreported.remove(container.id());
        boolean newOnNode = record != null && !record.getNewContainerId().isEmpty()
            && onNode.contains(ContainerId.fromString(record.getNewContainerId()));
        Outcome outcome = RecoveryRule.decide(record == null ? null : record.getState(), container.running(), newOnNode);
        outcomes.put(container.id(), outcome);
        if (outcome == Outcome.HOLD_AGAIN) {
          a.unreported.put(container.id(), record);
        } else if (outcome == Outcome.REPOOL) {
          // Still awaited until the caller has charged it again (repooled) or could not (notRepooled).
          a.unreported.put(container.id(), record != null ? record : WorkerRecord.newBuilder()
              .setOldContainerId(container.id().toString()).setNodeId(nodeId.toString())
              .setState(WorkerState.POOLED).build());
        }
        record(a, container.id(), record, outcome, nodeId);
        changed.add(a);
      }
      for (Active a : active.values()) {
        for (Iterator<Map.Entry<ContainerId, WorkerRecord>> it = a.unreported.entrySet().iterator(); it.hasNext(); ) {
          Map.Entry<ContainerId, WorkerRecord> entry = it.next();
          if (!entry.getValue().getNodeId().equals(nodeId.toString()) || onNode.contains(entry.getKey())) {
            continue;
          }
          WorkerRecord record = entry.getValue();
          boolean newOnNode = !record.getNewContainerId().isEmpty()
              && onNode.contains(ContainerId.fromString(record.getNewContainerId()));
          Outcome outcome = RecoveryRule.decide(record.getState(), false, newOnNode);
          if (outcome == Outcome.HOLD_AGAIN) {
            // The node forgot the ended container; the place is charged again all the same.
            outcomes.put(entry.getKey(), outcome);
            continue;
          }
          it.remove();
          record(a, entry.getKey(), record, outcome, nodeId);
          changed.add(a);
        }
      }
      changed.forEach(this::finishIfDone);
    }
    for (Active a : changed) {
      engine.execute(() -> journalNow(activeOf(a.update), a.update));
    }
    return outcomes;
  }

  private void record(Active a, ContainerId old, WorkerRecord record, Outcome outcome, NodeId nodeId) {
    String afterRestart = "after the ResourceManager restarted, " + nodeId + " reported ";
    switch (outcome) {
      case LEAVE_TO_NODE -> {
        ContainerId newId = ContainerId.fromString(record.getNewContainerId());
        Swap swap = new Swap(a.update, new PooledWorker(old, nodeId, LaunchContextCodec.decode(record.getResource()),
            record.getPooledAtMs()), newId);
        swapsByOld.put(old, swap);
        swapsByNew.put(newId, swap);
      }
      case REPLACED -> a.update.workerReplaced(old, afterRestart + "the old container gone and its replacement there");
      case LOST -> a.update.workerEnded(old, WorkerState.LOST, afterRestart + "the old container ended and"
          + " nothing in its place");
      case STOP, REPOOL, HOLD_AGAIN -> { }
      default -> throw new IllegalStateException(outcome.name());
    }
  }

  /** A container {@link #nodeRecovered} decided to pool again is charged to the application again. */
  public void repooled(PooledWorker worker) {
    Active a;
    synchronized (this) {
      a = active.get(appOf(worker.containerId()));
      if (a == null) {
        return;
      }
      a.unreported.remove(worker.containerId());
      a.pool.add(worker);
      a.update.workerPooled(worker);
      a.update.workerRepooled(worker.containerId(), "the ResourceManager restarted; the node still runs it");
    }
    listener.pooled(1);
  }

  /** Whether a restarted RM has places of ended workers to charge again on this node. */
  public synchronized boolean holdsPlacesOn(NodeId nodeId) {
    return active.values().stream().flatMap(a -> a.unreported.values().stream())
        .anyMatch(r -> r.getState() == WorkerState.HELD && r.getNodeId().equals(nodeId.toString()));
  }

  /** The place {@link #nodeRecovered} decided to hold again, as the journal recorded it. */
  public synchronized PooledWorker journaledPlace(ContainerId id) {
    Active a = active.get(appOf(id));
    WorkerRecord record = a == null ? null : a.unreported.get(id);
    if (record == null) {
      throw new IllegalStateException("no journaled place of " + id);
    }
    return new PooledWorker(id, NodeId.fromString(record.getNodeId()), LaunchContextCodec.decode(record.getResource()),
        record.getPooledAtMs());
  }

  /** A place {@link #nodeRecovered} decided to hold again is charged to the application again. */
  public void heldAgain(PooledWorker place) {
    Active a;
    synchronized (this) {
      a = active.get(appOf(place.containerId()));
      if (a == null) {
        return;
      }
      a.unreported.remove(place.containerId());
      a.pool.add(place);
      a.held.add(place.containerId());
      a.update.workerHeld(place.containerId(), "the ResourceManager restarted; the place on " + place.nodeId()
          + " is held again for the new attempt");
    }
    listener.pooled(1);
  }

  /** A container {@link #nodeRecovered} decided to pool again could not be charged again; its node stops it. */
  public void notRepooled(ContainerId id, String reason) {
    Active a;
    synchronized (this) {
      a = active.get(appOf(id));
      if (a == null) {
        return;
      }
      a.unreported.remove(id);
      a.update.workerEnded(id, WorkerState.LOST, reason);
      finishIfDone(a);
    }
    journalLater(a);
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Engine step: the pool's leftovers are released; the update ends. */
  private void claimDeadlinePassed(Active a) {
    endPool(a, "not claimed by the new attempt within " + settings.claimTimeoutMs() + " ms", leftovers -> {
      a.unreported.forEach((old, record) -> a.update.workerEnded(old, WorkerState.LOST,
          "its node did not report it to the restarted ResourceManager before the claim deadline"));
      a.unreported.clear();
      if (a.update.phase() == UpdatePhase.CONVERTING) {
        finishIfDone(a);
      } else if (leftovers == 0) {
        fail(a, "no pooled worker was left for the new attempt " + a.newAttempt + " to claim within "
            + settings.claimTimeoutMs() + " ms (see each worker's record)");
      } else {
        fail(a, "the new attempt " + a.newAttempt + " asked for no workers within " + settings.claimTimeoutMs()
            + " ms; its pooled workers were released");
      }
    });
  }

  /**
   * Engine step: under the scheduler's write lock (so that no claim is half-way), takes the pool's
   * leftovers, records them as released and runs {@code conclude} with their count; journals that; then releases
   * them.
   */
  private void endPool(Active a, String reason, IntConsumer conclude) {
    List<PooledWorker> leftovers = driver.underWriteLock(() -> {
      synchronized (this) {
        if (active.get(a.appId()) != a) {
          return List.<PooledWorker>of();
        }
        List<PooledWorker> taken = new ArrayList<>(a.pool);
        a.pool.clear();
        a.poolClosed = true;
        a.held.clear();
        taken.forEach(w -> a.update.workerEnded(w.containerId(), WorkerState.RELEASED, reason));
        if (a.heldAm != null) {
          taken.add(a.heldAm);
          a.update.amPlace("released: " + reason);
          a.heldAm = null;
        }
        conclude.accept(taken.size());
        return taken;
      }
    });
    journalNow(activeOf(a.update), a.update);
    if (leftovers.isEmpty()) {
      return;
    }
    driver.underWriteLock(() -> {
      leftovers.forEach(w -> driver.release(w.containerId(), "Released by the Worker Pool: " + reason));
      return null;
    });
    listener.released(leftovers.size());
    LOG.info("Update {} released {} pooled containers: {}", a.update.id(), leftovers.size(), reason);
  }

  private void finishIfDone(Active a) {
    if (a == null || a.update.phase() != UpdatePhase.CONVERTING || !a.pool.isEmpty() || !a.unreported.isEmpty()
        || a.heldAm != null
        || active.get(a.appId()) != a) {
      return;
    }
    boolean swapsPending = swapsByOld.values().stream().anyMatch(s -> s.update() == a.update);
    if (!swapsPending) {
      a.cancelDeadline.run();
      active.remove(a.appId());
      a.update.on(Event.POOL_DRAINED, "every pooled worker is replaced or released");
      listener.finished(a.update.phase());
    }
  }

  private void fail(Active a, String reason) {
    synchronized (this) {
      if (active.get(a.appId()) == a) {
        active.remove(a.appId());
      }
      a.cancelDeadline.run();
    }
    if (a.update.onIfAllowed(Event.FAIL, reason)) {
      listener.finished(UpdatePhase.FAILED);
      LOG.warn("Update {} of {} failed: {}", a.update.id(), a.appId(), reason);
    }
  }

  private void restoreLaunchContext(Active a) {
    try {
      driver.restoreAmLaunchContext(a.appId(), a.previousLaunchContext, a.previousAmResource);
    } catch (UpdateRefusedException | RuntimeException e) {
      LOG.error("Update {}: could not put back the previous AM launch context of {}: {}", a.update.id(), a.appId(),
          e.getMessage());
    }
  }

  /** Journals the update from the engine, after the scheduler callback that changed it has returned. */
  private void journalLater(Active a) {
    engine.execute(() -> journalNow(a, a.update));
  }

  private void journalNow(Active a) throws IOException {
    journal.write(entry(a, a.update));
  }

  /** Journals the update as it is now; a failure is logged (the update goes on in memory). */
  private void journalNow(Active a, Update update) {
    try {
      journal.write(entry(a, update));
    } catch (IOException | RuntimeException e) {
      LOG.error("Update {}: cannot write the journal ({}); an RM restart now would not resume it as it is",
          update.id(), journal.describe(), e);
    }
  }

  private UpdateJournalEntry entry(Active a, Update update) {
    UpdateJournalEntry.Builder entry = UpdateJournalEntry.newBuilder()
        .setStatus(update.snapshot())
        .setRevision(revisions.incrementAndGet());
    if (a != null && !update.isFinished()) {
      synchronized (this) {
        if (a.previousLaunchContext != null) {
          entry.setPreviousAmLaunchContext(LaunchContextCodec.encode(a.previousLaunchContext));
        }
        if (a.previousAmResource != null) {
          entry.setPreviousAmResource(LaunchContextCodec.encode(a.previousAmResource));
        }
        entry.setOldAmContainerId(a.oldAmContainer)
            .setRaisedMaxAttemptsFrom(a.raisedMaxAttemptsFrom)
            .setClaimDeadlineMs(a.claimDeadlineMs);
      }
    }
    return entry.build();
  }

  private synchronized Active activeOf(Update update) {
    Active a = active.get(update.applicationId());
    return a != null && a.update == update ? a : null;
  }

  private synchronized Update latestByApp(ApplicationId appId) {
    return latestByApp.get(appId);
  }

  private static ApplicationId appOf(ContainerId id) {
    return id.getApplicationAttemptId().getApplicationId();
  }

  private void remember(Update update) {
    updates.put(update.id(), update);
    latestByApp.put(update.applicationId(), update);
    for (Iterator<Update> it = updates.values().iterator(); updates.size() > settings.historySize() && it.hasNext(); ) {
      Update oldest = it.next();
      if (oldest.isFinished()) {
        it.remove();
        latestByApp.remove(oldest.applicationId(), oldest);
        byClientRequest.values().removeIf(u -> u == oldest);
        engine.execute(() -> {
          try {
            journal.delete(oldest.id());
          } catch (IOException e) {
            LOG.warn("Cannot delete update {} from the journal: {}", oldest.id(), e.getMessage());
          }
        });
      }
    }
  }
}
