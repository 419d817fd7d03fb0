package io.workerpool.rm.update;

import io.workerpool.proto.WorkerState;

/**
 * What a restarted (or newly active) ResourceManager does with a container of an update's old attempt
 * that a NodeManager reports when it registers, given what the journal recorded for it.
 */
public final class RecoveryRule {

  public enum Outcome {
    /** It runs and is still the update's: charge it to the application again, hidden in the pool. */
    REPOOL,
    /** Its replacement is on the node too: the node finishes the swap; the RM does not track the old one. */
    LEAVE_TO_NODE,
    /** It is gone and its replacement runs. */
    REPLACED,
    /** It is gone and nothing replaced it. */
    LOST,
    /** Its process had ended and the update held its place: charge the place to the application again. */
    HOLD_AGAIN,
    /** The update let go of it: the node stops it. */
    STOP
  }

  private RecoveryRule() {
  }

  /**
   * @param recorded the worker's state in the journal, or null when the journal does not know it yet (the
   *     RM died before it recorded the pool)
   * @param oldRunning the node reports the old container RUNNING
   * @param newOnNode the node reports the replacement the journal names (in any state)
   */
  public static Outcome decide(WorkerState recorded, boolean oldRunning, boolean newOnNode) {
    if (recorded == WorkerState.HELD) {
      // Nothing of it runs on the node, whether the node still reports its end or has forgotten it.
      return Outcome.HOLD_AGAIN;
    }
    if (recorded == null || recorded == WorkerState.POOLED) {
      return oldRunning ? Outcome.REPOOL : Outcome.LOST;
    }
    if (recorded == WorkerState.CONVERTED) {
      if (newOnNode) {
        return oldRunning ? Outcome.LEAVE_TO_NODE : Outcome.REPLACED;
      }
      return oldRunning ? Outcome.REPOOL : Outcome.LOST;
    }
    return Outcome.STOP;
  }
}
