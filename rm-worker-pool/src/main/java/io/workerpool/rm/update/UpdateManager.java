package io.workerpool.rm.update;

import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.ReplacementContract;
import io.workerpool.rm.pool.PoolMatch;
import io.workerpool.rm.pool.PoolMatcher;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.pool.WorkerAsk;
import io.workerpool.rm.update.UpdateLifecycle.Event;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
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
 * Runs updates: takes requests from clients and events from the scheduler, moves each update
 * through {@link UpdateLifecycle}, holds each application's pool and decides what it serves.
 *
 * <p>Locking: the scheduler calls in while holding its write lock; this class never calls the
 * {@link ResourceManagerDriver} while holding its own monitor (except the lock-free
 * {@code stopOnNode}), so the two locks are never taken in the opposite order.
 */
public final class UpdateManager {
  private static final Logger LOG = LoggerFactory.getLogger(UpdateManager.class);

  private final ResourceManagerDriver driver;
  private final UpdateListener listener;
  private final LongSupplier clock;
  private final long claimTimeoutMs;
  private final long earlyExitWindowMs;
  private final long amStopTimeoutMs;
  private final int historySize;
  private final ScheduledExecutorService timer;
  private final ScheduledExecutorService watchExecutor;

  private final Map<String, Update> updates = new LinkedHashMap<>();
  private final Map<ApplicationId, Update> latestByApp = new HashMap<>();
  private final Map<String, Update> byClientRequest = new HashMap<>();
  private final Map<ApplicationId, Active> active = new HashMap<>();
  private final Map<ContainerId, Swap> swapsByOld = new HashMap<>();
  private final Map<ContainerId, Swap> swapsByNew = new HashMap<>();
  private final Map<ContainerId, Replaced> recentlyReplaced = new LinkedHashMap<>();

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

  private static final class Active {
    final Update update;
    final ApplicationAttemptId oldAttempt;
    ApplicationAttemptId newAttempt;
    Runnable restoreLaunchContext;
    final List<PooledWorker> pool = new ArrayList<>();
    ScheduledFuture<?> deadline;

    Active(Update update, ApplicationAttemptId oldAttempt) {
      this.update = update;
      this.oldAttempt = oldAttempt;
    }
  }

  private record Swap(Update update, PooledWorker worker, ContainerId newId) {
    ContainerId oldId() {
      return worker.containerId();
    }
  }

  private record Replaced(Swap swap, long atMs) {
  }

  /**
   * @param timer runs the deadlines
   * @param watchExecutor delivers the updates' events to their watchers
   */
  public UpdateManager(ResourceManagerDriver driver, UpdateListener listener, LongSupplier clock,
      UpdateSettings settings, ScheduledExecutorService timer, ScheduledExecutorService watchExecutor) {
    this.driver = driver;
    this.listener = listener;
    this.clock = clock;
    this.claimTimeoutMs = settings.claimTimeoutMs();
    this.earlyExitWindowMs = settings.earlyExitWindowMs();
    this.amStopTimeoutMs = settings.amStopTimeoutMs();
    this.historySize = settings.historySize();
    this.timer = timer;
    this.watchExecutor = watchExecutor;
  }

  // ---- client side ------------------------------------------------------------------------

  public Update start(Caller caller, ApplicationId appId, ContainerLaunchContext launchContext,
      Resource amResource, String clientRequestId) throws UpdateRefusedException {
    Active started;
    synchronized (this) {
      Update earlier = clientRequestId.isEmpty() ? null : byClientRequest.get(appId + "/" + clientRequestId);
      if (earlier != null) {
        return earlier;
      }
      Active running = active.get(appId);
      if (running != null) {
        throw new UpdateRefusedException(Reason.ALREADY_EXISTS, "application " + appId + " is already being updated by "
            + running.update.id() + " (phase " + running.update.phase() + "); wait for it to end or cancel it");
      }
    }
    ApplicationAttemptId currentAttempt = driver.checkUpdatable(appId, caller);
    synchronized (this) {
      if (active.containsKey(appId)) {
        throw new UpdateRefusedException(Reason.ALREADY_EXISTS,
            "application " + appId + " is already being updated by " + active.get(appId).update.id());
      }
      Update update = new Update("update_" + UUID.randomUUID(), appId, clientRequestId, clock, watchExecutor);
      update.setAttempts(currentAttempt.toString(), null);
      started = new Active(update, currentAttempt);
      active.put(appId, started);
      remember(update);
      if (!clientRequestId.isEmpty()) {
        byClientRequest.put(appId + "/" + clientRequestId, update);
      }
    }
    listener.started();
    try {
      started.restoreLaunchContext = driver.replaceAmLaunchContext(appId, launchContext, amResource);
      started.update.on(Event.AM1_ENDING, "new AM launch context stored; ending " + currentAttempt);
      driver.endAttempt(currentAttempt, "AM stopped for in-place update " + started.update.id());
    } catch (UpdateRefusedException | RuntimeException e) {
      // AM1 still runs: its next attempts must keep the launch context it was started with.
      if (started.restoreLaunchContext != null) {
        started.restoreLaunchContext.run();
      }
      fail(started, "could not start: " + e.getMessage());
      throw e instanceof UpdateRefusedException refused ? refused
          : new UpdateRefusedException(Reason.INTERNAL, e.toString(), e);
    }
    LOG.info("Update {} of {} started by {}: ending {}", started.update.id(), appId, caller.user(), currentAttempt);
    Active ending = started;
    timer.schedule(() -> amStopTimedOut(ending), amStopTimeoutMs, TimeUnit.MILLISECONDS);
    return started.update;
  }

  /** The old AM's node has not reported it gone: the RM ends the attempt itself. */
  private void amStopTimedOut(Active a) {
    synchronized (this) {
      if (active.get(a.update.applicationId()) != a || a.newAttempt != null) {
        return;
      }
    }
    LOG.warn("Update {}: the node of {} did not report the killed AM gone within {} ms; ending the attempt in the RM",
        a.update.id(), a.oldAttempt, amStopTimeoutMs);
    driver.abortAttempt(a.oldAttempt, "AM stopped for in-place update " + a.update.id()
        + " (its node did not report it killed within " + amStopTimeoutMs + " ms)");
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

  public Update cancel(String updateId) throws UpdateRefusedException {
    Update update = get(updateId);
    synchronized (this) {
      if (!UpdateLifecycle.allows(update.phase(), Event.CANCEL)) {
        throw new UpdateRefusedException(Reason.FAILED_PRECONDITION, "update " + updateId + " is in phase "
            + update.phase() + " and can no longer be cancelled: the old AM has ended. To go back, update the"
            + " application again with the previous launch context");
      }
      Active running = active.remove(update.applicationId());
      update.on(Event.CANCEL, "cancelled by request");
      listener.finished(update.phase());
      if (running != null && running.restoreLaunchContext != null) {
        running.restoreLaunchContext.run();
      }
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
  public synchronized void newAttemptAdded(ApplicationAttemptId attemptId, List<PooledWorker> running) {
    Active a = active.get(attemptId.getApplicationId());
    a.newAttempt = attemptId;
    a.update.setAttempts(null, attemptId.toString());
    for (PooledWorker worker : running) {
      a.pool.add(worker);
      a.update.workerPooled(worker);
    }
    listener.pooled(running.size());
    a.update.on(Event.NEW_ATTEMPT_ADDED, running.size() + " workers pooled; launching " + attemptId);
    a.deadline = timer.schedule(() -> claimDeadlinePassed(a), claimTimeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Containers that are pooled for this application: the new AM must not see them as its own yet. */
  public synchronized Set<ContainerId> pooledContainers(ApplicationId appId) {
    Active a = active.get(appId);
    return a == null ? Set.of() : a.pool.stream().map(PooledWorker::containerId).collect(Collectors.toSet());
  }

  public synchronized boolean hasPool(ApplicationAttemptId attemptId) {
    Active a = active.get(attemptId.getApplicationId());
    return a != null && attemptId.equals(a.newAttempt) && !a.pool.isEmpty();
  }

  /**
   * The new attempt asks for workers: picks the pooled workers that answer its asks and takes
   * them out of the pool. The first ask also marks that the new AM has registered and starts
   * the claim deadline.
   */
  public synchronized List<PoolMatch> claim(ApplicationAttemptId attemptId, List<WorkerAsk> asks) {
    Active a = active.get(attemptId.getApplicationId());
    if (a == null || !attemptId.equals(a.newAttempt)) {
      return List.of();
    }
    a.update.onIfAllowed(Event.NEW_ATTEMPT_REGISTERED, attemptId + " registered and asks for workers");
    List<PoolMatch> matches = PoolMatcher.match(a.pool, asks);
    Set<PooledWorker> claimed = matches.stream().map(PoolMatch::worker).collect(Collectors.toSet());
    a.pool.removeIf(claimed::contains);
    return matches;
  }

  /** A claimed worker was converted into {@code newId} of the new attempt, in {@code conversionNanos}. */
  public synchronized void converted(PoolMatch match, ContainerId newId, long conversionNanos) {
    Update update = updateOf(match.worker().containerId());
    update.workerConverted(match.worker().containerId(), newId, conversionNanos);
    Swap swap = new Swap(update, match.worker(), newId);
    swapsByOld.put(swap.oldId(), swap);
    swapsByNew.put(swap.newId(), swap);
    listener.converted(conversionNanos / 1_000);
  }

  /** A claimed worker could not be converted (it ended meanwhile). */
  public synchronized void conversionFailed(PoolMatch match, String reason) {
    Active a = active.get(match.worker().containerId().getApplicationAttemptId().getApplicationId());
    if (a != null) {
      a.update.workerEnded(match.worker().containerId(), WorkerState.LOST, reason);
      finishIfDone(a);
    }
  }

  /** The ResourceManager saw a container complete (from the NM, the AM or itself). */
  public void containerCompleted(ContainerId id, int exitStatus, String diagnostics) {
    String how = "exit " + exitStatus + (diagnostics.isBlank() ? "" : ": " + diagnostics.strip());
    Swap failed;
    synchronized (this) {
      Swap replaced = swapsByOld.remove(id);
      if (replaced != null) {
        // The new container is still alive, and the node launches it once the old one is gone:
        // whatever ended the old one, the new one has taken its place. The node's own status (-120)
        // may never arrive: an NM drops a container the RM has already acknowledged, and the RM
        // then reports it lost (ABORTED, "running but not reported").
        swapsByNew.remove(replaced.newId());
        recentlyReplaced.put(replaced.newId(), new Replaced(replaced, clock.getAsLong()));
        replaced.update().workerReplaced(id, exitStatus == ReplacementContract.REPLACED_EXIT_STATUS ? ""
            : "the old container ended with " + how);
        finishIfDone(active.get(id.getApplicationAttemptId().getApplicationId()));
        return;
      }
      if (endedEarly(id, how)) {
        return;
      }
      failed = swapsByNew.remove(id);
      if (failed == null) {
        Active a = active.get(id.getApplicationAttemptId().getApplicationId());
        if (a != null && a.pool.removeIf(w -> w.containerId().equals(id))) {
          a.update.workerEnded(id, WorkerState.LOST, "ended while pooled: " + how);
          finishIfDone(a);
        }
        return;
      }
      swapsByOld.remove(failed.oldId());
    }
    swapFailed(failed, "new container " + id + " ended before it took the old one's place (" + how + ")");
  }

  /** Records a new container that ended soon after it replaced the old one; forgets older replacements. */
  private boolean endedEarly(ContainerId newId, String how) {
    long now = clock.getAsLong();
    // Insertion order is replacement order: the expired ones are at the head.
    for (Iterator<Replaced> it = recentlyReplaced.values().iterator(); it.hasNext(); ) {
      if (now - it.next().atMs() <= earlyExitWindowMs) {
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
   * The new container never took the old one's place, so the node has not stopped the old one:
   * the RM takes it back and it returns to the pool, where the new attempt's next ask (stock AMs
   * ask again for a container that failed) can claim it again until the claim deadline. When the
   * update is over, or the RM cannot take it back, the old container is stopped instead, so that
   * nothing runs unaccounted.
   */
  private void swapFailed(Swap swap, String reason) {
    listener.swapFailed();
    ApplicationId appId = swap.oldId().getApplicationAttemptId().getApplicationId();
    synchronized (this) {
      Active a = active.get(appId);
      if (a == null || a.update != swap.update()) {
        swap.update().workerEnded(swap.oldId(), WorkerState.SWAP_FAILED, reason
            + "; the update is over, so the old container is stopped");
        driver.stopOnNode(swap.worker().nodeId(), swap.oldId());
        return;
      }
    }
    boolean takenBack = driver.takeBack(swap.worker());
    synchronized (this) {
      Active a = active.get(appId);
      if (takenBack && a != null && a.update == swap.update()) {
        a.pool.add(swap.worker());
        swap.update().workerBackInPool(swap.oldId(), reason);
        return;
      }
    }
    if (takenBack) {
      driver.release(swap.oldId(), "Released by the Worker Pool: " + reason + "; the update ended meanwhile");
    } else {
      driver.stopOnNode(swap.worker().nodeId(), swap.oldId());
    }
    swap.update().workerEnded(swap.oldId(), WorkerState.SWAP_FAILED, reason + "; the old container is stopped");
    synchronized (this) {
      finishIfDone(active.get(appId));
    }
  }

  /** The new attempt ended while an update still waited for it. */
  public void attemptEnded(ApplicationAttemptId attemptId, String state) {
    Active a;
    synchronized (this) {
      a = active.get(attemptId.getApplicationId());
      if (a == null || !attemptId.equals(a.newAttempt)) {
        return;
      }
    }
    releasePool(a, "the new attempt " + attemptId + " ended (" + state + ") before claiming it");
    synchronized (this) {
      fail(a, "the new attempt " + attemptId + " ended (" + state + ") during the update");
    }
  }

  // ---- internals ----------------------------------------------------------------------------

  private void claimDeadlinePassed(Active a) {
    releasePool(a, "not claimed by the new attempt within " + claimTimeoutMs + " ms");
    synchronized (this) {
      if (active.get(a.update.applicationId()) != a) {
        return;
      }
      if (a.update.phase() == UpdatePhase.CONVERTING) {
        active.remove(a.update.applicationId());
        a.update.on(Event.POOL_DRAINED, "claim deadline passed");
        listener.finished(a.update.phase());
      } else {
        fail(a, "the new attempt " + a.newAttempt + " asked for no workers within " + claimTimeoutMs
            + " ms; its pooled workers were released");
      }
    }
  }

  private void releasePool(Active a, String reason) {
    List<PooledWorker> leftovers;
    synchronized (this) {
      leftovers = new ArrayList<>(a.pool);
      a.pool.clear();
    }
    for (PooledWorker worker : leftovers) {
      driver.release(worker.containerId(), "Released by the Worker Pool: " + reason);
      a.update.workerEnded(worker.containerId(), WorkerState.RELEASED, reason);
    }
    if (!leftovers.isEmpty()) {
      listener.released(leftovers.size());
      LOG.info("Update {} released {} pooled containers: {}", a.update.id(), leftovers.size(), reason);
    }
  }

  private void finishIfDone(Active a) {
    if (a == null || a.update.phase() != UpdatePhase.CONVERTING || !a.pool.isEmpty()) {
      return;
    }
    boolean swapsPending = swapsByOld.values().stream().anyMatch(s -> s.update() == a.update);
    if (!swapsPending) {
      if (a.deadline != null) {
        a.deadline.cancel(false);
      }
      active.remove(a.update.applicationId());
      a.update.on(Event.POOL_DRAINED, "every pooled worker is replaced or released");
      listener.finished(a.update.phase());
    }
  }

  private void fail(Active a, String reason) {
    synchronized (this) {
      if (active.get(a.update.applicationId()) == a) {
        active.remove(a.update.applicationId());
      }
    }
    if (a.update.onIfAllowed(Event.FAIL, reason)) {
      listener.finished(UpdatePhase.FAILED);
      LOG.warn("Update {} of {} failed: {}", a.update.id(), a.update.applicationId(), reason);
    }
  }

  private Update updateOf(ContainerId oldContainer) {
    return active.get(oldContainer.getApplicationAttemptId().getApplicationId()).update;
  }

  private void remember(Update update) {
    updates.put(update.id(), update);
    latestByApp.put(update.applicationId(), update);
    for (Iterator<Update> it = updates.values().iterator(); updates.size() > historySize && it.hasNext(); ) {
      Update oldest = it.next();
      if (oldest.isFinished()) {
        it.remove();
        latestByApp.remove(oldest.applicationId(), oldest);
        byClientRequest.values().removeIf(u -> u == oldest);
      }
    }
  }
}
