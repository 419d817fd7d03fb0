package io.workerpool.it.security;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * Keystores made with the JDK's keytool, and the ssl-server.xml / ssl-client.xml files that name them, as an
 * operator would write them for Hadoop's own TLS.
 */
final class TestKeystores {
  static final String PASSWORD = "changeit-test";

  private TestKeystores() {
  }

  /** A key pair for {@code localhost} in {@code dir/name.jks}, its certificate in {@code dir/name.crt}. */
  static Path keyPair(Path dir, String name) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path keystore = dir.resolve(name + ".jks");
    Files.deleteIfExists(keystore);
    keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=localhost, O=" + name, "-ext", "SAN=dns:localhost,ip:127.0.0.1",
        "-keystore", keystore.toString(), "-storetype", "JKS", "-storepass", PASSWORD, "-keypass", PASSWORD);
    keytool("-exportcert", "-alias", name, "-keystore", keystore.toString(), "-storepass", PASSWORD,
        "-file", dir.resolve(name + ".crt").toString());
    return keystore;
  }

  /** A truststore that trusts the certificate of {@link #keyPair} {@code name}. */
  static Path trustStore(Path dir, String name) throws IOException, InterruptedException {
    Path store = dir.resolve(name + "-trust.jks");
    Files.deleteIfExists(store);
    keytool("-importcert", "-noprompt", "-alias", name, "-file", dir.resolve(name + ".crt").toString(),
        "-keystore", store.toString(), "-storetype", "JKS", "-storepass", PASSWORD);
    return store;
  }

  static Path sslServerXml(Path file, Path keystore) throws IOException {
    return write(file, Map.of("ssl.server.keystore.location", keystore.toString(),
        "ssl.server.keystore.password", PASSWORD, "ssl.server.keystore.keypassword", PASSWORD,
        "ssl.server.keystore.type", "jks"));
  }

  static Path sslClientXml(Path file, Path truststore) throws IOException {
    return write(file, Map.of("ssl.client.truststore.location", truststore.toString(),
        "ssl.client.truststore.password", PASSWORD, "ssl.client.truststore.type", "jks"));
  }

  private static Path write(Path file, Map<String, String> settings) throws IOException {
    Configuration conf = new Configuration(false);
    settings.forEach(conf::set);
    try (OutputStream out = Files.newOutputStream(file)) {
      conf.writeXml(out);
    }
    return file;
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (process.waitFor() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + output);
    }
  }
}
