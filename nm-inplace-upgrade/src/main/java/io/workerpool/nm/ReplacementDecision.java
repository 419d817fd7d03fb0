package io.workerpool.nm;

import java.util.Optional;
import java.util.Set;

/**
 * Whether a new container C3 whose RM-signed token marks it as replacing C1 may stop C1 and take
 * its place. Rules on plain values only: C1 must be on this node, belong to C3's application and
 * user, not be an ApplicationMaster, and be RUNNING with a known process. A C1 that is still coming
 * up (recovered after a NodeManager restart, or not started yet) is waited for; otherwise C3 is
 * launched normally. {@link #resume} decides for a C3 that a restarted NodeManager recovered while
 * it waited at its gate.
 */
public record ReplacementDecision(Action action, String reason) {

  public enum Action {
    REPLACE,
    WAIT,
    LAUNCH_NORMALLY,
    /** Recovered C3 only: C1 is ending or gone; open C3's gate once its processes are gone. */
    OPEN_WHEN_GONE,
    /** Recovered C3 only: C1 cannot be stopped for it; C3 is stopped and C1 keeps running. */
    CANCEL
  }

  /** The new container C3. */
  public record NewContainer(String containerId, String applicationId, String user) {
  }

  /** The container C1 that the mark names, as this NodeManager knows it. */
  /**
   * @param processKnown whether the NodeManager knows C1's process id: a container is RUNNING a moment
   *     before its pid file is written or, after a NodeManager restart, read; a stop in that moment
   *     signals nothing
   */
  public record MarkedContainer(String state, String applicationId, String user, boolean applicationMaster,
      boolean processKnown) {
  }

  /** NodeManager container states from which a container becomes RUNNING without outside help. */
  private static final Set<String> COMING_UP = Set.of("NEW", "LOCALIZING", "SCHEDULED");
  /** States of a container whose process is being stopped, has ended or never ran. */
  private static final Set<String> ENDING = Set.of("KILLING", "EXITED_WITH_SUCCESS", "EXITED_WITH_FAILURE",
      "CONTAINER_CLEANEDUP_AFTER_KILL", "CONTAINER_RESOURCES_CLEANINGUP", "DONE", "LOCALIZATION_FAILED");

  /**
   * @param markedId the container id the mark names, as written in the tag
   * @param marked C1, or empty if no such container is on this node
   * @param waitOver whether the wait for a C1 that is coming up has run out
   */
  public static ReplacementDecision decide(NewContainer c3, String markedId, Optional<MarkedContainer> marked,
      boolean waitOver) {
    if (markedId.equals(c3.containerId())) {
      return launchNormally("the mark names the new container itself");
    }
    if (marked.isEmpty()) {
      return launchNormally("no container " + markedId + " on this node");
    }
    MarkedContainer c1 = marked.get();
    if (!c1.applicationId().equals(c3.applicationId())) {
      return launchNormally(markedId + " belongs to " + c1.applicationId() + ", not " + c3.applicationId());
    }
    if (!c1.user().equals(c3.user())) {
      return launchNormally(markedId + " runs as user " + c1.user() + ", not " + c3.user());
    }
    if (c1.applicationMaster()) {
      return launchNormally(markedId + " is an ApplicationMaster container");
    }
    if (c1.state().equals("RUNNING") && c1.processKnown()) {
      return new ReplacementDecision(Action.REPLACE, markedId + " is RUNNING");
    }
    if (comingUp(c1)) {
      return waitOver
          ? launchNormally(markedId + " is still " + describe(c1) + " after the wait for it to run")
          : new ReplacementDecision(Action.WAIT, markedId + " is " + describe(c1) + ", not yet RUNNING");
    }
    return launchNormally(markedId + " is " + c1.state() + ", not RUNNING");
  }

  /**
   * For a C3 that a restarted NodeManager recovered while its process waited at its gate: C1 was
   * accepted before the restart, so the swap is finished whenever possible, and C3 passes its gate
   * only once C1 is gone. A C1 that is gone from this node ended before the restart.
   */
  public static ReplacementDecision resume(NewContainer c3, String markedId, Optional<MarkedContainer> marked,
      boolean waitOver) {
    if (marked.isEmpty()) {
      return new ReplacementDecision(Action.OPEN_WHEN_GONE, "no container " + markedId + " on this node any more");
    }
    MarkedContainer c1 = marked.get();
    if (ENDING.contains(c1.state())) {
      return new ReplacementDecision(Action.OPEN_WHEN_GONE, markedId + " is " + c1.state());
    }
    ReplacementDecision fresh = decide(c3, markedId, marked, waitOver);
    return fresh.action() == Action.LAUNCH_NORMALLY
        ? new ReplacementDecision(Action.CANCEL, fresh.reason()) : fresh;
  }

  private static boolean comingUp(MarkedContainer c1) {
    return COMING_UP.contains(c1.state()) || c1.state().equals("RUNNING");
  }

  private static String describe(MarkedContainer c1) {
    return c1.state().equals("RUNNING") ? "RUNNING without a known process id" : c1.state();
  }

  private static ReplacementDecision launchNormally(String reason) {
    return new ReplacementDecision(Action.LAUNCH_NORMALLY, reason);
  }
}
