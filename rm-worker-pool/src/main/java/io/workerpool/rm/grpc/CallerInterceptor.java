package io.workerpool.rm.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Hands every call what it says about its caller: the service authenticates it per call, once it knows
 * the application, so that every refusal is audited with the application it concerned.
 */
final class CallerInterceptor implements ServerInterceptor {
  static final Context.Key<CallerClaim> CLAIM = Context.key("worker-pool-caller");
  private static final Metadata.Key<String> USER =
      Metadata.Key.of(WorkerPoolConfigKeys.USER_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TOKEN =
      Metadata.Key.of(WorkerPoolConfigKeys.DELEGATION_TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> DO_AS =
      Metadata.Key.of(WorkerPoolConfigKeys.DO_AS_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  /** The unverified headers of a call and the address it came from. */
  record CallerClaim(String user, String delegationToken, String doAs, String remoteAddress) {
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String address = remote instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() : null;
    CallerClaim claim = new CallerClaim(headers.get(USER), headers.get(TOKEN), headers.get(DO_AS), address);
    return Contexts.interceptCall(Context.current().withValue(CLAIM, claim), call, headers, next);
  }
}
