package io.workerpool.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.apache.hadoop.yarn.exceptions.YarnException;

/** A refused or failed Worker Pool call, with the RM's message and the gRPC status code. */
public class WorkerPoolException extends YarnException {
  private final Status.Code code;

  public WorkerPoolException(StatusRuntimeException cause) {
    super(describe(cause.getStatus()), cause);
    this.code = cause.getStatus().getCode();
  }

  public Status.Code code() {
    return code;
  }

  private static String describe(Status status) {
    String description = status.getDescription() == null ? "" : ": " + status.getDescription();
    return switch (status.getCode()) {
      case UNAVAILABLE -> "the Worker Pool service of the ResourceManager cannot be reached"
          + " (is an RM active, and yarn.resourcemanager.worker-pool.address or its per-RM form .<rmId> right?)" + description;
      default -> status.getCode() + description;
    };
  }
}
