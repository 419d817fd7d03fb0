package io.workerpool.rm.update;

/**
 * Who asks: the user the call acts as, the authenticated user when that differs (a proxy user acting for
 * another, checked against Hadoop's impersonation rules before anything is allowed), and the caller's address.
 */
public record Caller(String user, String realUser, String remoteAddress) {

  public Caller(String user, String remoteAddress) {
    this(user, null, remoteAddress);
  }

  /** The user that authenticated (the proxy user when the call acts for another). */
  public String loginUser() {
    return realUser == null ? user : realUser;
  }

  public boolean impersonates() {
    return realUser != null;
  }

  /** As Hadoop's audit logs name a proxied call: {@code alice via flinkop}. */
  public String auditName() {
    return realUser == null ? user : user + " via " + realUser;
  }
}
