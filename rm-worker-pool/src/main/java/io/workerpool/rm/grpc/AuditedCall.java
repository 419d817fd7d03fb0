package io.workerpool.rm.grpc;

import io.workerpool.rm.grpc.CallerInterceptor.CallerClaim;
import io.workerpool.rm.hadoop.AuditLog;
import io.workerpool.rm.update.Caller;
import io.workerpool.rm.update.ResourceManagerDriver;
import io.workerpool.rm.update.UpdateRefusedException;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import org.apache.hadoop.yarn.api.records.ApplicationId;

/** One call's decision: who the caller is, which application it concerns, and its audit line. */
final class AuditedCall {
  private static final String UNAUTHENTICATED_USER = "(unauthenticated)";

  private final String operation;
  private final CallerClaim claim;
  private ApplicationId appId;
  private Caller caller;

  AuditedCall(String operation) {
    this.operation = operation;
    this.claim = CallerInterceptor.CLAIM.get();
  }

  /** The caller the headers prove, acting as the user it asked for (checked when authorizing). */
  Caller authenticate(ResourceManagerDriver driver) throws UpdateRefusedException {
    Caller authenticated = driver.authenticate(claim.user(), claim.delegationToken(), claim.remoteAddress());
    String doAs = claim.doAs();
    if (doAs == null || doAs.isBlank() || doAs.equals(authenticated.user())) {
      caller = authenticated;
    } else if (authenticated.impersonates()) {
      throw new UpdateRefusedException(Reason.UNAUTHENTICATED, "the delegation token of " + authenticated.auditName()
          + " cannot act as yet another user, " + doAs);
    } else {
      caller = new Caller(doAs, authenticated.user(), claim.remoteAddress());
    }
    return caller;
  }

  void concerns(ApplicationId appId) {
    this.appId = appId;
  }

  void allowed() {
    AuditLog.allowed(caller.auditName(), claim.remoteAddress(), operation, appId);
  }

  void refused(UpdateRefusedException e) {
    String user = caller != null ? caller.auditName()
        : claim.user() != null && !claim.user().isBlank() ? claim.user() + " " + UNAUTHENTICATED_USER
        : UNAUTHENTICATED_USER;
    AuditLog.refused(user, claim.remoteAddress(), operation, appId, e.reason().name(), e.getMessage());
  }
}
