package io.workerpool.it.cluster;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.server.nodemanager.ContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.DeletionService;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.deletion.task.DeletionTask;
import org.apache.hadoop.yarn.server.nodemanager.recovery.NMStateStoreService;
import org.apache.hadoop.yarn.server.nodemanager.security.NMContainerTokenSecretManager;
import org.apache.hadoop.yarn.server.nodemanager.security.NMTokenSecretManagerInNM;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A NodeManager whose threads cannot write into its state store once it is stopped. A real NodeManager's
 * threads end with its process; in the test JVM a localizer of a stopped NodeManager runs on and schedules the
 * deletion of its token file, and leveldbjni crashes the whole JVM when that write reaches the store the stop
 * closed (seen in {@code NodeManagerRestartDuringSwapTest}). Deletions asked for after the stop are dropped, as
 * they would be with the process.
 */
final class StateStoreSafeNodeManager extends NodeManager {
  private static final Logger LOG = LoggerFactory.getLogger(StateStoreSafeNodeManager.class);
  private NMStateStoreService stateStore;

  @Override
  protected NMContext createNMContext(NMContainerTokenSecretManager containerTokens, NMTokenSecretManagerInNM nmTokens,
      NMStateStoreService store, boolean distributedScheduling, Configuration conf) {
    this.stateStore = store;
    return super.createNMContext(containerTokens, nmTokens, store, distributedScheduling, conf);
  }

  @Override
  protected DeletionService createDeletionService(ContainerExecutor exec) {
    return new StoppableDeletions(exec, stateStore);
  }

  /** Drops deletions once stopped; the store is closed only after this service stopped. */
  private static final class StoppableDeletions extends DeletionService {
    private boolean stopped;

    StoppableDeletions(ContainerExecutor exec, NMStateStoreService store) {
      super(exec, store);
    }

    @Override
    public synchronized void delete(DeletionTask task) {
      if (stopped) {
        LOG.info("NodeManager stopped: dropped {}", task);
      } else {
        super.delete(task);
      }
    }

    @Override
    public void serviceStop() throws Exception {
      synchronized (this) {
        stopped = true;
      }
      super.serviceStop();
    }
  }
}
