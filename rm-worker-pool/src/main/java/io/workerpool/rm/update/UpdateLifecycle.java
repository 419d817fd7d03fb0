package io.workerpool.rm.update;

import static io.workerpool.proto.UpdatePhase.ACCEPTED;
import static io.workerpool.proto.UpdatePhase.CANCELLED;
import static io.workerpool.proto.UpdatePhase.CONVERTING;
import static io.workerpool.proto.UpdatePhase.FAILED;
import static io.workerpool.proto.UpdatePhase.LAUNCHING_AM;
import static io.workerpool.proto.UpdatePhase.POOLING;
import static io.workerpool.proto.UpdatePhase.SUCCEEDED;

import io.workerpool.proto.UpdatePhase;
import java.util.EnumMap;
import java.util.Map;

/**
 * Every phase of an update and every transition between them, declared in one table.
 *
 * <pre>
 * ACCEPTED --AM1_ENDING--> POOLING --NEW_ATTEMPT_ADDED--> LAUNCHING_AM --NEW_ATTEMPT_REGISTERED--> CONVERTING
 * CONVERTING --POOL_DRAINED--> SUCCEEDED
 * ACCEPTED --CANCEL--> CANCELLED          (only before AM1 is touched)
 * any non-final phase --FAIL--> FAILED
 * POOLING, LAUNCHING_AM, CONVERTING --RECOVERED--> the same phase   (an RM resumed it from the journal)
 * ACCEPTED, after an RM restart --FAIL--> FAILED                   (the old launch context is put back)
 * LAUNCHING_AM --NEW_AM_NEVER_LAUNCHED--> POOLING  (the RM restarted before launching AM2: the next attempt replaces it)
 * </pre>
 */
public final class UpdateLifecycle {

  public enum Event {
    AM1_ENDING, NEW_ATTEMPT_ADDED, NEW_ATTEMPT_REGISTERED, POOL_DRAINED, CANCEL, FAIL, RECOVERED, NEW_AM_NEVER_LAUNCHED
  }

  private static final Map<UpdatePhase, Map<Event, UpdatePhase>> TRANSITIONS = new EnumMap<>(UpdatePhase.class);

  static {
    on(ACCEPTED, Event.AM1_ENDING, POOLING);
    on(ACCEPTED, Event.CANCEL, CANCELLED);
    on(POOLING, Event.NEW_ATTEMPT_ADDED, LAUNCHING_AM);
    on(LAUNCHING_AM, Event.NEW_ATTEMPT_REGISTERED, CONVERTING);
    on(LAUNCHING_AM, Event.NEW_AM_NEVER_LAUNCHED, POOLING);
    on(CONVERTING, Event.POOL_DRAINED, SUCCEEDED);
    for (UpdatePhase phase : new UpdatePhase[] {ACCEPTED, POOLING, LAUNCHING_AM, CONVERTING}) {
      on(phase, Event.FAIL, FAILED);
    }
    for (UpdatePhase phase : new UpdatePhase[] {POOLING, LAUNCHING_AM, CONVERTING}) {
      on(phase, Event.RECOVERED, phase);
    }
  }

  private UpdateLifecycle() {
  }

  private static void on(UpdatePhase from, Event event, UpdatePhase to) {
    TRANSITIONS.computeIfAbsent(from, p -> new EnumMap<>(Event.class)).put(event, to);
  }

  /** @throws IllegalStateException when the event is not allowed in this phase */
  public static UpdatePhase next(UpdatePhase from, Event event) {
    UpdatePhase to = TRANSITIONS.getOrDefault(from, Map.of()).get(event);
    if (to == null) {
      throw new IllegalStateException("an update in phase " + from + " cannot take " + event);
    }
    return to;
  }

  public static boolean allows(UpdatePhase from, Event event) {
    return TRANSITIONS.getOrDefault(from, Map.of()).containsKey(event);
  }

  public static boolean isFinal(UpdatePhase phase) {
    return !TRANSITIONS.containsKey(phase);
  }
}
