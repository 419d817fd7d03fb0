package io.workerpool.client;

import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdateStatus;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.hadoop.yarn.exceptions.YarnException;

/** A started update: read its status, follow its progress, wait for its end. */
public final class UpdateHandle {
  private final WorkerPoolClient client;
  private final String updateId;

  UpdateHandle(WorkerPoolClient client, String updateId) {
    this.client = client;
    this.updateId = updateId;
  }

  public String updateId() {
    return updateId;
  }

  public UpdateStatus status() throws YarnException {
    return client.getUpdate(updateId);
  }

  /** Progress events until the update ends (the first one is the current status). */
  public Iterator<UpdateEvent> events() throws YarnException {
    return client.watchUpdate(updateId);
  }

  /**
   * Waits until the update ends, passing each progress event to {@code progress}.
   *
   * @return the final status, whether it succeeded or not
   * @throws TimeoutException when it has not ended within {@code timeout}
   */
  public UpdateStatus await(Duration timeout, Consumer<UpdateEvent> progress)
      throws YarnException, TimeoutException {
    return client.awaitUpdate(updateId, timeout, progress);
  }

  public UpdateStatus await(Duration timeout) throws YarnException, TimeoutException {
    return await(timeout, event -> { });
  }
}
