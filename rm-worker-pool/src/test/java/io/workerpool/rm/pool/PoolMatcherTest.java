package io.workerpool.rm.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.junit.jupiter.api.Test;

class PoolMatcherTest {
  private static final ApplicationAttemptId ATTEMPT_1 =
      ApplicationAttemptId.newInstance(ApplicationId.newInstance(1_700_000_000_000L, 7), 1);
  private static final Resource SMALL = Resource.newInstance(1024, 1);
  private static final Resource LARGE = Resource.newInstance(4096, 2);

  private static PooledWorker worker(int id, String host, Resource resource, long pooledAt) {
    return new PooledWorker(ContainerId.newContainerId(ATTEMPT_1, id), NodeId.newInstance(host, 8041), resource,
        pooledAt);
  }

  private static WorkerAsk ask(int priority, Resource capability, int count, String... onlyHosts) {
    return new WorkerAsk(Priority.newInstance(priority), 0, capability, count, Set.of(onlyHosts));
  }

  @Test
  void neverGivesAnAskMoreThanItAsksFor() {
    List<PooledWorker> pool = List.of(worker(2, "a", SMALL, 1), worker(3, "b", SMALL, 2), worker(4, "a", SMALL, 3));

    List<PoolMatch> matches = PoolMatcher.match(pool, List.of(ask(1, SMALL, 2)));

    assertEquals(List.of(pool.get(0), pool.get(1)), matches.stream().map(PoolMatch::worker).toList());
  }

  @Test
  void aWorkerAnswersOneAskOnly() {
    List<PooledWorker> pool = List.of(worker(2, "a", SMALL, 1), worker(3, "b", SMALL, 2));
    WorkerAsk first = ask(1, SMALL, 1);
    WorkerAsk second = ask(2, SMALL, 5);

    List<PoolMatch> matches = PoolMatcher.match(pool, List.of(first, second));

    assertEquals(List.of(new PoolMatch(pool.get(0), first), new PoolMatch(pool.get(1), second)), matches);
  }

  @Test
  void aDifferentResourceIsNotServedFromThePool() {
    List<PooledWorker> pool = List.of(worker(2, "a", SMALL, 1), worker(3, "b", LARGE, 2));

    List<PoolMatch> matches = PoolMatcher.match(pool, List.of(ask(1, LARGE, 2), ask(2, Resource.newInstance(2048, 1), 1)));

    assertEquals(List.of(pool.get(1)), matches.stream().map(PoolMatch::worker).toList());
  }

  @Test
  void hostRestrictedAsksOnlyTakeWorkersOnThoseHosts() {
    List<PooledWorker> pool = List.of(worker(2, "a", SMALL, 1), worker(3, "b", SMALL, 2), worker(4, "c", SMALL, 3));

    List<PoolMatch> matches = PoolMatcher.match(pool, List.of(ask(1, SMALL, 3, "b", "c")));

    assertEquals(List.of(pool.get(1), pool.get(2)), matches.stream().map(PoolMatch::worker).toList());
  }

  @Test
  void oldestWorkersAreTakenFirstWhateverTheListOrder() {
    List<PooledWorker> pool = List.of(worker(9, "a", SMALL, 30), worker(5, "b", SMALL, 10), worker(7, "c", SMALL, 10));

    List<PoolMatch> matches = PoolMatcher.match(pool, List.of(ask(1, SMALL, 2)));

    assertEquals(List.of(pool.get(1), pool.get(2)), matches.stream().map(PoolMatch::worker).toList());
  }

  @Test
  void noAsksOrAnEmptyPoolMatchNothing() {
    assertEquals(List.of(), PoolMatcher.match(List.of(worker(2, "a", SMALL, 1)), List.of()));
    assertEquals(List.of(), PoolMatcher.match(List.of(), List.of(ask(1, SMALL, 4))));
    assertEquals(List.of(), PoolMatcher.match(List.of(worker(2, "a", SMALL, 1)), List.of(ask(1, SMALL, 0))));
  }

  @Test
  void aClaimIsCutIntoPartsOfWholeNodesUpToTheLimit() {
    List<PooledWorker> pool = List.of(worker(2, "a", SMALL, 1), worker(3, "b", SMALL, 2), worker(4, "a", SMALL, 3),
        worker(5, "c", SMALL, 4), worker(6, "b", SMALL, 5));
    List<PoolMatch> matches = PoolMatcher.match(pool, List.of(ask(1, SMALL, 5)));

    assertEquals(List.of(List.of(pool.get(0), pool.get(2), pool.get(1), pool.get(4)), List.of(pool.get(3))),
        workers(PoolMatcher.inParts(matches, 4)));
    assertEquals(List.of(List.of(pool.get(0), pool.get(2)), List.of(pool.get(1), pool.get(4), pool.get(3))),
        workers(PoolMatcher.inParts(matches, 3)));
    assertEquals(List.of(List.of(pool.get(0), pool.get(2), pool.get(1), pool.get(4), pool.get(3))),
        workers(PoolMatcher.inParts(matches, 5)), "all of them in one part, node by node");
    assertEquals(List.of(), PoolMatcher.inParts(List.of(), 5));
  }

  @Test
  void aNodeWithMoreMatchesThanTheLimitIsAPartOfItsOwn() {
    List<PooledWorker> pool = List.of(worker(2, "a", SMALL, 1), worker(3, "a", SMALL, 2), worker(4, "b", SMALL, 3));
    List<PoolMatch> matches = PoolMatcher.match(pool, List.of(ask(1, SMALL, 3)));

    assertEquals(List.of(List.of(pool.get(0), pool.get(1)), List.of(pool.get(2))),
        workers(PoolMatcher.inParts(matches, 1)));
  }

  private static List<List<PooledWorker>> workers(List<List<PoolMatch>> parts) {
    return parts.stream().map(part -> part.stream().map(PoolMatch::worker).toList()).toList();
  }
}
