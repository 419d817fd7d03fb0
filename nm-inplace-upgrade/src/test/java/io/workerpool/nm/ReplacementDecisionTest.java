package io.workerpool.nm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.workerpool.nm.ReplacementDecision.Action;
import io.workerpool.nm.ReplacementDecision.MarkedContainer;
import io.workerpool.nm.ReplacementDecision.NewContainer;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReplacementDecisionTest {
  private static final String APP = "application_1700000000000_0001";
  private static final String C1 = "container_1700000000000_0001_01_000002";
  private static final NewContainer C3 = new NewContainer("container_1700000000000_0001_02_000005", APP, "alice");

  private static Optional<MarkedContainer> c1(String state, String app, String user, boolean am) {
    return Optional.of(new MarkedContainer(state, app, user, am, true));
  }

  private static ReplacementDecision decide(Optional<MarkedContainer> c1) {
    return ReplacementDecision.decide(C3, C1, c1, false);
  }

  @Test
  void replacesARunningWorkerOfTheSameApplicationAndUser() {
    assertEquals(Action.REPLACE, decide(c1("RUNNING", APP, "alice", false)).action());
  }

  @Test
  void refusesAContainerThatIsNotOnThisNode() {
    ReplacementDecision decision = decide(Optional.empty());
    assertEquals(Action.LAUNCH_NORMALLY, decision.action());
    assertEquals("no container " + C1 + " on this node", decision.reason());
  }

  @Test
  void refusesAContainerOfAnotherApplication() {
    ReplacementDecision decision = decide(c1("RUNNING", "application_1700000000000_0002", "alice", false));
    assertEquals(Action.LAUNCH_NORMALLY, decision.action());
    assertEquals(C1 + " belongs to application_1700000000000_0002, not " + APP, decision.reason());
  }

  @Test
  void refusesAContainerOfAnotherUser() {
    ReplacementDecision decision = decide(c1("RUNNING", APP, "mallory", false));
    assertEquals(Action.LAUNCH_NORMALLY, decision.action());
    assertEquals(C1 + " runs as user mallory, not alice", decision.reason());
  }

  @Test
  void refusesAnApplicationMaster() {
    ReplacementDecision decision = decide(c1("RUNNING", APP, "alice", true));
    assertEquals(Action.LAUNCH_NORMALLY, decision.action());
    assertEquals(C1 + " is an ApplicationMaster container", decision.reason());
  }

  @Test
  void refusesAMarkNamingTheNewContainerItself() {
    ReplacementDecision decision = ReplacementDecision.decide(C3, C3.containerId(),
        c1("SCHEDULED", APP, "alice", false), false);
    assertEquals(Action.LAUNCH_NORMALLY, decision.action());
    assertEquals("the mark names the new container itself", decision.reason());
  }

  @Test
  void identityIsCheckedBeforeState() {
    assertEquals(Action.LAUNCH_NORMALLY, decide(c1("NEW", "application_1700000000000_0002", "alice", false)).action());
    assertEquals(Action.LAUNCH_NORMALLY, decide(c1("SCHEDULED", APP, "alice", true)).action());
  }

  @ParameterizedTest
  @ValueSource(strings = {"NEW", "LOCALIZING", "SCHEDULED"})
  void waitsForAContainerThatIsComingUp(String state) {
    ReplacementDecision decision = decide(c1(state, APP, "alice", false));
    assertEquals(Action.WAIT, decision.action());
    assertEquals(C1 + " is " + state + ", not yet RUNNING", decision.reason());
  }

  @Test
  void refusesAContainerThatDidNotComeUpInTime() {
    ReplacementDecision decision = ReplacementDecision.decide(C3, C1, c1("NEW", APP, "alice", false), true);
    assertEquals(Action.LAUNCH_NORMALLY, decision.action());
    assertEquals(C1 + " is still NEW after the wait for it to run", decision.reason());
  }

  @Test
  void aRunningContainerIsReplacedEvenAfterTheWait() {
    assertEquals(Action.REPLACE,
        ReplacementDecision.decide(C3, C1, c1("RUNNING", APP, "alice", false), true).action());
  }

  @ParameterizedTest
  @ValueSource(strings = {"KILLING", "EXITED_WITH_SUCCESS", "EXITED_WITH_FAILURE", "CONTAINER_CLEANEDUP_AFTER_KILL",
      "DONE", "PAUSED", "LOCALIZATION_FAILED"})
  void refusesAContainerThatIsNotRunning(String state) {
    ReplacementDecision decision = decide(c1(state, APP, "alice", false));
    assertEquals(Action.LAUNCH_NORMALLY, decision.action());
    assertEquals(C1 + " is " + state + ", not RUNNING", decision.reason());
  }

  @Test
  void waitsForARunningContainerWhoseProcessIsNotKnownYet() {
    Optional<MarkedContainer> recovering = Optional.of(new MarkedContainer("RUNNING", APP, "alice", false, false));
    ReplacementDecision decision = decide(recovering);
    assertEquals(Action.WAIT, decision.action());
    assertEquals(C1 + " is RUNNING without a known process id, not yet RUNNING", decision.reason());
    assertEquals(Action.LAUNCH_NORMALLY, ReplacementDecision.decide(C3, C1, recovering, true).action());
  }

  @Test
  void aRecoveredNewContainerReplacesARunningContainerAndWaitsForOneComingUp() {
    assertEquals(Action.REPLACE, ReplacementDecision.resume(C3, C1, c1("RUNNING", APP, "alice", false), false).action());
    assertEquals(Action.WAIT, ReplacementDecision.resume(C3, C1, c1("NEW", APP, "alice", false), false).action());
    assertEquals(Action.WAIT, ReplacementDecision.resume(C3, C1,
        Optional.of(new MarkedContainer("RUNNING", APP, "alice", false, false)), false).action());
  }

  @ParameterizedTest
  @ValueSource(strings = {"KILLING", "EXITED_WITH_SUCCESS", "EXITED_WITH_FAILURE", "CONTAINER_CLEANEDUP_AFTER_KILL",
      "DONE"})
  void aRecoveredNewContainerPassesItsGateOnceAnEndingContainerIsGone(String state) {
    ReplacementDecision decision = ReplacementDecision.resume(C3, C1, c1(state, APP, "alice", false), false);
    assertEquals(Action.OPEN_WHEN_GONE, decision.action());
    assertEquals(C1 + " is " + state, decision.reason());
    assertEquals(Action.OPEN_WHEN_GONE, ReplacementDecision.resume(C3, C1, Optional.empty(), false).action());
  }

  @Test
  void aRecoveredNewContainerIsCancelledWhenItsOldOneDoesNotComeUp() {
    ReplacementDecision decision = ReplacementDecision.resume(C3, C1, c1("NEW", APP, "alice", false), true);
    assertEquals(Action.CANCEL, decision.action());
    assertEquals(C1 + " is still NEW after the wait for it to run", decision.reason());
  }
}
