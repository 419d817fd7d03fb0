package io.workerpool.rm.pool;

import java.util.HashMap;
import java.util.Map;

/**
 * Remembers, per request key, what the pool served, so that the AM's stale counts do not reach
 * the scheduler as new demand.
 *
 * <p>AMRMClient sends absolute counts and takes served containers off one by one: after the pool
 * served 4 of an ask for 4, the AM may still send 3, 2, 1 before it sends 0. Stock YARN would
 * schedule those again (and the AM would release the surplus); here a count that is still
 * counting down towards what remains is read as "what remains", and a rise is read as new demand.
 *
 * @param <K> the request key (priority, allocation request id, capability)
 */
public final class ServedAsks<K> {
  private static final class Countdown {
    int remaining;
    int lastSeen;

    Countdown(int remaining, int lastSeen) {
      this.remaining = remaining;
      this.lastSeen = lastSeen;
    }
  }

  private final Map<K, Countdown> countdowns = new HashMap<>();

  /**
   * The pool served {@code served} containers of an ask for {@code asked}. An ask asked again for the AM (held back
   * while pooled workers were awaited) is lower than the AM's last count, which stays what the AM counts down from.
   */
  public void served(K key, int asked, int served) {
    Countdown counting = countdowns.get(key);
    countdowns.put(key, new Countdown(asked - served, counting == null ? asked : Math.max(counting.lastSeen, asked)));
  }

  /** The count to pass to the scheduler for the AM's count {@code asked}. */
  public int adjust(K key, int asked) {
    Countdown countdown = countdowns.get(key);
    if (countdown == null) {
      return asked;
    }
    if (asked <= countdown.remaining) {
      countdowns.remove(key);
      return asked;
    }
    if (asked > countdown.lastSeen) {
      countdown.remaining += asked - countdown.lastSeen;
    }
    countdown.lastSeen = asked;
    return countdown.remaining;
  }
}
