package io.workerpool.rm;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.workerpool.protocol.WorkerPoolAddresses;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.workerpool.protocol.TlsStores;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import io.workerpool.rm.grpc.WorkerPoolGrpcService;
import io.workerpool.rm.update.ExecutorEngine;
import io.workerpool.rm.update.ResourceManagerDriver;
import io.workerpool.rm.update.UpdateJournal;
import io.workerpool.rm.update.UpdateManager;
import io.workerpool.rm.update.UpdateSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.security.UserGroupInformation;
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
  private int historySize;
  private SslContext tls;

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
    tls = serverTls(conf);
    UpdateSettings settings = new UpdateSettings(
        conf.getLong(WorkerPoolConfigKeys.CLAIM_TIMEOUT_MS, WorkerPoolConfigKeys.DEFAULT_CLAIM_TIMEOUT_MS),
        conf.getLong(WorkerPoolConfigKeys.EARLY_EXIT_WINDOW_MS, WorkerPoolConfigKeys.DEFAULT_EARLY_EXIT_WINDOW_MS),
        conf.getInt(WorkerPoolConfigKeys.HISTORY_SIZE, WorkerPoolConfigKeys.DEFAULT_HISTORY_SIZE),
        conf.getLong(WorkerPoolConfigKeys.AM_STOP_TIMEOUT_MS, WorkerPoolConfigKeys.DEFAULT_AM_STOP_TIMEOUT_MS),
        conf.getLong(WorkerPoolConfigKeys.TEST_PAUSE_BEFORE_AM_END_MS, 0));
    timer = daemonExecutor("WorkerPool engine");
    watchExecutor = daemonExecutor("WorkerPool watchers");
    historySize = settings.historySize();
    LOG.info("Worker Pool journal: {}", journal.describe());
    updates = new UpdateManager(driver, WorkerPoolMetrics.register(), System::currentTimeMillis, settings, journal,
        new ExecutorEngine(timer), watchExecutor);
    super.serviceInit(conf);
  }

  @Override
  protected void serviceStart() throws Exception {
    updates.recovery().recover();
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address)
        .maxInboundMessageSize(maxRequestBytes)
        .addService(ServerInterceptors.intercept(new WorkerPoolGrpcService(updates, driver, historySize),
            WorkerPoolGrpcService.interceptor()));
    if (tls != null) {
      builder.sslContext(tls);
    }
    server = builder.build().start();
    LOG.info("Worker Pool serves updateApplication on {}:{} over {}", address.getHostString(), server.getPort(),
        tls != null ? "TLS" : "plaintext");
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
    journal.close();
    WorkerPoolMetrics.unregister();
    super.serviceStop();
  }

  /** The server's TLS context, or null for plaintext, which a Kerberos cluster takes only when told to. */
  private static SslContext serverTls(Configuration conf) throws IOException {
    if (!TlsStores.enabled(conf)) {
      if (UserGroupInformation.isSecurityEnabled() && !conf.getBoolean(
          WorkerPoolConfigKeys.SSL_ALLOW_PLAINTEXT_WITH_KERBEROS,
          WorkerPoolConfigKeys.DEFAULT_SSL_ALLOW_PLAINTEXT_WITH_KERBEROS)) {
        throw new IOException("Kerberos is on but the Worker Pool channel is plaintext, which would carry clients'"
            + " delegation tokens in the clear: set " + WorkerPoolConfigKeys.SSL_ENABLED + "=true (keystore from "
            + WorkerPoolConfigKeys.SSL_SERVER_CONF + " or ssl-server.xml), or accept it with "
            + WorkerPoolConfigKeys.SSL_ALLOW_PLAINTEXT_WITH_KERBEROS + "=true");
      }
      return null;
    }
    try {
      return GrpcSslContexts.configure(SslContextBuilder.forServer(TlsStores.serverKeys(conf))).build();
    } catch (GeneralSecurityException | IOException e) {
      throw new IOException("the Worker Pool cannot serve TLS (" + WorkerPoolConfigKeys.SSL_ENABLED + "=true): "
          + e.getMessage(), e);
    }
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
