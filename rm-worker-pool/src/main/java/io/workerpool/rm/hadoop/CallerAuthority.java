package io.workerpool.rm.hadoop;

import io.workerpool.rm.update.Caller;
import io.workerpool.rm.update.UpdateRefusedException;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.function.Supplier;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.authorize.AuthorizationException;
import org.apache.hadoop.security.authorize.ProxyUsers;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.security.token.TokenIdentifier;
import org.apache.hadoop.yarn.api.records.ApplicationAccessType;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.QueueACL;
import org.apache.hadoop.yarn.security.client.RMDelegationTokenIdentifier;
import org.apache.hadoop.yarn.server.resourcemanager.RMContext;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;

/**
 * Who calls and what they may do. An update runs the new AM as the application's owner with the owner's
 * tokens, so only the owner (or a proxy user Hadoop's impersonation rules let act as the owner) may update;
 * MODIFY_APP and queue administration, which YARN needs for kill or move, do not run code and are not enough.
 */
final class CallerAuthority {
  private final Supplier<RMContext> rm;

  CallerAuthority(Supplier<RMContext> rm) {
    this.rm = rm;
  }

  Caller authenticate(String user, String delegationToken, String remoteAddress) throws UpdateRefusedException {
    if (delegationToken != null) {
      return fromToken(user, delegationToken, remoteAddress);
    }
    if (UserGroupInformation.isSecurityEnabled()) {
      throw new UpdateRefusedException(Reason.UNAUTHENTICATED, "this cluster is secure: log in with Kerberos (kinit"
          + " or a keytab) so that the client can pass an RM delegation token");
    }
    if (user == null || user.isBlank()) {
      throw new UpdateRefusedException(Reason.UNAUTHENTICATED, "no user name given");
    }
    return new Caller(user, remoteAddress);
  }

  private Caller fromToken(String user, String encoded, String remoteAddress) throws UpdateRefusedException {
    Token<TokenIdentifier> token = new Token<>();
    RMDelegationTokenIdentifier identifier = new RMDelegationTokenIdentifier();
    try {
      token.decodeFromUrlString(encoded);
    } catch (IOException | RuntimeException e) {
      throw unauthenticated("the delegation token header does not hold a Hadoop token (Token.encodeToUrlString)", e);
    }
    if (!RMDelegationTokenIdentifier.KIND_NAME.equals(token.getKind())) {
      throw unauthenticated("the token is a " + token.getKind() + ", not an RM delegation token ("
          + RMDelegationTokenIdentifier.KIND_NAME + "): get one with YarnClient.getRMDelegationToken", null);
    }
    try {
      identifier.readFields(new DataInputStream(new ByteArrayInputStream(token.getIdentifier())));
    } catch (IOException | RuntimeException e) {
      throw unauthenticated("the RM delegation token's identifier cannot be read", e);
    }
    if (identifier.getOwner() == null || identifier.getOwner().toString().isEmpty()) {
      throw unauthenticated("the RM delegation token names no owner", null);
    }
    try {
      rm.get().getRMDelegationTokenSecretManager().verifyToken(identifier, token.getPassword());
    } catch (IOException | RuntimeException e) {
      throw unauthenticated("the RM delegation token was not accepted (" + e.getMessage()
          + "): it is expired, cancelled or from another cluster; start a new client to get a new one", e);
    }
    UserGroupInformation owner;
    try {
      owner = identifier.getUser();
      owner.getShortUserName();
    } catch (RuntimeException e) {
      throw unauthenticated("the RM delegation token's owner " + identifier.getOwner()
          + " maps to no local user (hadoop.security.auth_to_local)", e);
    }
    if (user != null && !user.equals(owner.getShortUserName())) {
      throw unauthenticated("the RM delegation token belongs to " + owner.getShortUserName() + ", not to " + user, null);
    }
    UserGroupInformation real = owner.getRealUser();
    return new Caller(owner.getShortUserName(), real == null ? null : real.getShortUserName(), remoteAddress);
  }

  private static UpdateRefusedException unauthenticated(String message, Throwable cause) {
    return new UpdateRefusedException(Reason.UNAUTHENTICATED, message, cause);
  }

  /**
   * @param runAsOwner true for what runs code as the owner (update; cancel when not the update's starter):
   *     the owner only, or a proxy user acting as the owner; false for reading (VIEW_APP or queue administration)
   */
  void authorize(ApplicationId appId, Caller caller, boolean runAsOwner) throws UpdateRefusedException {
    RMApp app = rm.get().getRMApps().get(appId);
    if (app == null) {
      throw new UpdateRefusedException(Reason.NOT_FOUND, "application " + appId + " is not known to the ResourceManager");
    }
    if (caller.impersonates()) {
      checkImpersonation(caller);
    }
    if (runAsOwner) {
      if (!caller.user().equals(app.getUser())) {
        throw new UpdateRefusedException(Reason.PERMISSION_DENIED, "user " + caller.user() + " may not update " + appId
            + ": an update runs the new AM as the application's owner " + app.getUser() + ", so only "
            + app.getUser() + " may, or a proxy user that acts as " + app.getUser() + " (client option --proxy-user "
            + app.getUser() + ", allowed by hadoop.proxyuser.<user>.hosts and .users or .groups on the RM);"
            + " MODIFY_APP and queue administration are not enough");
      }
      return;
    }
    UserGroupInformation ugi = UserGroupInformation.createRemoteUser(caller.user());
    ResourceManager resourceManager = rm.get().getResourceManager();
    boolean allowed = resourceManager.getApplicationACLsManager()
        .checkAccess(ugi, ApplicationAccessType.VIEW_APP, app.getUser(), appId)
        || resourceManager.getQueueACLsManager()
            .checkAccess(ugi, QueueACL.ADMINISTER_QUEUE, app, caller.remoteAddress(), null);
    if (!allowed) {
      throw new UpdateRefusedException(Reason.PERMISSION_DENIED, "user " + caller.user() + " may not view the updates"
          + " of " + appId + ": it needs VIEW_APP on the application or ADMINISTER_QUEUE on queue " + app.getQueue());
    }
  }

  private static void checkImpersonation(Caller caller) throws UpdateRefusedException {
    String real = caller.realUser();
    String rule = "hadoop.proxyuser." + real + ".hosts and hadoop.proxyuser." + real + ".users (or .groups) in the"
        + " ResourceManager's configuration, then yarn rmadmin -refreshSuperUserGroupsConfiguration";
    if (caller.remoteAddress() == null) {
      throw new UpdateRefusedException(Reason.PERMISSION_DENIED, "user " + real + " may not act as " + caller.user()
          + ": the caller's address is unknown, so " + rule + " cannot be checked");
    }
    try {
      ProxyUsers.authorize(UserGroupInformation.createProxyUser(caller.user(),
          UserGroupInformation.createRemoteUser(real)), caller.remoteAddress());
    } catch (AuthorizationException e) {
      throw new UpdateRefusedException(Reason.PERMISSION_DENIED, "user " + real + " may not act as " + caller.user()
          + " (" + e.getMessage() + "): allow it with " + rule, e);
    }
  }
}
