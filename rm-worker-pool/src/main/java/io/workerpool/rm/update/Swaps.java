package io.workerpool.rm.update;

import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.ReplacementContract;
import io.workerpool.rm.pool.PooledWorker;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.hadoop.yarn.api.records.ContainerExitStatus;
import org.apache.hadoop.yarn.api.records.ContainerId;

/**
 * Converted workers whose new container waits for the old one to end, and the recent replacements (to tell a new
 * container that exits early). Guarded by the UpdateManager monitor: callers hold it.
 */
final class Swaps {
  record Swap(Update update, PooledWorker worker, ContainerId newId) {
    ContainerId oldId() {
      return worker.containerId();
    }
  }

  private record Replaced(Swap swap, long atMs) {
  }

  private final LongSupplier clock;
  private final long earlyExitWindowMs;
  private final Map<ContainerId, Swap> byOld = new HashMap<>();
  private final Map<ContainerId, Swap> byNew = new HashMap<>();
  private final Map<ContainerId, Replaced> recentlyReplaced = new LinkedHashMap<>();

  Swaps(LongSupplier clock, long earlyExitWindowMs) {
    this.clock = clock;
    this.earlyExitWindowMs = earlyExitWindowMs;
  }

  void add(Swap swap) {
    byOld.put(swap.oldId(), swap);
    byNew.put(swap.newId(), swap);
  }

  /** The swap whose old container this is, while its new container is alive; null otherwise. */
  Swap awaitingEndOf(ContainerId oldId) {
    Swap swap = byOld.get(oldId);
    return swap != null && byNew.containsKey(swap.newId()) ? swap : null;
  }

  boolean isNewContainer(ContainerId id) {
    return byNew.containsKey(id);
  }

  /**
   * The new container of a swap ended before it took the old one's place. The swap
   * stays awaited (the update waits for it) until {@link #forget} once the old container is taken back or stopped.
   */
  Swap newContainerEnded(ContainerId newId) {
    return byNew.remove(newId);
  }

  void forget(ContainerId oldId) {
    byOld.remove(oldId);
  }

  boolean pendingFor(Update update) {
    return byOld.values().stream().anyMatch(s -> s.update() == update);
  }

  /**
   * The new container is alive and the node launches it once the old one is gone: whatever ended the old
   * one, the new one has taken its place. Records that.
   */
  void oldContainerGone(Swap swap, int exitStatus, String how) {
    byOld.remove(swap.oldId());
    byNew.remove(swap.newId());
    recentlyReplaced.put(swap.newId(), new Replaced(swap, clock.getAsLong()));
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
    swap.update().workerReplaced(swap.oldId(), note);
  }

  /** Records a new container that ended soon after it replaced the old one; forgets older replacements. */
  boolean endedEarly(ContainerId newId, String how) {
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
    return true;
  }
}
