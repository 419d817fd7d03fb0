package io.workerpool.client;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.workerpool.proto.WorkerPoolGrpc;
import io.workerpool.proto.WorkerPoolGrpc.WorkerPoolBlockingStub;
import io.workerpool.protocol.WorkerPoolAddresses.RmAddress;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.hadoop.io.retry.RetryPolicy;
import org.apache.hadoop.io.retry.RetryPolicy.RetryAction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the Worker Pool of whichever ResourceManager serves it. The Worker Pool runs on the active RM only (a
 * standby is not listening), so a call that finds an RM UNAVAILABLE goes to the next one in
 * {@code yarn.resourcemanager.ha.rm-ids} order, as long as YARN's own client retry policy allows (the
 * {@code yarn.client.failover-*} and {@code yarn.resourcemanager.connect.*} keys bound it; without HA the same
 * RM is retried).
 */
final class RmFailover implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RmFailover.class);

  private final List<RmAddress> rms;
  private final RetryPolicy policy;
  private final Function<InetSocketAddress, ManagedChannel> channelFactory;
  private final ClientInterceptor callerHeaders;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private int current;

  RmFailover(List<RmAddress> rms, RetryPolicy policy, Function<InetSocketAddress, ManagedChannel> channelFactory,
      ClientInterceptor callerHeaders) {
    this.rms = List.copyOf(rms);
    this.policy = policy;
    this.channelFactory = channelFactory;
    this.callerHeaders = callerHeaders;
    rms.forEach(rm -> channels.add(null));
  }

  interface Call<T> {
    T run(WorkerPoolBlockingStub stub);
  }

  /** Runs the call on the RM that answers; throws what a reachable RM answered, or UNAVAILABLE when none did. */
  <T> T call(Call<T> call) throws WorkerPoolException {
    for (int failovers = 0; ; failovers++) {
      try {
        return call.run(stub());
      } catch (StatusRuntimeException e) {
        failedOver(e, failovers);
      }
    }
  }

  /** A stub of the RM to try now. */
  synchronized WorkerPoolBlockingStub stub() {
    ManagedChannel channel = channels.get(current);
    if (channel == null) {
      channel = channelFactory.apply(rms.get(current).address());
      channels.set(current, channel);
    }
    return WorkerPoolGrpc.newBlockingStub(channel).withInterceptors(callerHeaders);
  }

  /**
   * After a call failed: moves to the next RM after the policy's pause when the RM was unavailable, else (or
   * when the retries are used up) throws the failure.
   */
  void failedOver(StatusRuntimeException failure, int failovers) throws WorkerPoolException {
    Status.Code code = failure.getStatus().getCode();
    // An RM whose Worker Pool stops (it dies or goes standby) resets its open calls with CANCEL; this client never
    // cancels a call itself (deadlines end as DEADLINE_EXCEEDED), and an update call is safe to repeat: it always
    // carries a client request id.
    boolean serverGone = code == Status.Code.UNAVAILABLE
        || (code == Status.Code.CANCELLED && !Thread.currentThread().isInterrupted());
    if (!serverGone || tlsFailure(failure)) {
      // A TLS failure (an untrusted certificate, a plaintext peer) is the same on every retry and every RM.
      throw new WorkerPoolException(failure);
    }
    RmAddress tried = currentRm();
    RetryAction action;
    try {
      // The Worker Pool runs on the active RM only: an RM that does not answer is like a refused RM connection.
      action = policy.shouldRetry(new ConnectException(failure.getMessage()), failovers, failovers, true);
    } catch (Exception e) {
      throw new WorkerPoolException(failure);
    }
    if (action.action == RetryAction.RetryDecision.FAIL) {
      throw new WorkerPoolException(Status.UNAVAILABLE.withDescription("tried " + rms + " " + (failovers + 1)
          + " times (" + action.reason + "); last: " + failure.getStatus().getDescription()).asRuntimeException());
    }
    RmAddress next = advance();
    LOG.info("Worker Pool of RM {} unavailable ({}); trying {} in {} ms", tried, failure.getStatus().getDescription(),
        next, action.delayMillis);
    try {
      TimeUnit.MILLISECONDS.sleep(action.delayMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WorkerPoolException(Status.CANCELLED.withDescription("interrupted while failing over")
          .asRuntimeException());
    }
  }

  private static boolean tlsFailure(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof SSLException) {
        return true;
      }
    }
    return false;
  }

  private synchronized RmAddress currentRm() {
    return rms.get(current);
  }

  private synchronized RmAddress advance() {
    current = (current + 1) % rms.size();
    return rms.get(current);
  }

  @Override
  public synchronized void close() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      if (channel != null) {
        channel.shutdownNow();
      }
    }
    for (ManagedChannel channel : channels) {
      if (channel != null) {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
