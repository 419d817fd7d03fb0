package io.workerpool.it.ha;

import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.workerpool.client.WorkerPoolClient;
import io.workerpool.client.WorkerPoolException;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerState;
import java.time.Duration;
import java.util.function.Predicate;
import org.apache.hadoop.yarn.api.records.ApplicationId;

/** Waits for an application's update to reach the phase in which a test stops the active RM. */
final class UpdatePhaseWait {
  private UpdatePhaseWait() {
  }

  /**
   * Polls the update until it is in {@code phase} (CONVERTING: with some of its {@code workers} converted and some
   * still pooled); fails when the update went past it.
   */
  static UpdateStatus awaitPhase(WorkerPoolClient client, ApplicationId appId, UpdatePhase phase, int workers) {
    return awaitStatus(client, appId, phase, status -> status.getPhase() == phase && (phase != UpdatePhase.CONVERTING
        || (count(status, WorkerState.POOLED) > 0 && count(status, WorkerState.POOLED) < workers)));
  }

  /** Polls the update until its status is {@code ready}; fails when the update went past {@code phase} first. */
  static UpdateStatus awaitStatus(WorkerPoolClient client, ApplicationId appId, UpdatePhase phase,
      Predicate<UpdateStatus> ready) {
    return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(10)).until(() -> {
      UpdateStatus status;
      try {
        status = client.latestUpdate(appId);
      } catch (WorkerPoolException e) {
        if (e.code() == Status.Code.NOT_FOUND) {
          return null;
        }
        throw e;
      }
      if (status.getPhase().getNumber() > phase.getNumber()) {
        throw new AssertionError("the update went past " + phase + " before the test stopped the RM: " + status);
      }
      return status;
    }, status -> status != null && ready.test(status));
  }

  static long count(UpdateStatus status, WorkerState state) {
    return status.getWorkersList().stream().filter(w -> w.getState() == state).count();
  }
}
