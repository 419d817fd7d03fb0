package io.workerpool.flink;

/** A restart that was refused or failed; the message says what happened to the application and what to do. */
public class RestartException extends RuntimeException {
  public RestartException(String message) {
    super(message);
  }

  public RestartException(String message, Throwable cause) {
    super(message, cause);
  }
}
