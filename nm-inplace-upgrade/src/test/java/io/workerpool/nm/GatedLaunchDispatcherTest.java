package io.workerpool.nm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.event.Dispatcher;
import org.apache.hadoop.yarn.event.Event;
import org.apache.hadoop.yarn.event.EventHandler;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerEvent;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerEventType;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerExitEvent;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.junit.jupiter.api.Test;

class GatedLaunchDispatcherTest {
  private static final ApplicationAttemptId ATTEMPT =
      ApplicationAttemptId.newInstance(ApplicationId.newInstance(1_700_000_000_000L, 1), 2);
  private static final ContainerId C3 = ContainerId.newContainerId(ATTEMPT, 3);
  private static final ContainerId OTHER = ContainerId.newContainerId(ATTEMPT, 4);

  private final List<Event> delivered = new ArrayList<>();
  private final Map<ContainerId, ContainerState> states = new HashMap<>();
  private final GatedLaunchDispatcher dispatcher = new GatedLaunchDispatcher(new Dispatcher() {
    @Override
    public EventHandler<Event> getEventHandler() {
      return delivered::add;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void register(Class<? extends Enum> eventType, EventHandler handler) {
    }
  }, id -> Optional.ofNullable(states.get(id)));

  @Test
  void theLaunchOfAGatedContainerIsReportedOnlyWhenItsGateOpens() {
    dispatcher.gate(C3);
    ContainerEvent launched = new ContainerEvent(C3, ContainerEventType.CONTAINER_LAUNCHED);
    dispatcher.getEventHandler().handle(launched);
    dispatcher.getEventHandler().handle(new ContainerEvent(OTHER, ContainerEventType.CONTAINER_LAUNCHED));
    assertEquals(1, delivered.size(), "only the ungated container's launch: " + delivered);

    dispatcher.release(C3);
    assertSame(launched, delivered.get(1));
    dispatcher.getEventHandler().handle(new ContainerEvent(C3, ContainerEventType.CONTAINER_EXITED_WITH_SUCCESS));
    assertEquals(ContainerEventType.CONTAINER_EXITED_WITH_SUCCESS, ((ContainerEvent) delivered.get(2)).getType());
    assertFalse(dispatcher.endedAtGate(C3));
  }

  @Test
  void aProcessEndingAtItsGateIsAFailureOfAContainerThatNeverRan() {
    states.put(C3, ContainerState.SCHEDULED);
    dispatcher.gate(C3);
    dispatcher.getEventHandler().handle(new ContainerEvent(C3, ContainerEventType.CONTAINER_LAUNCHED));
    dispatcher.getEventHandler().handle(
        new ContainerExitEvent(C3, ContainerEventType.CONTAINER_KILLED_ON_REQUEST, 137, "killed. "));

    ContainerExitEvent exit = (ContainerExitEvent) delivered.get(0);
    assertEquals(1, delivered.size(), "the held launch is dropped: " + delivered);
    assertEquals(ContainerEventType.CONTAINER_EXITED_WITH_FAILURE, exit.getType());
    assertEquals(137, exit.getExitCode());
    assertTrue(exit.getDiagnosticInfo().startsWith("killed. Container " + C3 + " ended before its gate"),
        exit.getDiagnosticInfo());
    assertTrue(dispatcher.endedAtGate(C3));
    dispatcher.release(C3);
    assertEquals(1, delivered.size(), "nothing to release");
  }

  @Test
  void aGatedContainerTheNodeManagerKillsKeepsTheStockKillEvent() {
    states.put(C3, ContainerState.KILLING);
    dispatcher.gate(C3);
    ContainerExitEvent killed = new ContainerExitEvent(C3, ContainerEventType.CONTAINER_KILLED_ON_REQUEST, 143, "");
    dispatcher.getEventHandler().handle(killed);

    assertSame(killed, delivered.get(0));
  }
}
