package io.workerpool.rm.pool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The order in which the new attempt receives the containers converted for one allocate call: one node after
 * the other, round by round (A, B, C, A, B, A rather than A, A, A, B, B, C). An AM starts its containers in the
 * order it receives them, and each node swaps once all of its new containers are prepared: handed over node by
 * node, the first node would be prepared, and swap, while the last one had not begun, and the application's
 * downtime would be the spread of the nodes' preparation instead of one node's swap.
 */
public final class HandOverOrder {
  private HandOverOrder() {
  }

  /** The containers one node after the other; each node's own containers keep their order. */
  public static <C, N> List<C> interleaved(List<C> containers, Function<C, N> nodeOf) {
    Map<N, List<C>> byNode = new LinkedHashMap<>();
    for (C container : containers) {
      byNode.computeIfAbsent(nodeOf.apply(container), n -> new ArrayList<>()).add(container);
    }
    List<C> order = new ArrayList<>(containers.size());
    for (int round = 0; order.size() < containers.size(); round++) {
      for (List<C> node : byNode.values()) {
        if (round < node.size()) {
          order.add(node.get(round));
        }
      }
    }
    return order;
  }
}
