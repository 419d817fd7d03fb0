package io.workerpool.rm.hadoop;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.rm.update.UpdateRefusedException;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.io.IOException;
import java.net.ServerSocket;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.yarn.security.client.RMDelegationTokenIdentifier;
import org.junit.jupiter.api.Test;

class RenewableTokensTest {
  @Test
  void aTokenTheRmCannotRenewIsRefusedInOneLineNamingItsKindAndService() throws IOException {
    String service = "127.0.0.1:" + closedPort();
    UpdateRefusedException refused = assertThrows(UpdateRefusedException.class,
        () -> RenewableTokens.check(credentials(rmToken("yarn", service)), rmUnreachableAt(service)));
    assertEquals(Reason.FAILED_PRECONDITION, refused.reason());
    assertTrue(refused.getMessage().startsWith("the ResourceManager cannot renew the new launch context's "
        + "RM_DELEGATION_TOKEN token for " + service + " ("), refused.getMessage());
    assertFalse(refused.getMessage().contains("\n"), refused.getMessage());
  }

  @Test
  void tokensTheRenewerLeavesAloneAreNotRenewed() throws IOException {
    String service = "127.0.0.1:" + closedPort();
    Token<?> noRenewer = rmToken("", service);
    Token<?> unknownKind = new Token<>(new byte[] {1}, new byte[] {2}, new Text("SOMETHING_ELSE"), new Text(service));
    assertDoesNotThrow(() -> RenewableTokens.check(credentials(noRenewer, unknownKind), rmUnreachableAt(service)));
  }

  /** An RM token is renewed at the configured RM address (not its service), with YARN's connect retries. */
  private static Configuration rmUnreachableAt(String address) {
    Configuration conf = new Configuration();
    conf.set("yarn.resourcemanager.address", address);
    conf.setLong("yarn.resourcemanager.connect.max-wait.ms", 100);
    conf.setLong("yarn.resourcemanager.connect.retry-interval.ms", 50);
    conf.setInt("ipc.client.connect.max.retries", 0);
    return conf;
  }

  private static Token<?> rmToken(String renewer, String service) {
    RMDelegationTokenIdentifier id = new RMDelegationTokenIdentifier(new Text("alice"), new Text(renewer), null);
    return new Token<>(id.getBytes(), new byte[] {1}, id.getKind(), new Text(service));
  }

  private static Credentials credentials(Token<?>... tokens) {
    Credentials credentials = new Credentials();
    for (Token<?> token : tokens) {
      credentials.addToken(new Text(token.getKind() + "-" + token.getService()), token);
    }
    return credentials;
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
