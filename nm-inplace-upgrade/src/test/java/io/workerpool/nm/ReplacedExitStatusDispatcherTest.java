package io.workerpool.nm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.event.Dispatcher;
import org.apache.hadoop.yarn.event.Event;
import org.apache.hadoop.yarn.event.EventHandler;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerEvent;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerEventType;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerExitEvent;
import org.junit.jupiter.api.Test;

class ReplacedExitStatusDispatcherTest {
  private static final ApplicationAttemptId ATTEMPT =
      ApplicationAttemptId.newInstance(ApplicationId.newInstance(1_700_000_000_000L, 1), 1);
  private static final ContainerId C1 = ContainerId.newContainerId(ATTEMPT, 2);

  private final List<Event> delivered = new ArrayList<>();
  private final ReplacedExitStatusDispatcher dispatcher = new ReplacedExitStatusDispatcher(new Dispatcher() {
    @Override
    public EventHandler<Event> getEventHandler() {
      return delivered::add;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void register(Class<? extends Enum> eventType, EventHandler handler) {
    }
  });

  @Test
  void aCleanExitAfterTheSignalIsReportedAsKilledOnRequest() {
    dispatcher.keepReplacedStatus(C1);
    dispatcher.getEventHandler().handle(new ContainerEvent(C1, ContainerEventType.CONTAINER_EXITED_WITH_SUCCESS));

    ContainerExitEvent exit = (ContainerExitEvent) delivered.get(0);
    assertEquals(ContainerEventType.CONTAINER_KILLED_ON_REQUEST, exit.getType());
    assertEquals(0, exit.getExitCode());
    assertEquals("Container exited with code 0. ", exit.getDiagnosticInfo());
  }

  @Test
  void aFailureExitKeepsItsCodeAndDiagnostics() {
    dispatcher.keepReplacedStatus(C1);
    dispatcher.getEventHandler().handle(
        new ContainerExitEvent(C1, ContainerEventType.CONTAINER_EXITED_WITH_FAILURE, 239, "JVM halted"));

    ContainerExitEvent exit = (ContainerExitEvent) delivered.get(0);
    assertEquals(ContainerEventType.CONTAINER_KILLED_ON_REQUEST, exit.getType());
    assertEquals(239, exit.getExitCode());
    assertEquals("JVM halted", exit.getDiagnosticInfo());
  }

  @Test
  void onlyTheFirstExitAfterTheSignalIsRewritten() {
    dispatcher.keepReplacedStatus(C1);
    ContainerExitEvent killed = new ContainerExitEvent(C1, ContainerEventType.CONTAINER_KILLED_ON_REQUEST, 143, "");
    ContainerEvent late = new ContainerEvent(C1, ContainerEventType.CONTAINER_EXITED_WITH_SUCCESS);
    dispatcher.getEventHandler().handle(killed);
    dispatcher.getEventHandler().handle(late);

    assertSame(killed, delivered.get(0));
    assertSame(late, delivered.get(1));
  }

  @Test
  void otherContainersAndEventsPassUnchanged() {
    ContainerEvent exit = new ContainerEvent(C1, ContainerEventType.CONTAINER_EXITED_WITH_SUCCESS);
    dispatcher.getEventHandler().handle(exit);
    dispatcher.keepReplacedStatus(C1);
    ContainerEvent launched = new ContainerEvent(C1, ContainerEventType.CONTAINER_LAUNCHED);
    dispatcher.getEventHandler().handle(launched);

    assertSame(exit, delivered.get(0));
    assertSame(launched, delivered.get(1));
  }
}
