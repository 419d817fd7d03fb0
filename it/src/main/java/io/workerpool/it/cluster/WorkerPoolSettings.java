package io.workerpool.it.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** The yarn-site.xml keys that switch the Worker Pool on, exactly as an operator would set them. */
public final class WorkerPoolSettings {
  public static final String SCHEDULER_CLASS = "yarn.resourcemanager.scheduler.class";
  public static final String RM_SCHEDULER = "io.workerpool.rm.hadoop.WorkerPoolScheduler";
  public static final String ADDRESS = "yarn.resourcemanager.worker-pool.address";
  public static final String CLAIM_TIMEOUT_MS = "yarn.resourcemanager.worker-pool.claim-timeout-ms";
  public static final String LAUNCHER_CLASS = "yarn.nodemanager.containers-launcher.class";
  public static final String NM_LAUNCHER = "io.workerpool.nm.InPlaceContainersLauncher";

  private WorkerPoolSettings() {
  }

  /** The RM side on a free local port, and the NM hook when {@code inPlaceOnNodes}. */
  public static TestCluster.Builder apply(TestCluster.Builder builder, long claimTimeoutMs, boolean inPlaceOnNodes) {
    builder.set(SCHEDULER_CLASS, RM_SCHEDULER)
        .set(ADDRESS, "localhost:" + freePort())
        .set(CLAIM_TIMEOUT_MS, Long.toString(claimTimeoutMs));
    if (inPlaceOnNodes) {
      builder.set(LAUNCHER_CLASS, NM_LAUNCHER);
    }
    return builder;
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
