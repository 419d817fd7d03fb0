package io.workerpool.rm.hadoop;

import io.workerpool.rm.update.InMemoryJournal;
import io.workerpool.rm.update.UpdateJournal;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.curator.ZKCuratorManager;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.RMContext;
import org.apache.hadoop.yarn.server.resourcemanager.recovery.FileSystemRMStateStore;
import org.apache.hadoop.yarn.server.resourcemanager.recovery.ZKRMStateStore;

/** Picks the journal that lives beside the RM's own state store. */
final class UpdateJournals {
  private UpdateJournals() {
  }

  static UpdateJournal forStateStore(Configuration conf, RMContext rm) throws IOException {
    if (!conf.getBoolean(YarnConfiguration.RECOVERY_ENABLED, YarnConfiguration.DEFAULT_RM_RECOVERY_ENABLED)) {
      return new InMemoryJournal();
    }
    String store = conf.get(YarnConfiguration.RM_STORE, "");
    if (store.equals(ZKRMStateStore.class.getName())) {
      ZKCuratorManager zk = rm.getResourceManager().getZKManager();
      // The RM has a connection of its own only with Curator-based leader election; else the journal opens one.
      boolean own = zk == null;
      if (own) {
        zk = rm.getResourceManager().createAndStartZKManager(conf);
      }
      String root = conf.get(YarnConfiguration.ZK_RM_STATE_STORE_PARENT_PATH,
          YarnConfiguration.DEFAULT_ZK_RM_STATE_STORE_PARENT_PATH) + "/" + ZKRMStateStore.ROOT_ZNODE_NAME;
      return new ZooKeeperJournal(zk, own, ZKCuratorManager.getZKAcls(conf), root);
    }
    if (store.equals(FileSystemRMStateStore.class.getName())) {
      Path root = new Path(conf.get(YarnConfiguration.FS_RM_STATE_STORE_URI), "FSRMStateRoot");
      return new FileSystemJournal(conf, new Path(root, "WorkerPoolUpdates"));
    }
    return new InMemoryJournal();
  }
}
