package io.workerpool.rm.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import io.workerpool.rm.update.Caller;
import io.workerpool.rm.update.ResourceManagerDriver;
import io.workerpool.rm.update.UpdateRefusedException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Authenticates every call (user name or RM delegation token) and makes the caller available to it. */
final class CallerInterceptor implements ServerInterceptor {
  static final Context.Key<Caller> CALLER = Context.key("worker-pool-caller");
  private static final Metadata.Key<String> USER =
      Metadata.Key.of(WorkerPoolConfigKeys.USER_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TOKEN =
      Metadata.Key.of(WorkerPoolConfigKeys.DELEGATION_TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private final ResourceManagerDriver driver;

  CallerInterceptor(ResourceManagerDriver driver) {
    this.driver = driver;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String address = remote instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() : null;
    try {
      Caller caller = driver.authenticate(headers.get(USER), headers.get(TOKEN), address);
      return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
    } catch (UpdateRefusedException e) {
      call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
      return new ServerCall.Listener<>() { };
    }
  }
}
