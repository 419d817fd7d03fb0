package io.workerpool.nm;

import io.workerpool.protocol.ReplacementContract;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.event.Dispatcher;
import org.apache.hadoop.yarn.event.Event;
import org.apache.hadoop.yarn.event.EventHandler;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerEvent;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerEventType;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerExitEvent;

/**
 * The dispatcher given to the stock launcher code, through which every container launch and cleanup
 * reports its process's exit. A replaced container C1 is killed with
 * {@link ReplacementContract#REPLACED_EXIT_STATUS}, but the NodeManager keeps a kill's exit status
 * only when the exit arrives as CONTAINER_KILLED_ON_REQUEST (exit code 143 or 137). A process that
 * handles SIGTERM and exits 0 or with its own code, or any container recovered after a NodeManager
 * restart, would overwrite it. So, once C1 has been signalled, its exit is reported as killed on
 * request, with the real exit code kept in the diagnostics.
 */
final class ReplacedExitStatusDispatcher implements Dispatcher {
  private final Dispatcher dispatcher;
  private final Set<ContainerId> signalled = ConcurrentHashMap.newKeySet();
  /** C1s recovered after a NodeManager restart while they were being stopped, to the diagnostic of their end. */
  private final Map<ContainerId, String> recoveredAsReplaced = new ConcurrentHashMap<>();

  ReplacedExitStatusDispatcher(Dispatcher dispatcher) {
    this.dispatcher = dispatcher;
  }

  /** Called just before C1 is signalled: exits before that are C1's own and are not rewritten. */
  void keepReplacedStatus(ContainerId c1) {
    signalled.add(c1);
  }

  /**
   * C1 was being stopped for a replacement when the NodeManager restarted: however its recovered launch ends
   * (often as lost, when the stop had already removed its pid file), it ends as replaced.
   */
  void endsAsReplaced(ContainerId c1, String diagnostic) {
    recoveredAsReplaced.put(c1, diagnostic);
  }

  @Override
  public EventHandler<Event> getEventHandler() {
    EventHandler<Event> handler = dispatcher.getEventHandler();
    return event -> handler.handle(rewrite(event));
  }

  @Override
  @SuppressWarnings("rawtypes")
  public void register(Class<? extends Enum> eventType, EventHandler handler) {
    dispatcher.register(eventType, handler);
  }

  Event rewrite(Event event) {
    if (!(event instanceof ContainerEvent exit) || !isExit(exit.getType())) {
      return event;
    }
    String replaced = recoveredAsReplaced.remove(exit.getContainerID());
    if (replaced != null) {
      signalled.remove(exit.getContainerID());
      int code = exit instanceof ContainerExitEvent withCode ? withCode.getExitCode() : 0;
      // Accepted as the end of a RUNNING or KILLING container, and its exit code is the container's exit status.
      return new ContainerExitEvent(exit.getContainerID(), ContainerEventType.CONTAINER_EXITED_WITH_FAILURE,
          ReplacementContract.REPLACED_EXIT_STATUS, replaced + " Its recovered launch ended with " + code + ". ");
    }
    if (!signalled.remove(exit.getContainerID())) {
      return event;
    }
    if (exit.getType() == ContainerEventType.CONTAINER_KILLED_ON_REQUEST) {
      return event;
    }
    int code = exit instanceof ContainerExitEvent withCode ? withCode.getExitCode() : 0;
    String diagnostic = exit instanceof ContainerExitEvent withCode && withCode.getDiagnosticInfo() != null
        ? withCode.getDiagnosticInfo()
        : "Container exited with code " + code + ". ";
    return new ContainerExitEvent(exit.getContainerID(), ContainerEventType.CONTAINER_KILLED_ON_REQUEST, code,
        diagnostic);
  }

  private static boolean isExit(ContainerEventType type) {
    return type == ContainerEventType.CONTAINER_KILLED_ON_REQUEST
        || type == ContainerEventType.CONTAINER_EXITED_WITH_SUCCESS
        || type == ContainerEventType.CONTAINER_EXITED_WITH_FAILURE;
  }
}
