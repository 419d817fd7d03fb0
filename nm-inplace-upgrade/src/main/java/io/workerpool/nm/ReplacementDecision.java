package io.workerpool.nm;

import java.util.Optional;
import java.util.Set;

/**
 * Whether a new container C3 whose RM-signed token marks it as replacing C1 may stop C1 and take
 * its place. Rules on plain values only: C1 must be on this node, belong to C3's application and
 * user, not be an ApplicationMaster, and be RUNNING. A C1 that is still coming up (recovered after
 * a NodeManager restart, or not started yet) is waited for; otherwise C3 is launched normally.
 */
public record ReplacementDecision(Action action, String reason) {

  public enum Action {
    REPLACE,
    WAIT,
    LAUNCH_NORMALLY
  }

  /** The new container C3. */
  public record NewContainer(String containerId, String applicationId, String user) {
  }

  /** The container C1 that the mark names, as this NodeManager knows it. */
  public record MarkedContainer(String state, String applicationId, String user, boolean applicationMaster) {
  }

  /** NodeManager container states from which a container becomes RUNNING without outside help. */
  private static final Set<String> COMING_UP = Set.of("NEW", "LOCALIZING", "SCHEDULED");

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
    if (c1.state().equals("RUNNING")) {
      return new ReplacementDecision(Action.REPLACE, markedId + " is RUNNING");
    }
    if (COMING_UP.contains(c1.state())) {
      return waitOver
          ? launchNormally(markedId + " is still " + c1.state() + " after the wait for it to run")
          : new ReplacementDecision(Action.WAIT, markedId + " is " + c1.state() + ", not yet RUNNING");
    }
    return launchNormally(markedId + " is " + c1.state() + ", not RUNNING");
  }

  private static ReplacementDecision launchNormally(String reason) {
    return new ReplacementDecision(Action.LAUNCH_NORMALLY, reason);
  }
}
