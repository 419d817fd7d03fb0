package io.workerpool.flink;

import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/** A standalone ZooKeeper server inside the test JVM, for Flink's ZooKeeper high availability. */
final class ZooKeeperTestServer implements AutoCloseable {
  private final ZooKeeperServer server;
  private final ServerCnxnFactory connections;

  private ZooKeeperTestServer(ZooKeeperServer server, ServerCnxnFactory connections) {
    this.server = server;
    this.connections = connections;
  }

  static ZooKeeperTestServer start(Path dataDir) throws Exception {
    System.setProperty("zookeeper.admin.enableServer", "false");
    Files.createDirectories(dataDir);
    File dir = dataDir.toFile();
    ZooKeeperServer server = new ZooKeeperServer(dir, dir, 2000);
    ServerCnxnFactory connections = ServerCnxnFactory.createFactory(new InetSocketAddress("localhost", 0), 100);
    connections.startup(server);
    return new ZooKeeperTestServer(server, connections);
  }

  String connectString() {
    return "localhost:" + connections.getLocalPort();
  }

  @Override
  public void close() {
    connections.shutdown();
    server.shutdown();
  }
}
