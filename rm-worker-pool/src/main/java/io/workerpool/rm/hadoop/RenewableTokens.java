package io.workerpool.rm.hadoop;

import io.workerpool.rm.update.UpdateRefusedException;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.io.IOException;
import java.security.PrivilegedExceptionAction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.security.token.TokenIdentifier;
import org.apache.hadoop.security.token.delegation.AbstractDelegationTokenIdentifier;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * Renews new launch-context tokens once, as the RM's DelegationTokenRenewer would, before the update changes
 * anything. Registration with the renewer is asynchronous: a token it fails to renew there only leaves a warning
 * in the RM's log, and the application's record in the renewer empty, so its earlier tokens are no longer
 * cancelled or dropped when it ends.
 */
final class RenewableTokens {
  private RenewableTokens() {
  }

  /** @param conf the configuration the renewer would use for these tokens */
  static void check(Credentials tokens, Configuration conf) throws UpdateRefusedException {
    for (Token<?> token : tokens.getAllTokens()) {
      try {
        if (!token.isManaged() || hasNoRenewer(token)) {
          continue; // the renewer leaves these alone too
        }
        UserGroupInformation.getLoginUser().doAs((PrivilegedExceptionAction<Long>) () -> token.renew(conf));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw refusal(token, e);
      } catch (IOException | RuntimeException e) {
        throw refusal(token, e);
      }
    }
  }

  private static boolean hasNoRenewer(Token<?> token) throws IOException {
    TokenIdentifier identifier = token.decodeIdentifier();
    return identifier instanceof AbstractDelegationTokenIdentifier delegation
        && delegation.getRenewer().toString().isEmpty();
  }

  private static UpdateRefusedException refusal(Token<?> token, Exception e) {
    String cause = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
    return new UpdateRefusedException(Reason.FAILED_PRECONDITION, "the ResourceManager cannot renew the new launch"
        + " context's " + token.getKind() + " token for " + token.getService() + " (" + cause + "): get the token"
        + " with the RM's principal (" + YarnConfiguration.RM_PRINCIPAL + ") as renewer, as for a submission;"
        + " the application is unchanged", e);
  }
}
