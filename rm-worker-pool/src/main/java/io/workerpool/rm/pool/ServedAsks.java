package io.workerpool.rm.pool;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers, per request key, what the pool served, so that the AM's stale counts do not reach
 * the scheduler as new demand, and asks again for what such a correction took off too much.
 *
 * <p>AMRMClient sends absolute counts, only when they change, and the AM takes served containers
 * off one by one, on its callback thread, while its heartbeat thread sends the counts: after the
 * pool served 4 of an ask for 4, the AM may still send 3, 2, 1 before it sends 0. Stock YARN would
 * schedule those again (and the AM would release the surplus); here a count that is still counting
 * down towards what remains is read as "what remains", and a rise is read as new demand on top of
 * what the AM has not taken off yet.
 *
 * <p>A rise can also come after the AM took the served containers off (it took 1 off and asked for
 * 15 more between two heartbeats: 1 → 15 is 15 new, not "1 stale + 14"). Counts alone cannot tell
 * the two apart, and AMRMClient does not send an unchanged count again, so an ask read as stale by
 * mistake would never be served. Once an AM has shown that it takes served containers off (its
 * count fell) and its count then stays unchanged for {@link #SETTLED_AFTER_QUIET_CALLS} calls, the
 * count is what it still waits for: {@link #settled()} asks again for what the correction took off.
 * An AM that never takes containers off (distributedshell) never counts down and is never asked
 * again for.
 *
 * <p>One allocate call of an attempt at a time: {@link #adjust} for each ask of the call, then
 * {@link #settled()} once.
 *
 * @param <K> the request key (priority, allocation request id, capability)
 * @param <A> the AM's request, kept to ask again with another count
 */
public final class ServedAsks<K, A> {
  /** Calls without a change of a key's count after which a count that fell is taken as settled. */
  public static final int SETTLED_AFTER_QUIET_CALLS = 2;

  /** An ask to pass to the scheduler again, with the count the AM waits for. */
  public record AskAgain<A>(A ask, int count) {
  }

  private static final class Countdown<A> {
    A ask;
    int remaining;
    int lastSeen;
    boolean countedDown;
    int callsSinceChange;

    Countdown(A ask, int remaining, int lastSeen) {
      this.ask = ask;
      this.remaining = remaining;
      this.lastSeen = lastSeen;
    }
  }

  private final Map<K, Countdown<A>> countdowns = new HashMap<>();

  /**
   * The pool served {@code served} containers of {@code ask}, a request for {@code asked}. An ask asked again for
   * the AM (held back while pooled workers were awaited) is lower than the AM's last count, which stays what the AM
   * counts down from.
   */
  public void served(K key, A ask, int asked, int served) {
    Countdown<A> counting = countdowns.get(key);
    countdowns.put(key, new Countdown<>(ask, asked - served,
        counting == null ? asked : Math.max(counting.lastSeen, asked)));
  }

  /** The count to pass to the scheduler for the AM's {@code ask} with count {@code asked}. */
  public int adjust(K key, A ask, int asked) {
    Countdown<A> countdown = countdowns.get(key);
    if (countdown == null) {
      return asked;
    }
    if (asked <= countdown.remaining) {
      countdowns.remove(key);
      return asked;
    }
    if (asked > countdown.lastSeen) {
      countdown.remaining += asked - countdown.lastSeen;
    } else if (asked < countdown.lastSeen) {
      countdown.countedDown = true;
    }
    countdown.ask = ask;
    countdown.lastSeen = asked;
    countdown.callsSinceChange = 0;
    return countdown.remaining;
  }

  /**
   * Ends an allocate call: the asks whose count fell and then stayed unchanged long enough that the AM's last count
   * is what it waits for, where that is more than the scheduler was told. They are asked for again at once.
   */
  public List<AskAgain<A>> settled() {
    List<AskAgain<A>> again = new ArrayList<>();
    for (Countdown<A> countdown : countdowns.values()) {
      countdown.callsSinceChange++;
      if (countdown.countedDown && countdown.callsSinceChange > SETTLED_AFTER_QUIET_CALLS
          && countdown.lastSeen > countdown.remaining) {
        countdown.remaining = countdown.lastSeen;
        again.add(new AskAgain<>(countdown.ask, countdown.lastSeen));
      }
    }
    return again;
  }
}
