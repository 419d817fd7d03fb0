package io.workerpool.flink;

import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.runtime.highavailability.zookeeper.CuratorFrameworkWithUnhandledErrorListener;
import org.apache.flink.runtime.jobmanager.HighAvailabilityMode;
import org.apache.flink.runtime.rpc.FatalErrorHandler;
import org.apache.flink.runtime.util.ZooKeeperUtils;
import org.apache.flink.shaded.curator5.org.apache.curator.framework.CuratorFramework;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last-state restarts of ZooKeeper HA applications. The new JobManager must not recover the
 * stored execution plan (it would run the old job), but it must find the job's checkpoints. The
 * job id comes from the HA cluster id, which stays the application id, so the checkpoints are
 * found under the same job; the new JobManager gets an execution-plans path of its own, so it
 * runs the new jar's main(). The old JobManager's path is deleted once the restart succeeded
 * (deleting it while the old JobManager runs would make it drop the job).
 */
final class LastStateRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(LastStateRecovery.class);

  private LastStateRecovery() {
  }

  /** Points the new configuration at a fresh execution-plans path; returns the old one. */
  static String prepare(Configuration conf, ApplicationId appId, Map<String, String> jobManagerConfig,
      long restartId) {
    if (HighAvailabilityMode.fromConfig(conf) != HighAvailabilityMode.ZOOKEEPER) {
      throw new RestartException("--mode last-state needs ZooKeeper high availability (high-availability.type:"
          + " zookeeper) in the new configuration; " + appId + " can be restarted with --mode savepoint instead");
    }
    String runningHa = jobManagerConfig.get(HighAvailabilityOptions.HA_MODE.key());
    if (runningHa == null || !runningHa.equalsIgnoreCase("zookeeper")) {
      throw new RestartException(appId + " does not run with ZooKeeper high availability (high-availability.type="
          + runningHa + "): its checkpoints are not kept for a new JobManager; use --mode savepoint");
    }
    String clusterId = jobManagerConfig.getOrDefault(HighAvailabilityOptions.HA_CLUSTER_ID.key(), appId.toString());
    conf.set(HighAvailabilityOptions.HA_CLUSTER_ID, clusterId);
    String oldPath = jobManagerConfig.getOrDefault(HighAvailabilityOptions.HA_ZOOKEEPER_EXECUTION_PLANS_PATH.key(),
        HighAvailabilityOptions.HA_ZOOKEEPER_EXECUTION_PLANS_PATH.defaultValue());
    conf.set(HighAvailabilityOptions.HA_ZOOKEEPER_EXECUTION_PLANS_PATH,
        HighAvailabilityOptions.HA_ZOOKEEPER_EXECUTION_PLANS_PATH.defaultValue() + "-" + restartId);
    return oldPath;
  }

  /** Deletes the old JobManager's stored execution plans, once it is gone. */
  static void dropOldExecutionPlans(Configuration conf, String oldPath) {
    FatalErrorHandler onError = e -> LOG.warn("ZooKeeper error while deleting {}", oldPath, e);
    try (CuratorFrameworkWithUnhandledErrorListener curator =
        ZooKeeperUtils.startCuratorFramework(conf, onError)) {
      CuratorFramework client = curator.asCuratorFramework();
      ZooKeeperUtils.deleteZNode(client, oldPath);
    } catch (Exception e) {
      LOG.warn("Could not delete the old execution plans at {} in ZooKeeper", oldPath, e);
    }
  }
}
