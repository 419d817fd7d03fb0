package io.workerpool.client;

import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.workerpool.proto.GetUpdateRequest;
import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.WorkerPoolGrpc.WorkerPoolBlockingStub;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The events of one update until it ends, across ResourceManager restarts and failovers: when the stream breaks,
 * or the RM closes it before the update ended (its Worker Pool is stopping), the same update is watched again on
 * the RM that serves it now. The first event after a reconnect is the update's status there.
 * Failures surface as {@link StatusRuntimeException}, as from any gRPC stream.
 */
final class FollowedUpdate implements Iterator<UpdateEvent> {
  private final RmFailover rms;
  private final GetUpdateRequest request;
  private final Deadline deadline;
  private Iterator<UpdateEvent> stream;
  private UpdateEvent next;
  private boolean ended;
  private int failovers;

  /** @param deadline when to give up with DEADLINE_EXCEEDED, or null to follow the update until it ends */
  FollowedUpdate(RmFailover rms, GetUpdateRequest request, Deadline deadline) {
    this.rms = rms;
    this.request = request;
    this.deadline = deadline;
  }

  @Override
  public boolean hasNext() {
    while (next == null && !ended) {
      try {
        if (stream == null) {
          WorkerPoolBlockingStub stub = rms.stub();
          stream = (deadline == null ? stub : stub.withDeadline(deadline)).watchUpdate(request);
        }
        if (stream.hasNext()) {
          next = stream.next();
          ended = WorkerPoolClient.isFinal(next.getStatus().getPhase());
          failovers = 0;
        } else {
          reconnect(Status.UNAVAILABLE.withDescription("the ResourceManager closed the watch before the update"
              + " ended").asRuntimeException());
        }
      } catch (StatusRuntimeException e) {
        reconnect(e);
      }
    }
    return next != null;
  }

  @Override
  public UpdateEvent next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    UpdateEvent event = next;
    next = null;
    return event;
  }

  private void reconnect(StatusRuntimeException failure) {
    stream = null;
    try {
      rms.failedOver(failure, failovers++);
    } catch (WorkerPoolException e) {
      throw (StatusRuntimeException) e.getCause();
    }
  }
}
