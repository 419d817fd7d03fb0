package io.workerpool.rm;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.workerpool.protocol.WorkerPoolAddresses;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import io.workerpool.rm.grpc.WorkerPoolGrpcService;
import io.workerpool.rm.update.ExecutorEngine;
import io.workerpool.rm.update.ResourceManagerDriver;
import io.workerpool.rm.update.UpdateJournal;
import io.workerpool.rm.update.UpdateManager;
import io.workerpool.rm.update.UpdateSettings;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.service.AbstractService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Worker Pool inside the ResourceManager: the updates, their deadlines, the metrics and the
 * gRPC server. Its life follows the scheduler that hosts it, so it serves on the active RM only.
 */
public final class WorkerPoolService extends AbstractService {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPoolService.class);

  private final ResourceManagerDriver driver;
  private final UpdateJournal journal;
  private UpdateManager updates;
  private ScheduledExecutorService timer;
  private ScheduledExecutorService watchExecutor;
  private Server server;
  private InetSocketAddress address;
  private int maxRequestBytes;

  /** @param journal where updates are kept across RM restarts and failovers */
  public WorkerPoolService(ResourceManagerDriver driver, UpdateJournal journal) {
    super(WorkerPoolService.class.getSimpleName());
    this.driver = driver;
    this.journal = journal;
  }

  @Override
  protected void serviceInit(Configuration conf) throws Exception {
    address = WorkerPoolAddresses.forServer(conf);
    maxRequestBytes = conf.getInt(WorkerPoolConfigKeys.MAX_REQUEST_BYTES, WorkerPoolConfigKeys.DEFAULT_MAX_REQUEST_BYTES);
    UpdateSettings settings = new UpdateSettings(
        conf.getLong(WorkerPoolConfigKeys.CLAIM_TIMEOUT_MS, WorkerPoolConfigKeys.DEFAULT_CLAIM_TIMEOUT_MS),
        conf.getLong(WorkerPoolConfigKeys.EARLY_EXIT_WINDOW_MS, WorkerPoolConfigKeys.DEFAULT_EARLY_EXIT_WINDOW_MS),
        conf.getInt(WorkerPoolConfigKeys.HISTORY_SIZE, WorkerPoolConfigKeys.DEFAULT_HISTORY_SIZE),
        conf.getLong(WorkerPoolConfigKeys.AM_STOP_TIMEOUT_MS, WorkerPoolConfigKeys.DEFAULT_AM_STOP_TIMEOUT_MS),
        conf.getLong(WorkerPoolConfigKeys.TEST_PAUSE_BEFORE_AM_END_MS, 0));
    timer = daemonExecutor("WorkerPool engine");
    watchExecutor = daemonExecutor("WorkerPool watchers");
    LOG.info("Worker Pool journal: {}", journal.describe());
    updates = new UpdateManager(driver, WorkerPoolMetrics.register(), System::currentTimeMillis, settings, journal,
        new ExecutorEngine(timer), watchExecutor);
    super.serviceInit(conf);
  }

  @Override
  protected void serviceStart() throws Exception {
    updates.recover();
    server = NettyServerBuilder.forAddress(address)
        .maxInboundMessageSize(maxRequestBytes)
        .addService(ServerInterceptors.intercept(new WorkerPoolGrpcService(updates, driver),
            WorkerPoolGrpcService.interceptor(driver)))
        .build()
        .start();
    LOG.info("Worker Pool serves updateApplication on {}:{}", address.getHostString(), server.getPort());
    super.serviceStart();
  }

  @Override
  protected void serviceStop() throws Exception {
    if (updates != null) {
      updates.stop();
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (timer != null) {
      timer.shutdownNow();
    }
    if (watchExecutor != null) {
      watchExecutor.shutdownNow();
    }
    WorkerPoolMetrics.unregister();
    super.serviceStop();
  }

  private static ScheduledExecutorService daemonExecutor(String name) {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, name);
      thread.setDaemon(true);
      return thread;
    });
  }

  public UpdateManager updates() {
    return updates;
  }
}
