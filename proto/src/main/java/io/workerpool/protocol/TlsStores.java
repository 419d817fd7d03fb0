package io.workerpool.protocol;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.apache.hadoop.conf.Configuration;

/**
 * The Worker Pool's keystore (RM) and truststore (clients), read from Hadoop's ssl-server.xml /
 * ssl-client.xml keys so that the RM's web TLS set-up serves the gRPC channel too. Passwords go through
 * {@link Configuration#getPassword}, so credential providers work as for Hadoop's own TLS.
 */
public final class TlsStores {
  private TlsStores() {
  }

  public static boolean enabled(Configuration conf) {
    return conf.getBoolean(WorkerPoolConfigKeys.SSL_ENABLED, WorkerPoolConfigKeys.DEFAULT_SSL_ENABLED);
  }

  /** The RM's key and certificate, from ssl.server.keystore.* of the server TLS file. */
  public static KeyManagerFactory serverKeys(Configuration conf) throws IOException, GeneralSecurityException {
    String source = conf.get(WorkerPoolConfigKeys.SSL_SERVER_CONF, conf.get(WorkerPoolConfigKeys.HADOOP_SSL_SERVER_CONF,
        WorkerPoolConfigKeys.DEFAULT_HADOOP_SSL_SERVER_CONF));
    Configuration ssl = load(source);
    String location = required(ssl, "ssl.server.keystore.location", source);
    char[] password = ssl.getPassword("ssl.server.keystore.password");
    char[] keyPassword = ssl.getPassword("ssl.server.keystore.keypassword");
    KeyStore store = read(location, ssl.get("ssl.server.keystore.type", "jks"), password);
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, keyPassword != null ? keyPassword : password);
    return keys;
  }

  /**
   * The certificates a client trusts, from ssl.client.truststore.* of the client TLS file, or null for the
   * JDK's default trust when no truststore is named.
   */
  public static TrustManagerFactory clientTrust(Configuration conf) throws IOException, GeneralSecurityException {
    String source = conf.get(WorkerPoolConfigKeys.SSL_CLIENT_CONF, conf.get(WorkerPoolConfigKeys.HADOOP_SSL_CLIENT_CONF,
        WorkerPoolConfigKeys.DEFAULT_HADOOP_SSL_CLIENT_CONF));
    Configuration ssl = load(source);
    String location = ssl.get("ssl.client.truststore.location");
    if (location == null || location.isBlank()) {
      return null;
    }
    KeyStore store = read(location, ssl.get("ssl.client.truststore.type", "jks"),
        ssl.getPassword("ssl.client.truststore.password"));
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    return trust;
  }

  /** A classpath resource (as Hadoop names ssl-server.xml) or, when absolute, a file. */
  private static Configuration load(String source) throws IOException {
    Configuration ssl = new Configuration(false);
    if (new File(source).isAbsolute()) {
      if (!Files.isReadable(Path.of(source))) {
        throw new IOException("TLS configuration file " + source + " cannot be read");
      }
      ssl.addResource(new org.apache.hadoop.fs.Path(source));
    } else {
      if (Thread.currentThread().getContextClassLoader().getResource(source) == null
          && TlsStores.class.getClassLoader().getResource(source) == null) {
        throw new IOException("TLS configuration " + source + " is not on the classpath (put it in the Hadoop conf"
            + " directory, or name a file by absolute path)");
      }
      ssl.addResource(source);
    }
    return ssl;
  }

  private static String required(Configuration ssl, String key, String source) throws IOException {
    String value = ssl.get(key);
    if (value == null || value.isBlank()) {
      throw new IOException(key + " is not set in " + source);
    }
    return value;
  }

  private static KeyStore read(String location, String type, char[] password)
      throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(type);
    try (InputStream in = Files.newInputStream(Path.of(location))) {
      store.load(in, password);
    } catch (IOException e) {
      throw new IOException("cannot read " + type + " store " + location + ": " + e.getMessage(), e);
    }
    return store;
  }
}
