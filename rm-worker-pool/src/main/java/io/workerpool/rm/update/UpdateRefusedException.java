package io.workerpool.rm.update;

/** An update request that was refused; nothing was changed. The message says what to do. */
public final class UpdateRefusedException extends Exception {

  /** What kind of refusal, mapped to a gRPC status code at the edge. */
  public enum Reason {
    UNAUTHENTICATED, NOT_FOUND, PERMISSION_DENIED, INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS, UNAVAILABLE,
    INTERNAL
  }

  private final Reason reason;

  public UpdateRefusedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public UpdateRefusedException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
