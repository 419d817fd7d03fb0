package io.workerpool.nm;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.event.Dispatcher;
import org.apache.hadoop.yarn.event.Event;
import org.apache.hadoop.yarn.event.EventHandler;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerEvent;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerEventType;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerExitEvent;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;

/**
 * The dispatcher given to the stock launcher code, keeping the NodeManager's view of a container
 * whose process waits at its {@link LaunchGate}: the stock launch reports CONTAINER_LAUNCHED just
 * before it starts the process, which would make the container RUNNING (and start monitoring its
 * process tree) while it only waits. That event is held until the gate is opened ({@link #release}).
 * A gated container whose process ends before (its launch failed, it gave up, someone killed it)
 * never ran: its exit is reported as a failure, which the container accepts before RUNNING, unless
 * the NodeManager is killing it (then the stock kill event stands).
 */
final class GatedLaunchDispatcher implements Dispatcher {
  private final Dispatcher dispatcher;
  private final Function<ContainerId, Optional<ContainerState>> stateOf;
  /** Gated containers, to their held CONTAINER_LAUNCHED event (null until it came); guarded by this. */
  private final Map<ContainerId, ContainerEvent> gated = new HashMap<>();
  /** Gated containers whose process ended before their gate was opened; guarded by this. */
  private final Set<ContainerId> endedAtGate = new HashSet<>();

  /** @param stateOf the NodeManager's state of a container, if it knows the container */
  GatedLaunchDispatcher(Dispatcher dispatcher, Function<ContainerId, Optional<ContainerState>> stateOf) {
    this.dispatcher = dispatcher;
    this.stateOf = stateOf;
  }

  /** Called before the gated container's launch is submitted. */
  synchronized void gate(ContainerId id) {
    gated.put(id, null);
  }

  /** The gate is open (or about to be): the container is RUNNING from now on. */
  synchronized void release(ContainerId id) {
    // Under the lock, so that the container's exit (once its command runs) is queued after this event.
    ContainerEvent launched = gated.remove(id);
    if (launched != null) {
      dispatcher.getEventHandler().handle(launched);
    }
  }

  /** Whether the container's process ended at its gate (removes the answer). */
  synchronized boolean endedAtGate(ContainerId id) {
    return endedAtGate.remove(id);
  }

  /** The container is no longer of interest (its launch was cancelled). */
  synchronized void forget(ContainerId id) {
    gated.remove(id);
    endedAtGate.remove(id);
  }

  @Override
  public EventHandler<Event> getEventHandler() {
    EventHandler<Event> handler = dispatcher.getEventHandler();
    return event -> {
      Event passed = pass(event);
      if (passed != null) {
        handler.handle(passed);
      }
    };
  }

  @Override
  @SuppressWarnings("rawtypes")
  public void register(Class<? extends Enum> eventType, EventHandler handler) {
    dispatcher.register(eventType, handler);
  }

  /** The event to pass on, or null to hold it. */
  synchronized Event pass(Event event) {
    if (!(event instanceof ContainerEvent containerEvent) || !gated.containsKey(containerEvent.getContainerID())) {
      return event;
    }
    ContainerId id = containerEvent.getContainerID();
    ContainerEventType type = containerEvent.getType();
    if (type == ContainerEventType.CONTAINER_LAUNCHED) {
      gated.put(id, containerEvent);
      return null;
    }
    if (type != ContainerEventType.CONTAINER_EXITED_WITH_SUCCESS && type != ContainerEventType.CONTAINER_EXITED_WITH_FAILURE
        && type != ContainerEventType.CONTAINER_KILLED_ON_REQUEST) {
      return event;
    }
    gated.remove(id);
    endedAtGate.add(id);
    if (type == ContainerEventType.CONTAINER_KILLED_ON_REQUEST
        && stateOf.apply(id).equals(Optional.of(ContainerState.KILLING))) {
      return event;
    }
    int code = event instanceof ContainerExitEvent exit ? exit.getExitCode() : 0;
    String diagnostics = event instanceof ContainerExitEvent exit && exit.getDiagnosticInfo() != null
        ? exit.getDiagnosticInfo() : "";
    return new ContainerExitEvent(id, ContainerEventType.CONTAINER_EXITED_WITH_FAILURE, code,
        diagnostics + "Container " + id + " ended before its gate in front of its command was opened: its command"
            + " never ran. ");
  }
}
