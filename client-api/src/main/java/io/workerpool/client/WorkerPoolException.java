package io.workerpool.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import javax.net.ssl.SSLHandshakeException;
import org.apache.hadoop.yarn.exceptions.YarnException;

/** A refused or failed Worker Pool call, with the RM's message and the gRPC status code. */
public class WorkerPoolException extends YarnException {
  private final Status.Code code;

  public WorkerPoolException(StatusRuntimeException cause) {
    super(describe(cause), cause);
    this.code = cause.getStatus().getCode();
  }

  public Status.Code code() {
    return code;
  }

  private static String describe(StatusRuntimeException e) {
    Status status = e.getStatus();
    String description = status.getDescription() == null ? "" : ": " + status.getDescription();
    if (status.getCode() == Status.Code.UNAVAILABLE && causedBy(e, SSLHandshakeException.class)) {
      return "the Worker Pool's TLS certificate is not trusted by this client: add the RM's certificate or its CA to"
          + " the truststore named by ssl.client.truststore.location in ssl-client.xml (or the file named by "
          + WorkerPoolConfigKeys.SSL_CLIENT_CONF + ")" + description;
    }
    return switch (status.getCode()) {
      case UNAVAILABLE -> "the Worker Pool service of the ResourceManager cannot be reached (is an RM active, "
          + WorkerPoolConfigKeys.ADDRESS + " or its per-RM form .<rmId> right, and " + WorkerPoolConfigKeys.SSL_ENABLED
          + " the same as the RM's?)" + description;
      default -> status.getCode() + description;
    };
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> kind) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (kind.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
