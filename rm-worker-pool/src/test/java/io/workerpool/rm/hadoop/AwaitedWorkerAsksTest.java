package io.workerpool.rm.hadoop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.ResourceRequest;
import org.junit.jupiter.api.Test;

class AwaitedWorkerAsksTest {
  private static final ApplicationAttemptId ATTEMPT_2 =
      ApplicationAttemptId.newInstance(ApplicationId.newInstance(1_700_000_000_000L, 7), 2);
  private static final Resource WORKER = Resource.newInstance(1024, 1);
  private static final Resource LARGE = Resource.newInstance(4096, 1);

  // Asks of 1000 MB are normalized to the scheduler's 1024 MB steps, as the pooled workers were.
  private final AwaitedWorkerAsks asks = new AwaitedWorkerAsks(
      capability -> capability.getMemorySize() <= 1024 ? WORKER : capability);

  private static ResourceRequest any(int count) {
    return ResourceRequest.newInstance(Priority.newInstance(1), ResourceRequest.ANY, Resource.newInstance(1000, 1),
        count);
  }

  private static List<Integer> counts(List<ResourceRequest> requests) {
    return requests.stream().map(ResourceRequest::getNumContainers).toList();
  }

  @Test
  void holdsBackWhatTheAwaitedWorkersCouldAnswerAndAsksItAgainUntilTheyAreHeardOf() {
    // AM2 asks for 4; the pool served 2; 2 workers are still to come back with their node.
    List<ResourceRequest> passedOn = asks.holdBack(ATTEMPT_2, List.of(any(2)), List.of(WORKER, WORKER, LARGE));
    assertEquals(List.of(0), counts(passedOn), "nothing goes to the scheduler while the 2 workers may come back");

    // The AM's next heartbeat asks nothing new: the held-back ask is asked again.
    List<ResourceRequest> next = asks.withRemembered(ATTEMPT_2, List.of());
    assertEquals(List.of(2), counts(next));
    assertEquals(List.of(1), counts(asks.holdBack(ATTEMPT_2, next, List.of(WORKER))), "one came back meanwhile");

    // Written off (claim deadline) or all heard of: the scheduler gets the ask, and it is forgotten.
    List<ResourceRequest> last = asks.withRemembered(ATTEMPT_2, List.of());
    assertEquals(List.of(2), counts(asks.holdBack(ATTEMPT_2, last, List.of())));
    assertEquals(List.of(), asks.withRemembered(ATTEMPT_2, List.of()));
  }

  @Test
  void theAmsOwnAskReplacesTheRememberedOne() {
    asks.holdBack(ATTEMPT_2, List.of(any(3)), List.of(WORKER, WORKER, WORKER));

    assertEquals(List.of(1), counts(asks.withRemembered(ATTEMPT_2, List.of(any(1)))));
  }

  @Test
  void asksOfOtherSizesOrLocationsPassUntouched() {
    ResourceRequest large = ResourceRequest.newInstance(Priority.newInstance(2), ResourceRequest.ANY, LARGE, 2);
    ResourceRequest onHost = ResourceRequest.newInstance(Priority.newInstance(1), "host-a", WORKER, 1);

    List<ResourceRequest> passedOn = asks.holdBack(ATTEMPT_2, List.of(large, onHost), List.of(WORKER));

    assertEquals(List.of(2, 1), counts(passedOn));
    assertEquals(List.of(), asks.withRemembered(ATTEMPT_2, List.of()), "nothing held back, nothing remembered");
  }
}
