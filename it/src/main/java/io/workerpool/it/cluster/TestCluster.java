package io.workerpool.it.cluster;

import io.workerpool.it.app.ReportDir;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;

/**
 * A MiniYARNCluster with one ResourceManager (or an HA pair) and a few NodeManagers, configured only through
 * configuration keys, as an operator would in yarn-site.xml. Its running configuration is
 * written to {@code conf/yarn-site.xml} so that AMs find the RM. With
 * {@link Builder#restartableNodeManagers()} the NodeManagers run with recovery on instead (fixed ports, a state
 * store, supervised, so that their containers outlive them) and can be restarted on the same folders and ports.
 */
public final class TestCluster implements AutoCloseable {
  private final MiniYARNCluster yarn;
  private final Path workDir;
  private final ReportDir report;
  private final YarnClient client;
  /** The restartable NodeManagers, if the cluster runs them instead of MiniYARNCluster's own. */
  private final RestartableNodeManagers nodeManagers;

  private TestCluster(MiniYARNCluster yarn, Path workDir, ReportDir report, YarnClient client,
      RestartableNodeManagers nodeManagers) {
    this.yarn = yarn;
    this.workDir = workDir;
    this.report = report;
    this.client = client;
    this.nodeManagers = nodeManagers;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public MiniYARNCluster yarn() {
    return yarn;
  }

  /** NodeManager {@code i} as it runs now. */
  public NodeManager nodeManager(int i) {
    return nodeManagers != null ? nodeManagers.get(i) : yarn.getNodeManager(i);
  }

  /**
   * Stops NodeManager {@code i} (its containers keep running) and starts a new one on its folders, ports and
   * state store, which recovers them. Only with {@link Builder#restartableNodeManagers()}.
   */
  public NodeManager restartNodeManager(int i) {
    if (nodeManagers == null) {
      throw new IllegalStateException("build the cluster with restartableNodeManagers() to restart a NodeManager");
    }
    return nodeManagers.restart(i);
  }

  public Configuration config() {
    return yarn.getConfig();
  }

  public YarnClient client() {
    return client;
  }

  public ReportDir report() {
    return report;
  }

  public Path workDir() {
    return workDir;
  }

  public Path confDir() {
    return workDir.resolve("conf");
  }

  @Override
  public void close() throws IOException {
    report.releaseLease();
    client.stop();
    if (nodeManagers != null) {
      nodeManagers.stop();
    }
    yarn.stop();
  }

  public static final class Builder {
    private final String name;
    private int resourceManagers = 1;
    private int nodeManagers = 2;
    private int nodeMemoryMb = 4096;
    private boolean restartable;
    private final Map<String, String> settings = new LinkedHashMap<>();

    private Builder(String name) {
      this.name = name;
    }

    /** More than one makes an RM HA cluster (MiniYARNCluster names them rm0, rm1, ...; rm0 starts active). */
    public Builder resourceManagers(int count) {
      this.resourceManagers = count;
      return this;
    }

    public Builder nodeManagers(int count) {
      this.nodeManagers = count;
      return this;
    }

    public Builder nodeMemoryMb(int memoryMb) {
      this.nodeMemoryMb = memoryMb;
      return this;
    }

    /** NodeManagers with recovery on, which {@link TestCluster#restartNodeManager} restarts. */
    public Builder restartableNodeManagers() {
      this.restartable = true;
      return this;
    }

    /** A yarn-site.xml setting. */
    public Builder set(String key, String value) {
      settings.put(key, value);
      return this;
    }

    public TestCluster start() throws Exception {
      YarnConfiguration conf = new YarnConfiguration();
      // MiniYARNCluster takes NodeManager memory from this key, not from yarn.nodemanager.resource.memory-mb.
      conf.setInt("yarn.minicluster.yarn.nodemanager.resource.memory-mb", nodeMemoryMb);
      conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 64);
      conf.setInt(YarnConfiguration.RM_NM_HEARTBEAT_INTERVAL_MS, 100);
      conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
      conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
      conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 99.5f);
      conf.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, 10);
      // The default (0.1) lets only one 512 MB AM run at a time on these small nodes.
      conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 0.5f);
      // One container per node heartbeat spreads an application's workers over the nodes.
      conf.setBoolean("yarn.scheduler.capacity.per-node-heartbeat.multiple-assignments-enabled", false);
      // Container logs go when their application ends: otherwise every NodeManager's stop waits 10 s for the
      // pending (3 h) deletions. Tests read the workers' reports, not their logs.
      conf.setLong(YarnConfiguration.NM_LOG_RETAIN_SECONDS, 0);
      settings.forEach(conf::set);

      Path workDir = Path.of("target", name).toAbsolutePath();
      // MiniYARNCluster binds its NodeManagers to ephemeral ports, which recovery refuses: this class runs them.
      MiniYARNCluster yarn = new MiniYARNCluster(name, resourceManagers, restartable ? 0 : nodeManagers, 1, 1);
      yarn.init(conf);
      yarn.start();
      RestartableNodeManagers restartableNodes = restartable
          ? RestartableNodeManagers.start(yarn.getConfig(), workDir.resolve("nodes"), nodeManagers, nodeMemoryMb)
          : null;
      YarnClient client = YarnClient.createYarnClient();
      client.init(yarn.getConfig());
      client.start();
      awaitNodes(client, nodeManagers);

      Path confDir = workDir.resolve("conf");
      Files.createDirectories(confDir);
      try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
        yarn.getConfig().writeXml(out);
      }
      // MiniYARNCluster keeps this folder across runs; reports of an earlier run's workers are no use here.
      FileUtil.fullyDelete(workDir.resolve("reports").toFile());
      ReportDir report = ReportDir.create(workDir.resolve("reports"));
      return new TestCluster(yarn, workDir, report, client, restartableNodes);
    }

    private static void awaitNodes(YarnClient client, int count) throws Exception {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (client.getNodeReports(NodeState.RUNNING).size() < count) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(count + " NodeManagers did not register within 60 s");
        }
        Thread.sleep(100);
      }
    }
  }
}
