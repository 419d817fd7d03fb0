package io.workerpool.rm;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.protocol.WorkerPoolConfigKeys;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.service.ServiceStateException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The RM side's choice of channel: TLS, or plaintext only where Kerberos is off or the opt-out is set. */
class WorkerPoolServiceTlsTest {

  @BeforeEach
  void kerberos() {
    // Enough for Hadoop to consider security on; nothing here talks to a KDC.
    System.setProperty("java.security.krb5.realm", "EXAMPLE.COM");
    System.setProperty("java.security.krb5.kdc", "localhost");
    Configuration conf = new Configuration(false);
    conf.set("hadoop.security.authentication", "kerberos");
    UserGroupInformation.setConfiguration(conf);
  }

  @AfterEach
  void simple() {
    UserGroupInformation.setConfiguration(new Configuration(false));
    System.clearProperty("java.security.krb5.realm");
    System.clearProperty("java.security.krb5.kdc");
  }

  @Test
  void withKerberosAPlaintextChannelIsRefusedUnlessTheOptOutIsSet() throws Exception {
    Configuration conf = new Configuration(false);
    WorkerPoolService service = new WorkerPoolService(null, new io.workerpool.rm.update.InMemoryJournal());
    ServiceStateException refused = assertThrows(ServiceStateException.class, () -> service.init(conf));
    assertTrue(refused.getMessage().contains("Kerberos is on but the Worker Pool channel is plaintext"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains(WorkerPoolConfigKeys.SSL_ENABLED + "=true"), refused.getMessage());
    assertTrue(refused.getMessage().contains(WorkerPoolConfigKeys.SSL_ALLOW_PLAINTEXT_WITH_KERBEROS + "=true"));

    conf.setBoolean(WorkerPoolConfigKeys.SSL_ALLOW_PLAINTEXT_WITH_KERBEROS, true);
    conf.set(WorkerPoolConfigKeys.ADDRESS, "localhost:0");
    WorkerPoolService optedOut = new WorkerPoolService(null, new io.workerpool.rm.update.InMemoryJournal());
    optedOut.init(conf);
    optedOut.stop();
  }

  @Test
  void aKeystoreThatCannotBeReadIsNamedInTheError() {
    Configuration conf = new Configuration(false);
    conf.setBoolean(WorkerPoolConfigKeys.SSL_ENABLED, true);
    conf.set(WorkerPoolConfigKeys.SSL_SERVER_CONF, "/nonexistent/ssl-server.xml");
    ServiceStateException refused = assertThrows(ServiceStateException.class,
        () -> new WorkerPoolService(null, new io.workerpool.rm.update.InMemoryJournal()).init(conf));
    assertTrue(refused.getMessage().contains("the Worker Pool cannot serve TLS (" + WorkerPoolConfigKeys.SSL_ENABLED
        + "=true): TLS configuration file /nonexistent/ssl-server.xml cannot be read"), refused.getMessage());
  }
}
