package io.workerpool.rm.update;

import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.WorkerState;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.update.Swaps.Swap;
import io.workerpool.rm.update.UpdateManager.UpdateListener;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The updates' effects on the ResourceManager that the {@link Engine} runs: a step starts with no scheduler lock
 * held and takes the scheduler's write lock before the UpdateManager monitor (the module's lock order).
 */
final class EngineSteps {
  private static final Logger LOG = LoggerFactory.getLogger(EngineSteps.class);

  private final UpdateManager updates;
  private final ResourceManagerDriver driver;
  private final JournalWriter journal;
  private final UpdateListener listener;
  private final UpdateSettings settings;

  EngineSteps(UpdateManager updates, ResourceManagerDriver driver, JournalWriter journal, UpdateListener listener,
      UpdateSettings settings) {
    this.updates = updates;
    this.driver = driver;
    this.journal = journal;
    this.listener = listener;
    this.settings = settings;
  }

  /** The old AM's node has not reported it gone: the RM ends the attempt itself. */
  void amStopTimedOut(ActiveUpdate a) {
    synchronized (updates) {
      if (updates.inFlight(a.appId()) != a || a.newAttempt != null) {
        return;
      }
    }
    LOG.warn("Update {}: the node of {} did not report the killed AM gone within {} ms; ending the attempt in the RM",
        a.update.id(), a.oldAttempt, settings.amStopTimeoutMs());
    driver.abortAttempt(a.oldAttempt, "AM stopped for in-place update " + a.update.id()
        + " (its node did not report it killed within " + settings.amStopTimeoutMs() + " ms)");
  }

  /** The pool's leftovers are released; the update ends. */
  void claimDeadlinePassed(ActiveUpdate a) {
    endPool(a, "not claimed by the new attempt within " + settings.claimTimeoutMs() + " ms", leftovers -> {
      a.unreported.forEach((old, record) -> a.update.workerEnded(old, WorkerState.LOST,
          "its node did not report it to the restarted ResourceManager before the claim deadline"));
      a.unreported.clear();
      if (a.update.phase() == UpdatePhase.CONVERTING) {
        updates.finishIfDone(a);
      } else if (leftovers == 0) {
        updates.fail(a, "no pooled worker was left for the new attempt " + a.newAttempt + " to claim within "
            + settings.claimTimeoutMs() + " ms (see each worker's record)");
      } else {
        updates.fail(a, "the new attempt " + a.newAttempt + " asked for no workers within "
            + settings.claimTimeoutMs() + " ms; its pooled workers were released");
      }
    });
  }

  /**
   * Under the scheduler's write lock (so that no claim is half-way), takes the pool's leftovers, records them as
   * released and runs {@code conclude} with their count; journals that; then releases them.
   */
  void endPool(ActiveUpdate a, String reason, IntConsumer conclude) {
    List<PooledWorker> leftovers = driver.underWriteLock(() -> {
      synchronized (updates) {
        if (updates.inFlight(a.appId()) != a) {
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
    journal.writeOrLog(a.update);
    if (!leftovers.isEmpty()) {
      release(a, leftovers.stream().map(PooledWorker::containerId).toList(), reason);
    }
  }

  /** Releases containers the update let go of: the RM completes them and their resources return to the cluster. */
  void release(ActiveUpdate a, List<ContainerId> containers, String reason) {
    driver.underWriteLock(() -> {
      containers.forEach(id -> driver.release(id, "Released by the Worker Pool: " + reason));
      return null;
    });
    listener.released(containers.size());
    LOG.info("Update {} released {} pooled containers: {}", a.update.id(), containers.size(), reason);
  }

  /**
   * The new container never took the old one's place, so the node has not stopped the old one: the RM takes it
   * back and it returns to the pool, where the new attempt's next ask (stock AMs ask again for a container that
   * failed) can claim it again until the claim deadline. When the update is over, or the RM cannot take it back,
   * the old container is stopped instead, so that nothing runs unaccounted.
   */
  void swapFailed(Swap swap, String reason) {
    Update update = driver.underWriteLock(() -> {
      ActiveUpdate a;
      synchronized (updates) {
        a = updates.inFlight(UpdateManager.appOf(swap.oldId()));
        if (a != null && a.update != swap.update()) {
          a = null;
        }
      }
      boolean takenBack = a != null && !a.poolClosed && driver.takeBack(swap.worker());
      synchronized (updates) {
        updates.swaps().forget(swap.oldId());
        if (takenBack) {
          a.pool.add(swap.worker());
          swap.update().workerBackInPool(swap.oldId(), reason);
        } else {
          swap.update().workerEnded(swap.oldId(), WorkerState.SWAP_FAILED, reason + (a == null
              ? "; the update is over, so the old container is stopped"
              : a.poolClosed ? "; the claim deadline has passed, so the old container is stopped"
              : "; the old container is stopped"));
          updates.finishIfDone(a);
        }
      }
      if (!takenBack) {
        driver.stopOnNode(swap.worker().nodeId(), swap.oldId());
      }
      return swap.update();
    });
    journal.writeOrLog(update);
  }

  /** Releases a place under the write lock: the caller that hands this step to the engine may hold scheduler locks. */
  void release(PooledWorker place, String why) {
    driver.underWriteLock(() -> {
      driver.release(place.containerId(), "Released by the Worker Pool: " + why);
      return null;
    });
  }
}
