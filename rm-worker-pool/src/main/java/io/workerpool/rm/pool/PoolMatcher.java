package io.workerpool.rm.pool;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The pool's matching rule, in one place.
 *
 * <p>A pooled worker answers an ask when its resource equals the ask's normalized capability and,
 * if the ask is restricted to some hosts, it sits on one of them. No ask gets more workers than it
 * asks for, and no worker answers two asks. Asks are served in the order given (the AM's request
 * order); workers are taken oldest first, so the result does not depend on hash order. Asks the
 * pool cannot answer are left to the normal scheduler by the caller.
 */
public final class PoolMatcher {
  private static final Comparator<PooledWorker> OLDEST_FIRST = Comparator
      .comparingLong(PooledWorker::pooledAtMs)
      .thenComparing(PooledWorker::containerId);

  private PoolMatcher() {
  }

  public static List<PoolMatch> match(List<PooledWorker> pool, List<WorkerAsk> asks) {
    Set<PooledWorker> free = new LinkedHashSet<>(pool.stream().sorted(OLDEST_FIRST).toList());
    List<PoolMatch> matches = new ArrayList<>();
    for (WorkerAsk ask : asks) {
      int wanted = ask.count();
      for (var it = free.iterator(); wanted > 0 && it.hasNext(); ) {
        PooledWorker worker = it.next();
        if (ask.accepts(worker)) {
          matches.add(new PoolMatch(worker, ask));
          it.remove();
          wanted--;
        }
      }
    }
    return matches;
  }
}
