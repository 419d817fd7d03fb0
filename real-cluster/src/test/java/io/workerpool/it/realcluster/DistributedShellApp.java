package io.workerpool.it.realcluster;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;

/**
 * An unmodified distributedshell application on a {@link RealCluster}, submitted by its own Client in
 * its own JVM (as {@code yarn jar hadoop-yarn-applications-distributedshell.jar} would): each worker runs
 * {@code bash worker.sh} with {@code WP_VERSION} in its environment; keep-containers is off.
 */
public final class DistributedShellApp {
  private final RealCluster cluster;
  private final Daemon submitter;
  private final String name;

  private DistributedShellApp(RealCluster cluster, Daemon submitter, String name) {
    this.cluster = cluster;
    this.submitter = submitter;
    this.name = name;
  }

  public static DistributedShellApp submit(RealCluster cluster, String name, int workers, String version)
      throws IOException {
    return submit(cluster, name, workers, 128, List.of("--shell_command", "bash",
        "--shell_args", cluster.workerScript().toString(), "--shell_env", "WP_VERSION=" + version));
  }

  /** An application whose containers each run {@code sleep seconds} and end: it churns as long as it has asks. */
  public static DistributedShellApp submitSleepers(RealCluster cluster, String name, int containers, int containerMb,
      int seconds) throws IOException {
    return submit(cluster, name, containers, containerMb, List.of("--shell_command", "sleep",
        "--shell_args", Integer.toString(seconds)));
  }

  private static DistributedShellApp submit(RealCluster cluster, String name, int containers, int containerMb,
      List<String> command) throws IOException {
    Path home = cluster.dir().resolve("client-home");
    List<String> args = new ArrayList<>(List.of(
        "--jar", Jars.distributedShellJar().toString(),
        "--appname", name,
        "--num_containers", Integer.toString(containers),
        "--container_memory", Integer.toString(containerMb),
        "--master_memory", "256",
        // The Client kills the application after this long; the tests end long before.
        "--timeout", Long.toString(Duration.ofHours(1).toMillis())));
    args.addAll(command);
    // The Client stages the AM jar under ~/DistributedShell: keep it in the cluster's folder.
    Daemon submitter = cluster.clientProcess("distributedshell-client-" + name, Jars.distributedShell(),
        List.of("-Duser.home=" + home), "org.apache.hadoop.yarn.applications.distributedshell.Client", args).start();
    return new DistributedShellApp(cluster, submitter, name);
  }

  /** Waits until the application runs; its id. */
  public ApplicationId awaitRunning(Duration timeout) throws InterruptedException {
    ApplicationId[] id = new ApplicationId[1];
    RealCluster.await(timeout, "distributedshell application " + name + " to run", () -> {
      if (!submitter.isAlive()) {
        throw new IllegalStateException("the distributedshell Client has ended; see " + submitter.errorLog());
      }
      try {
        for (ApplicationReport report : cluster.client().getApplications(EnumSet.of(YarnApplicationState.RUNNING))) {
          if (report.getName().equals(name)) {
            id[0] = report.getApplicationId();
            return true;
          }
        }
        return false;
      } catch (Exception e) {
        return false;
      }
    });
    return id[0];
  }

  /** Stops the submitting Client (the application keeps running until its cluster stops). */
  public void stopClient() {
    submitter.stop();
  }
}
