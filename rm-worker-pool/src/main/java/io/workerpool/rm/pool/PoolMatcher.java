package io.workerpool.rm.pool;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.yarn.api.records.NodeId;

/**
 * The pool's matching rule, in one place.
 *
 * <p>A pooled worker answers an ask when its resource equals the ask's normalized capability and,
 * if the ask is restricted to some hosts, it sits on one of them. No ask gets more workers than it
 * asks for, and no worker answers two asks. Asks are served in the order given (the AM's request
 * order); workers are taken oldest first, so the result does not depend on hash order. Asks the
 * pool cannot answer are left to the normal scheduler by the caller.
 *
 * <p>A large claim is converted in parts, each under its own hold of the scheduler's write lock
 * ({@link #inParts}): a part takes whole nodes, so that a node's new containers are handed over
 * together and swap on the node as one batch.
 */
public final class PoolMatcher {
  /**
   * The order in which workers are taken. The container's number comes first because comparing ContainerIds reads
   * their protobuf fields.
   */
  private static final Comparator<PooledWorker> OLDEST_FIRST = Comparator
      .comparingLong(PooledWorker::pooledAtMs)
      .thenComparingLong(w -> w.containerId().getContainerId())
      .thenComparing(PooledWorker::containerId);

  private PoolMatcher() {
  }

  public static List<PoolMatch> match(List<PooledWorker> pool, List<WorkerAsk> asks) {
    PooledWorker[] oldestFirst = pool.toArray(PooledWorker[]::new);
    Arrays.sort(oldestFirst, OLDEST_FIRST);
    boolean[] taken = new boolean[oldestFirst.length];
    List<PoolMatch> matches = new ArrayList<>();
    for (WorkerAsk ask : asks) {
      int wanted = ask.count();
      for (int i = 0; wanted > 0 && i < oldestFirst.length; i++) {
        if (!taken[i] && ask.accepts(oldestFirst[i])) {
          matches.add(new PoolMatch(oldestFirst[i], ask));
          taken[i] = true;
          wanted--;
        }
      }
    }
    return matches;
  }

  /**
   * The matches cut into parts of whole nodes, in the order the matches name the nodes: each part has at most
   * {@code limit} matches, unless a single node has more (its part is that node alone).
   */
  public static List<List<PoolMatch>> inParts(List<PoolMatch> matches, int limit) {
    Map<NodeId, List<PoolMatch>> byNode = new LinkedHashMap<>();
    for (PoolMatch match : matches) {
      byNode.computeIfAbsent(match.worker().nodeId(), n -> new ArrayList<>()).add(match);
    }
    List<List<PoolMatch>> parts = new ArrayList<>();
    List<PoolMatch> part = new ArrayList<>();
    for (List<PoolMatch> node : byNode.values()) {
      if (!part.isEmpty() && part.size() + node.size() > limit) {
        parts.add(part);
        part = new ArrayList<>();
      }
      part.addAll(node);
    }
    if (!part.isEmpty()) {
      parts.add(part);
    }
    return parts;
  }
}
