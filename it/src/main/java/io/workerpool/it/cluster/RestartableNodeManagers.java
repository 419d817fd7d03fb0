package io.workerpool.it.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.service.Service.STATE;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;

/**
 * NodeManagers in the test JVM with recovery on, as an operator runs them for rolling restarts: fixed
 * ports, a state store, {@code yarn.nodemanager.recovery.supervised} (a stopped NodeManager leaves its
 * containers running). A restart stops one and starts a new NodeManager on the same folders, ports and
 * state store, which recovers the containers. They talk to the RM over RPC, as on a real node.
 */
final class RestartableNodeManagers {
  private final List<NodeManager> running = new ArrayList<>();

  private RestartableNodeManagers() {
  }

  static RestartableNodeManagers start(Configuration clusterConf, Path dir, int count, int memoryMb) {
    RestartableNodeManagers nodes = new RestartableNodeManagers();
    for (int i = 0; i < count; i++) {
      Path own = dir.resolve("nm" + i);
      // Left by an earlier run: its state store would recover containers of a cluster that is gone.
      FileUtil.fullyDelete(own.toFile());
      YarnConfiguration conf = new YarnConfiguration(clusterConf);
      conf.set(YarnConfiguration.NM_ADDRESS, "localhost:" + WorkerPoolSettings.freePort());
      conf.set(YarnConfiguration.NM_LOCALIZER_ADDRESS, "localhost:" + WorkerPoolSettings.freePort());
      conf.set(YarnConfiguration.NM_WEBAPP_ADDRESS, "localhost:0");
      conf.set(YarnConfiguration.NM_LOCAL_DIRS, own.resolve("local").toString());
      conf.set(YarnConfiguration.NM_LOG_DIRS, own.resolve("logs").toString());
      conf.setBoolean(YarnConfiguration.NM_RECOVERY_ENABLED, true);
      conf.setBoolean(YarnConfiguration.NM_RECOVERY_SUPERVISED, true);
      conf.set(YarnConfiguration.NM_RECOVERY_DIR, own.resolve("recovery").toString());
      conf.setInt(YarnConfiguration.NM_PMEM_MB, memoryMb);
      conf.setBoolean(YarnConfiguration.NM_ENABLE_HARDWARE_CAPABILITY_DETECTION, false);
      conf.setBoolean(YarnConfiguration.NM_CONTAINER_MONITOR_ENABLED, false);
      nodes.running.add(started(conf));
    }
    return nodes;
  }

  NodeManager get(int i) {
    return running.get(i);
  }

  NodeManager restart(int i) {
    NodeManager old = running.get(i);
    Configuration conf = new YarnConfiguration(old.getConfig());
    old.stop();
    NodeManager fresh = started(conf);
    running.set(i, fresh);
    return fresh;
  }

  void stop() {
    running.forEach(NodeManager::stop);
  }

  private static NodeManager started(Configuration conf) {
    NodeManager nm = new StateStoreSafeNodeManager();
    nm.init(conf);
    nm.start();
    if (nm.getServiceState() != STATE.STARTED) {
      throw new IllegalStateException("NodeManager did not start: " + nm.getFailureCause());
    }
    return nm;
  }
}
