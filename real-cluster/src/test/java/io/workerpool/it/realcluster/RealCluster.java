package io.workerpool.it.realcluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.HAUtil;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.util.RMHAUtils;

/**
 * A YARN cluster of separate processes on this machine, as an operator deploys one: a ZooKeeper
 * server, two ResourceManagers with HA (automatic failover, {@code ZKRMStateStore}, work-preserving
 * recovery) and NodeManagers with recovery on (fixed ports), each a JVM started from the project's
 * own main class with Hadoop's jars, a conf folder and the plug-in jar README says to copy, and
 * nothing else. Every process runs under {@code watchdog.sh}: closing the cluster stops each by its
 * pid; a test JVM that dies, or a removed lease file, ends them too. Workers watch the same lease file.
 */
public final class RealCluster implements AutoCloseable {
  public static final List<String> RM_IDS = List.of("rm1", "rm2");
  private static final String HOST = "localhost";
  private static final AtomicInteger CLIENT_RUNS = new AtomicInteger();

  private final Path dir;
  private final Path lease;
  private final Path watchdog;
  private final Daemon zooKeeper;
  private final List<Daemon> resourceManagers;
  private final List<Daemon> nodeManagers;
  private final List<String> nodeAddresses;
  private final YarnConfiguration clientConf;
  private final YarnClient client;

  private RealCluster(Builder b) throws IOException {
    dir = Path.of(System.getProperty("realcluster.work.dir", "target/clusters"))
        .resolve(b.name + "-" + System.currentTimeMillis()).toAbsolutePath();
    Files.createDirectories(dir.resolve("workers"));
    lease = dir.resolve("lease");
    Files.writeString(lease, "the processes of this cluster end when this file is gone\n");
    watchdog = copyResource("watchdog.sh");
    copyResource("worker.sh");

    int zkPort = freePort();
    Configuration common = commonSettings(b, zkPort);
    Map<String, Configuration> rmOwn = new LinkedHashMap<>();
    for (String rmId : RM_IDS) {
      Map<String, String> ports = new LinkedHashMap<>();
      for (String key : List.of(YarnConfiguration.RM_ADDRESS, YarnConfiguration.RM_SCHEDULER_ADDRESS,
          YarnConfiguration.RM_RESOURCE_TRACKER_ADDRESS, YarnConfiguration.RM_ADMIN_ADDRESS,
          YarnConfiguration.RM_WEBAPP_ADDRESS, YarnConfiguration.RM_WEBAPP_HTTPS_ADDRESS)) {
        common.set(HAUtil.addSuffix(key, rmId), HOST + ":" + freePort());
      }
      common.set(HAUtil.addSuffix(YarnConfiguration.RM_HOSTNAME, rmId), HOST);
      String workerPool = HOST + ":" + freePort();
      // Both RMs run on this one host: each serves the Worker Pool on its own port.
      common.set(HAUtil.addSuffix(WORKER_POOL_ADDRESS, rmId), workerPool);
      Configuration own = new Configuration(false);
      own.set(YarnConfiguration.RM_HA_ID, rmId);
      own.set(WORKER_POOL_ADDRESS, workerPool);
      rmOwn.put(rmId, own);
    }

    Path clientConfDir = dir.resolve("client-conf");
    String jvm = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Path> hadoop = Jars.hadoop();
    String appClasspath = Stream.of(Stream.of(clientConfDir), hadoop.stream(), b.applicationJars.stream())
        .flatMap(s -> s).map(Path::toString).collect(Collectors.joining(","));
    common.set(YarnConfiguration.YARN_APPLICATION_CLASSPATH, appClasspath);
    writeConf(clientConfDir, common, new Configuration(false), "INFO");

    Path zkDir = Files.createDirectories(dir.resolve("zookeeper"));
    Path zkConf = writeConf(zkDir.resolve("conf"), new Configuration(false), new Configuration(false), "WARN");
    zooKeeper = daemon("zookeeper", zkDir, command(jvm, "128m", zkDir, classpath(zkConf, hadoop, null),
        List.of("-Dzookeeper.admin.enableServer=false"), "org.apache.zookeeper.server.ZooKeeperServerMain",
        Integer.toString(zkPort), zkDir.resolve("data").toString()));

    resourceManagers = new ArrayList<>();
    for (Map.Entry<String, Configuration> rm : rmOwn.entrySet()) {
      Path rmDir = Files.createDirectories(dir.resolve(rm.getKey()));
      Path conf = writeConf(rmDir.resolve("conf"), common, rm.getValue(), "INFO");
      Files.writeString(conf.resolve("capacity-scheduler.xml"), CAPACITY_SCHEDULER);
      resourceManagers.add(daemon(rm.getKey(), rmDir, command(jvm, "512m", rmDir,
          classpath(conf, hadoop, Jars.rmPlugin()), List.of(),
          "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager")));
    }

    nodeManagers = new ArrayList<>();
    nodeAddresses = new ArrayList<>();
    for (int i = 0; i < b.nodeManagers; i++) {
      Path nmDir = Files.createDirectories(dir.resolve("nm" + i));
      Configuration own = new Configuration(false);
      String address = HOST + ":" + freePort();
      nodeAddresses.add(address);
      own.set(YarnConfiguration.NM_ADDRESS, address);
      own.set(YarnConfiguration.NM_LOCALIZER_ADDRESS, HOST + ":" + freePort());
      own.set(YarnConfiguration.NM_WEBAPP_ADDRESS, HOST + ":" + freePort());
      own.set(YarnConfiguration.NM_LOCAL_DIRS, nmDir.resolve("local").toString());
      own.set(YarnConfiguration.NM_LOG_DIRS, nmDir.resolve("logs").toString());
      own.set(YarnConfiguration.NM_RECOVERY_DIR, nmDir.resolve("recovery").toString());
      Path conf = writeConf(nmDir.resolve("conf"), common, own, "INFO");
      nodeManagers.add(daemon("nm" + i, nmDir, command(jvm, "384m", nmDir,
          classpath(conf, hadoop, Jars.nmPlugin()), List.of(),
          "org.apache.hadoop.yarn.server.nodemanager.NodeManager")));
    }

    clientConf = new YarnConfiguration();
    clientConf.addResource(new org.apache.hadoop.fs.Path(clientConfDir.resolve("core-site.xml").toString()));
    clientConf.addResource(new org.apache.hadoop.fs.Path(clientConfDir.resolve("yarn-site.xml").toString()));
    client = YarnClient.createYarnClient();
    client.init(clientConf);
  }

  /** The key README documents for the Worker Pool's gRPC address. */
  static final String WORKER_POOL_ADDRESS = "yarn.resourcemanager.worker-pool.address";

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Starts ZooKeeper, both ResourceManagers and every NodeManager; returns once an RM is active and all nodes run. */
  public RealCluster start() throws IOException, InterruptedException {
    zooKeeper.start();
    await(Duration.ofSeconds(60), "ZooKeeper to listen", () -> listens(clientConf.get("hadoop.zk.address")));
    resourceManagers.forEach(Daemon::start);
    awaitActiveResourceManager(Duration.ofSeconds(120));
    client.start();
    nodeManagers.forEach(Daemon::start);
    awaitRunningNodes(nodeManagers.size(), Duration.ofSeconds(120));
    return this;
  }

  public Path dir() {
    return dir;
  }

  /** Remove it and every worker of this cluster ends by itself. */
  public Path lease() {
    return lease;
  }

  /** Where {@code worker.sh} lives and reports ({@code workers/<containerId>.log}). */
  public Path workerScript() {
    return dir.resolve("worker.sh");
  }

  public Path workerReports() {
    return dir.resolve("workers");
  }

  /** The conf folder a client (and every AM: it is first in yarn.application.classpath) uses. */
  public Path clientConfDir() {
    return dir.resolve("client-conf");
  }

  public YarnConfiguration clientConf() {
    return new YarnConfiguration(clientConf);
  }

  public YarnClient client() {
    return client;
  }

  public Daemon zooKeeper() {
    return zooKeeper;
  }

  public List<Daemon> resourceManagers() {
    return resourceManagers;
  }

  public List<Daemon> nodeManagers() {
    return nodeManagers;
  }

  /** The NodeManager's fixed address, which is its YARN node id. */
  public String nodeAddress(int nodeManager) {
    return nodeAddresses.get(nodeManager);
  }

  /** The active ResourceManager's id (rm1, rm2), or null while none is active. */
  public String activeResourceManagerId() {
    YarnConfiguration probe = new YarnConfiguration(clientConf);
    probe.setInt("ipc.client.connect.max.retries", 0);
    probe.setInt("ipc.client.connect.max.retries.on.timeouts", 0);
    return RMHAUtils.findActiveRMHAId(probe);
  }

  public Daemon activeResourceManager() {
    String id = activeResourceManagerId();
    if (id == null) {
      throw new IllegalStateException("no ResourceManager is active");
    }
    return resourceManagers.get(RM_IDS.indexOf(id));
  }

  public String awaitActiveResourceManager(Duration timeout) throws InterruptedException {
    await(timeout, "a ResourceManager to become active", () -> {
      if (resourceManagers.stream().noneMatch(Daemon::isAlive)) {
        throw new IllegalStateException("no ResourceManager runs; see " + resourceManagers.get(0).errorLog());
      }
      return activeResourceManagerId() != null;
    });
    return activeResourceManagerId();
  }

  public void awaitRunningNodes(int count, Duration timeout) throws InterruptedException {
    await(timeout, count + " NodeManagers to run", () -> {
      requireRunning(nodeManagers);
      try {
        return client.getNodeReports(NodeState.RUNNING).size() == count;
      } catch (Exception e) {
        return false;
      }
    });
  }

  private static void requireRunning(List<Daemon> daemons) {
    for (Daemon daemon : daemons) {
      if (!daemon.isAlive()) {
        throw new IllegalStateException(daemon.name() + " does not run; see " + daemon.errorLog());
      }
    }
  }

  /**
   * A client process (JVM) on this cluster's client conf folder and Hadoop's jars plus {@code extraJars},
   * run under the watchdog like the daemons; not started.
   */
  public Daemon clientProcess(String name, List<Path> extraJars, List<String> jvmOptions, String mainClass,
      List<String> args) throws IOException {
    Path clientDir = Files.createDirectories(dir.resolve("clients").resolve(name + "-" + CLIENT_RUNS.incrementAndGet()));
    List<Path> jars = new ArrayList<>(Jars.hadoop());
    jars.addAll(extraJars);
    String classpath = Stream.concat(Stream.of(clientConfDir()), jars.stream()).map(Path::toString)
        .collect(Collectors.joining(java.io.File.pathSeparator));
    List<String> command = command(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "256m",
        clientDir, classpath, jvmOptions, mainClass, args.toArray(String[]::new));
    return daemon(name, clientDir, command);
  }

  /** {@code yarn jar <cli jar> args}: Hadoop's RunJar with the CLI jar, as README says. */
  public CommandResult cli(String... args) throws IOException, InterruptedException {
    List<String> runJarArgs = new ArrayList<>(List.of(Jars.cli().toString()));
    runJarArgs.addAll(List.of(args));
    Daemon cli = clientProcess("cli", List.of(), List.of(), "org.apache.hadoop.util.RunJar", runJarArgs).start();
    int exit = cli.waitFor(Duration.ofMinutes(5));
    return new CommandResult(exit, Files.readString(cli.log()), Files.readString(cli.errorLog()));
  }

  public record CommandResult(int exitCode, String stdout, String stderr) {
  }

  /** Stops every process by its pid (NodeManagers first: they stop their containers), then ZooKeeper. */
  @Override
  public void close() throws IOException {
    client.stop();
    for (Daemon nm : nodeManagers) {
      nm.stop();
    }
    for (Daemon rm : resourceManagers) {
      rm.stop();
    }
    zooKeeper.stop();
    Files.deleteIfExists(lease);
  }

  /** Removes the cluster's folder (after {@link #close()}), for a test that passed. */
  public void delete() {
    FileUtil.fullyDelete(dir.toFile());
  }

  private Daemon daemon(String name, Path daemonDir, List<String> command) {
    return new Daemon(name, daemonDir, command, Map.of("JAVA_HOME", System.getProperty("java.home")), watchdog,
        lease);
  }

  private static List<String> command(String jvm, String heap, Path daemonDir, String classpath,
      List<String> jvmOptions, String mainClass, String... args) {
    List<String> command = new ArrayList<>(List.of(jvm, "-Xmx" + heap, "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + daemonDir.resolve("tmp"),
        "-Dhadoop.log.dir=" + daemonDir.resolve("logs"), "-Dyarn.log.dir=" + daemonDir.resolve("logs"),
        "-cp", classpath));
    command.addAll(jvmOptions);
    command.add(mainClass);
    command.addAll(List.of(args));
    return command;
  }

  private static String classpath(Path confDir, List<Path> hadoop, Path plugin) {
    Stream<Path> jars = plugin == null ? hadoop.stream() : Stream.concat(hadoop.stream(), Stream.of(plugin));
    return Stream.concat(Stream.of(confDir), jars).map(Path::toString)
        .collect(Collectors.joining(java.io.File.pathSeparator));
  }

  private Configuration commonSettings(Builder b, int zkPort) {
    Configuration c = new Configuration(false);
    c.set("fs.defaultFS", "file:///");
    c.set("hadoop.tmp.dir", dir.resolve("hadoop-tmp").toString());
    c.set("hadoop.zk.address", HOST + ":" + zkPort);
    // The embedded failover elector of Hadoop 3.5.0 still reads the older key.
    c.set("yarn.resourcemanager.zk-address", HOST + ":" + zkPort);
    c.setInt("hadoop.zk.timeout-ms", 5000);
    // README "Deploying on a YARN cluster": the Worker Pool's keys (the address is set per RM, below).
    c.set(YarnConfiguration.RM_SCHEDULER, "io.workerpool.rm.hadoop.WorkerPoolScheduler");
    c.set("yarn.nodemanager.containers-launcher.class", "io.workerpool.nm.InPlaceContainersLauncher");
    // ResourceManager HA with automatic failover and work-preserving recovery from ZooKeeper.
    c.setBoolean(YarnConfiguration.RM_HA_ENABLED, true);
    c.set(YarnConfiguration.RM_HA_IDS, String.join(",", RM_IDS));
    c.set(YarnConfiguration.RM_CLUSTER_ID, "realcluster");
    c.setBoolean(YarnConfiguration.AUTO_FAILOVER_ENABLED, true);
    c.setBoolean(YarnConfiguration.RECOVERY_ENABLED, true);
    c.set(YarnConfiguration.RM_STORE,
        "org.apache.hadoop.yarn.server.resourcemanager.recovery.ZKRMStateStore");
    c.setBoolean(YarnConfiguration.RM_WORK_PRESERVING_RECOVERY_ENABLED, true);
    // Clients, AMs and NodeManagers find the new active RM within seconds (defaults: up to 30 s per retry).
    c.setLong(YarnConfiguration.CLIENT_FAILOVER_SLEEPTIME_BASE_MS, 200);
    c.setLong(YarnConfiguration.CLIENT_FAILOVER_SLEEPTIME_MAX_MS, 2000);
    c.setLong(YarnConfiguration.RESOURCEMANAGER_CONNECT_RETRY_INTERVAL_MS, 1000);
    // NodeManager recovery (each NM has a fixed address, set per NM).
    c.setBoolean(YarnConfiguration.NM_RECOVERY_ENABLED, true);
    c.setInt(YarnConfiguration.NM_PMEM_MB, b.nodeMemoryMb);
    c.setInt(YarnConfiguration.NM_VCORES, 8);
    c.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    c.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
    c.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100f);
    c.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
    c.setBoolean(YarnConfiguration.LOG_AGGREGATION_ENABLED, false);
    b.settings.forEach(c::set);
    return c;
  }

  private static Path writeConf(Path confDir, Configuration common, Configuration own, String logLevel)
      throws IOException {
    Files.createDirectories(confDir);
    Configuration yarnSite = new Configuration(false);
    Configuration coreSite = new Configuration(false);
    for (Configuration source : List.of(common, own)) {
      for (Map.Entry<String, String> e : source) {
        (e.getKey().startsWith("fs.") || e.getKey().startsWith("hadoop.tmp") ? coreSite : yarnSite)
            .set(e.getKey(), e.getValue());
      }
    }
    try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
      yarnSite.writeXml(out);
    }
    try (OutputStream out = Files.newOutputStream(confDir.resolve("core-site.xml"))) {
      coreSite.writeXml(out);
    }
    Files.writeString(confDir.resolve("log4j.properties"), String.join("\n",
        "log4j.rootLogger=" + logLevel + ",console",
        "log4j.appender.console=org.apache.log4j.ConsoleAppender",
        "log4j.appender.console.target=System.err",
        "log4j.appender.console.layout=org.apache.log4j.PatternLayout",
        "log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %p %c{1}: %m%n",
        "log4j.logger.org.apache.zookeeper=WARN",
        "log4j.logger.org.apache.curator=WARN", ""));
    return confDir;
  }

  private Path copyResource(String name) throws IOException {
    Path target = dir.resolve(name);
    try (InputStream in = RealCluster.class.getResourceAsStream("/realcluster/" + name)) {
      Files.copy(in, target);
    }
    return target;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static boolean listens(String hostPort) {
    String[] parts = hostPort.split(":");
    try (Socket socket = new Socket(parts[0], Integer.parseInt(parts[1]))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
    await(Duration.ofMillis(250), timeout, what, condition);
  }

  static void await(Duration poll, Duration timeout, String what, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("waited " + timeout + " for " + what);
      }
      Thread.sleep(poll.toMillis());
    }
  }

  private static final String CAPACITY_SCHEDULER = """
      <?xml version="1.0"?>
      <configuration>
        <property><name>yarn.scheduler.capacity.root.queues</name><value>default</value></property>
        <property><name>yarn.scheduler.capacity.root.default.capacity</name><value>100</value></property>
        <property><name>yarn.scheduler.capacity.maximum-am-resource-percent</name><value>0.5</value></property>
      </configuration>
      """;

  public static final class Builder {
    private final String name;
    private int nodeManagers = 2;
    private int nodeMemoryMb = 4096;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final List<Path> applicationJars = new ArrayList<>();

    private Builder(String name) {
      this.name = name;
    }

    public Builder nodeManagers(int count) {
      this.nodeManagers = count;
      return this;
    }

    public Builder nodeMemoryMb(int mb) {
      this.nodeMemoryMb = mb;
      return this;
    }

    /** An extra yarn-site.xml setting of every process. */
    public Builder set(String key, String value) {
      settings.put(key, value);
      return this;
    }

    /** Jars added to yarn.application.classpath after Hadoop's (libraries the applications' AMs need). */
    public Builder applicationJars(List<Path> jars) {
      applicationJars.addAll(jars);
      return this;
    }

    public RealCluster build() throws IOException {
      return new RealCluster(this);
    }
  }
}
