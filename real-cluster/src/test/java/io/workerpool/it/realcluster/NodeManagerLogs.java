package io.workerpool.it.realcluster;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;
import org.apache.hadoop.yarn.api.records.ApplicationId;

/** Watches the NodeManagers' logs from the moment the watch began, for the first node that logs a line. */
final class NodeManagerLogs {
  private final RealCluster cluster;
  private final long[] offsets;

  /** Starts watching from the logs' current ends. */
  NodeManagerLogs(RealCluster cluster) {
    this.cluster = cluster;
    this.offsets = cluster.nodeManagers().stream().mapToLong(nm -> nm.errorLog().toFile().length()).toArray();
  }

  /**
   * The NodeManager (index) that first starts a swap for the application since this watch began: the hook logs
   * "Stopping <old> to run <new> in its place".
   */
  int awaitSwapStart(ApplicationId appId, Duration timeout) throws InterruptedException {
    // Container ids carry the RM's epoch (container_e01_...) once an RM has restarted or failed over.
    return awaitFirst(Pattern.compile("to run container_(e\\d+_)?" + appId.toString().substring("application_".length())
        + "_"), timeout, "a NodeManager to start a swap of " + appId);
  }

  /** The NodeManager (index) that first logs a match of {@code marker} since this watch began. */
  int awaitFirst(Pattern marker, Duration timeout, String what) throws InterruptedException {
    int[] found = {-1};
    RealCluster.await(Duration.ofMillis(20), timeout, what, () -> {
      for (int i = 0; i < offsets.length; i++) {
        if (marker.matcher(tail(i)).find()) {
          found[0] = i;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  private String tail(int nodeManager) {
    try (RandomAccessFile log = new RandomAccessFile(cluster.nodeManagers().get(nodeManager).errorLog().toFile(),
        "r")) {
      log.seek(offsets[nodeManager]);
      byte[] tail = new byte[(int) (log.length() - offsets[nodeManager])];
      log.readFully(tail);
      return new String(tail, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
