package io.workerpool.rm.hadoop;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.apache.hadoop.ipc.RPC;
import org.apache.hadoop.ipc.Server;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger;

/**
 * Worker Pool decisions in the RM audit log, in RMAuditLogger's format. RMAuditLogger takes the caller's
 * address of a failure only from the current Hadoop RPC call, which a gRPC call has none of: one stands in
 * for the length of the log call so that every line, accepted or refused, carries {@code IP=}.
 */
public final class AuditLog {
  private static final String TARGET = "WorkerPoolService";

  private AuditLog() {
  }

  public static void allowed(String user, String address, String operation, ApplicationId appId) {
    withAddress(address, () -> RMAuditLogger.logSuccess(user, operation, TARGET, appId,
        (org.apache.hadoop.ipc.CallerContext) null));
  }

  /** @param reason the refusal's kind (PERMISSION_DENIED, UNAUTHENTICATED, ...), in the PERMISSIONS field */
  public static void refused(String user, String address, String operation, ApplicationId appId, String reason,
      String message) {
    // The audit format separates fields with tabs.
    String description = message == null ? "" : message.replace('\t', ' ');
    withAddress(address, () -> RMAuditLogger.logFailure(user, operation, reason, TARGET, description, appId));
  }

  private static void withAddress(String address, Runnable log) {
    InetAddress ip = parse(address);
    ThreadLocal<Server.Call> current = Server.getCurCall();
    Server.Call previous = current.get();
    if (ip != null) {
      current.set(new Server.Call(0, 0, null, null, RPC.RpcKind.RPC_BUILTIN, new byte[0]) {
        @Override
        public InetAddress getHostInetAddress() {
          return ip;
        }
      });
    }
    try {
      log.run();
    } finally {
      current.set(previous);
    }
  }

  private static InetAddress parse(String address) {
    if (address == null) {
      return null;
    }
    try {
      // An IP literal: no name lookup happens.
      return InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
