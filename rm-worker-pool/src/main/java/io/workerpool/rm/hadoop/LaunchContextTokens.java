package io.workerpool.rm.hadoop;

import io.workerpool.rm.update.UpdateRefusedException;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.DataInputByteBuffer;
import org.apache.hadoop.io.DataOutputBuffer;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.server.resourcemanager.RMContext;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.utils.BuilderUtils;

/**
 * The tokens of an updated AM launch context: the application's tokens stay as they are (an alias already
 * there keeps its token), the new context's other tokens are added, so that the new AM can localize new files
 * that need them; on a secure cluster the added ones are renewed for the application as at submission.
 */
final class LaunchContextTokens {
  private LaunchContextTokens() {
  }

  /**
   * Gives {@code next} the tokens of {@code previous} plus its own new ones, and registers the new ones; refuses,
   * with nothing changed, new tokens the RM could not renew.
   */
  static void merge(RMContext rm, RMApp app, ContainerLaunchContext previous, ContainerLaunchContext next)
      throws UpdateRefusedException {
    Credentials merged = read(previous.getTokens(), "the application's tokens");
    Credentials added = newTokens(merged, read(next.getTokens(), "the tokens of the new launch context"));
    boolean register = added.numberOfTokens() > 0 && UserGroupInformation.isSecurityEnabled();
    ApplicationSubmissionContext submission = app.getApplicationSubmissionContext();
    Configuration tokensConf = register ? tokensConf(submission) : null;
    if (register) {
      RenewableTokens.check(added, tokensConf == null ? rm.getYarnConfiguration() : tokensConf);
    }
    merged.mergeAll(added);
    next.setTokens(previous.getTokens() == null && added.numberOfTokens() == 0 ? null : write(merged));
    if (register) {
      // The recovery form of submission's registration: it renews the application's whole token set and,
      // unlike the submission form, sends no START (or, on failure, APP_REJECTED) to an application that runs.
      rm.getDelegationTokenRenewer().addApplicationAsyncDuringRecovery(app.getApplicationId(), merged,
          submission.getCancelTokensWhenComplete(), app.getUser(), tokensConf);
    }
  }

  /** The tokens of {@code next} under an alias the application does not have yet. */
  private static Credentials newTokens(Credentials application, Credentials next) {
    Credentials added = new Credentials();
    next.getTokenMap().forEach((alias, token) -> {
      if (application.getToken(alias) == null) {
        added.addToken(alias, token);
      }
    });
    return added;
  }

  private static Configuration tokensConf(ApplicationSubmissionContext submission) throws UpdateRefusedException {
    try {
      return BuilderUtils.parseTokensConf(submission);
    } catch (IOException e) {
      throw new UpdateRefusedException(Reason.INVALID_ARGUMENT, "the application's tokens conf cannot be read: "
          + e.getMessage(), e);
    }
  }

  private static Credentials read(ByteBuffer tokens, String what) throws UpdateRefusedException {
    Credentials credentials = new Credentials();
    if (tokens == null) {
      return credentials;
    }
    DataInputByteBuffer in = new DataInputByteBuffer();
    in.reset(tokens.duplicate());
    try {
      credentials.readTokenStorageStream(in);
    } catch (IOException e) {
      throw new UpdateRefusedException(Reason.INVALID_ARGUMENT, what + " cannot be read as Hadoop credentials"
          + " (Credentials.writeTokenStorageToStream): " + e.getMessage(), e);
    }
    return credentials;
  }

  private static ByteBuffer write(Credentials credentials) throws UpdateRefusedException {
    DataOutputBuffer out = new DataOutputBuffer();
    try {
      credentials.writeTokenStorageToStream(out);
    } catch (IOException e) {
      throw new UpdateRefusedException(Reason.INTERNAL, "the merged tokens cannot be written: " + e.getMessage(), e);
    }
    return ByteBuffer.wrap(out.getData(), 0, out.getLength());
  }
}
