package io.workerpool.it.ha;

import static org.awaitility.Awaitility.await;

import io.workerpool.it.CrashableAmService;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.WorkerPoolSettings;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.commons.io.FileUtils;
import org.apache.curator.test.TestingServer;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.conf.HAUtil;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.server.resourcemanager.recovery.ZKRMStateStore;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerState;

/**
 * Two ResourceManagers (rm0, rm1) with automatic failover through a real ZooKeeper server started here,
 * {@code ZKRMStateStore} and work-preserving recovery, set up only with yarn-site.xml keys as an operator would.
 * Every address is fixed, per RM id, so that NodeManagers, AMs and clients find whichever RM is active, as on a
 * real cluster; each RM serves the Worker Pool on its own port ({@code yarn.resourcemanager.worker-pool.address.<rmId>}).
 */
final class HaCluster implements AutoCloseable {
  static final List<String> RM_IDS = List.of("rm0", "rm1");

  private final TestingServer zooKeeper;
  private final TestCluster cluster;

  private HaCluster(TestingServer zooKeeper, TestCluster cluster) {
    this.zooKeeper = zooKeeper;
    this.cluster = cluster;
  }

  /**
   * @param builder the cluster's other settings (NodeManagers, memory, ...); the Worker Pool and HA are added
   */
  static HaCluster start(String name, TestCluster.Builder builder, long claimTimeoutMs) throws Exception {
    Path zkDir = Path.of("target", name, "zookeeper").toAbsolutePath();
    FileUtils.deleteDirectory(zkDir.toFile());
    TestingServer zooKeeper = new TestingServer(-1, zkDir.toFile(), true);
    try {
      builder.resourceManagers(RM_IDS.size())
          .set(YarnConfiguration.YARN_MINICLUSTER_FIXED_PORTS, "true")
          .set(YarnConfiguration.YARN_MINICLUSTER_USE_RPC, "true")
          .set(YarnConfiguration.RM_HA_IDS, String.join(",", RM_IDS))
          .set(YarnConfiguration.RM_CLUSTER_ID, name)
          .set(YarnConfiguration.AUTO_FAILOVER_ENABLED, "true")
          .set(YarnConfiguration.AUTO_FAILOVER_EMBEDDED, "true")
          .set(YarnConfiguration.RM_ZK_ADDRESS, zooKeeper.getConnectString())
          .set(YarnConfiguration.RECOVERY_ENABLED, "true")
          .set(YarnConfiguration.RM_WORK_PRESERVING_RECOVERY_ENABLED, "true")
          .set(YarnConfiguration.RM_STORE, ZKRMStateStore.class.getName())
          .set(YarnConfiguration.RM_APPLICATION_MASTER_SERVICE_PROCESSORS, CrashableAmService.class.getName())
          // NodeManagers, AMs and clients try the other RM within a second instead of 30 s.
          .set(YarnConfiguration.RESOURCEMANAGER_CONNECT_RETRY_INTERVAL_MS, "500")
          .set(YarnConfiguration.CLIENT_FAILOVER_SLEEPTIME_BASE_MS, "100")
          .set(YarnConfiguration.CLIENT_FAILOVER_SLEEPTIME_MAX_MS, "1000");
      for (String rmId : RM_IDS) {
        for (String key : YarnConfiguration.getServiceAddressConfKeys(new YarnConfiguration())) {
          builder.set(HAUtil.addSuffix(key, rmId), "localhost:" + fixedPort());
        }
        builder.set(HAUtil.addSuffix(WorkerPoolSettings.ADDRESS, rmId), "localhost:" + fixedPort());
      }
      TestCluster cluster = WorkerPoolSettings.apply(builder, claimTimeoutMs, true).start();
      return new HaCluster(zooKeeper, cluster);
    } catch (Exception e) {
      zooKeeper.close();
      throw e;
    }
  }

  /**
   * A free port below Linux's ephemeral range (32768-60999): a standby RM binds its client, scheduler and tracker
   * ports only when it becomes active, and a port from the ephemeral range can meanwhile be taken as the local port
   * of any outgoing connection on the machine (seen: "Problem binding to [localhost:34827] Address already in use"
   * on a transition to active, after which the RM retried the transition for ever).
   */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private static int fixedPort() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(20_000, 32_000);
      // A port handed out is free until its RM binds it: without this, two addresses can get the same port (seen
      // once in CI: "Problem binding to [localhost:29500]" when rm0 became active at the cluster's start).
      if (!HANDED_OUT.add(port)) {
        continue;
      }
      try (ServerSocket socket = new ServerSocket(port)) {
        return port;
      } catch (IOException e) {
        // taken: try another
      }
    }
    throw new IllegalStateException("no free port in 20000-32000");
  }

  TestCluster cluster() {
    return cluster;
  }

  /** The index of the active RM; fails when none is active within ZooKeeper's session timeout. */
  int activeIndex() {
    int active = cluster.yarn().getActiveRMIndex();
    if (active < 0) {
      throw new AssertionError("no ResourceManager is active");
    }
    return active;
  }

  ResourceManager active() {
    return cluster.yarn().getResourceManager(activeIndex());
  }

  /**
   * Stops the active RM the way Hadoop's own failover tests do ({@code MiniYARNCluster.stopResourceManager}: its
   * active services, Worker Pool included, and its ZooKeeper session end) and waits until the other RM is active.
   *
   * @return the index of the RM that is active now
   */
  int killActive() throws InterruptedException {
    int dead = activeIndex();
    // A crashed RM drops its connections and clients fail over. MiniYARNCluster can only stop it, and a stopping RM
    // answers an AM call in flight with an InterruptedException, on which the AM exits instead of failing over (seen
    // in HaClusterFailoverTest and UpdateFailoverTest): the RM stops answering its AMs first.
    CrashableAmService.crash(cluster.yarn().getResourceManager(dead).getRMContext());
    cluster.yarn().stopResourceManager(dead);
    int now = activeIndex();
    if (now == dead) {
      throw new AssertionError("rm" + dead + " is still active after it was stopped");
    }
    return now;
  }

  /** Brings every stopped RM back, as a standby. */
  void restartStopped() throws InterruptedException {
    for (int i = 0; i < RM_IDS.size(); i++) {
      if (cluster.yarn().getResourceManager(i) == null) {
        cluster.yarn().restartResourceManager(i);
      }
    }
  }

  /**
   * Waits until the active RM knows these containers RUNNING: only those are pooled; one whose node has not reported
   * it yet (within a heartbeat of its start) is killed with the old attempt.
   */
  void awaitRunningOnActive(Collection<String> containerIds) {
    await().atMost(Duration.ofSeconds(30)).until(() -> containerIds.stream().allMatch(id -> {
      RMContainer container = active().getResourceScheduler().getRMContainer(ContainerId.fromString(id));
      return container != null && container.getState() == RMContainerState.RUNNING;
    }));
  }

  /** Waits until every NodeManager runs against the active RM (after a failover they register with it anew). */
  void awaitNodes(int count) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> cluster.client().getNodeReports(NodeState.RUNNING).size() == count);
  }

  @Override
  public void close() throws Exception {
    try {
      cluster.close();
    } finally {
      zooKeeper.close();
    }
  }
}
