package io.workerpool.rm.hadoop;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.ResourceRequest;

/**
 * Holds back the part of a new attempt's worker asks that pooled workers still expected from their nodes could
 * answer. After an RM restart or failover the pooled workers come back with their nodes' registrations; an ask the
 * pool cannot serve yet would otherwise be scheduled elsewhere at once (seen on the real cluster: AM2 asked before
 * the second node had registered again, and two workers moved to the other node). An AM sends an ask only when it
 * changes, so what is held back is remembered and asked again on the attempt's next calls, until the workers are
 * heard of (then the pool serves them) or written off at the claim deadline (then the scheduler does). One allocate
 * call of an attempt at a time, as the ApplicationMasterService serializes them.
 */
final class AwaitedWorkerAsks {
  /** Per attempt, the last ask (with the count the application still wants) of each key partly held back. */
  private final Map<ApplicationAttemptId, Map<AskKey, ResourceRequest>> remembered = new ConcurrentHashMap<>();
  private final UnaryOperator<Resource> normalized;

  /** @param normalized the capability as the scheduler normalizes it (pooled workers have that size) */
  AwaitedWorkerAsks(UnaryOperator<Resource> normalized) {
    this.normalized = normalized;
  }

  /** The call's asks and the remembered ones under keys the call does not name (a key the AM sends replaces ours). */
  List<ResourceRequest> withRemembered(ApplicationAttemptId attemptId, List<ResourceRequest> asks) {
    Map<AskKey, ResourceRequest> ours = remembered.get(attemptId);
    if (ours == null) {
      return asks;
    }
    Set<AskKey> sent = new HashSet<>();
    for (ResourceRequest ask : asks) {
      if (ResourceRequest.isAnyLocation(ask.getResourceName())) {
        sent.add(AskKey.of(ask));
      }
    }
    List<ResourceRequest> merged = new ArrayList<>(asks);
    ours.forEach((key, ask) -> {
      if (!sent.contains(key)) {
        merged.add(ask);
      }
    });
    return merged;
  }

  /**
   * The asks less what the awaited workers could answer (same normalized size, one worker per container); remembers
   * each ask it held back any of, and forgets the attempt's asks once nothing is awaited.
   *
   * @param awaited the sizes of the pooled workers the update still expects to hear of from their nodes
   */
  List<ResourceRequest> holdBack(ApplicationAttemptId attemptId, List<ResourceRequest> asks, List<Resource> awaited) {
    if (awaited.isEmpty()) {
      remembered.remove(attemptId);
      return asks;
    }
    List<Resource> unmatched = new ArrayList<>(awaited);
    Map<AskKey, ResourceRequest> heldBack = new LinkedHashMap<>();
    List<ResourceRequest> rest = new ArrayList<>(asks.size());
    for (ResourceRequest ask : asks) {
      int hold = 0;
      if (ResourceRequest.isAnyLocation(ask.getResourceName())
          && ask.getExecutionTypeRequest().getExecutionType() == ExecutionType.GUARANTEED) {
        Resource size = normalized.apply(ask.getCapability());
        for (Iterator<Resource> it = unmatched.iterator(); hold < ask.getNumContainers() && it.hasNext(); ) {
          if (it.next().equals(size)) {
            it.remove();
            hold++;
          }
        }
      }
      if (hold == 0) {
        rest.add(ask);
      } else {
        heldBack.put(AskKey.of(ask), ask);
        rest.add(AskKey.withCount(ask, ask.getNumContainers() - hold));
      }
    }
    if (heldBack.isEmpty()) {
      remembered.remove(attemptId);
    } else {
      remembered.put(attemptId, heldBack);
    }
    return rest;
  }

  void forget(ApplicationAttemptId attemptId) {
    remembered.remove(attemptId);
  }
}
