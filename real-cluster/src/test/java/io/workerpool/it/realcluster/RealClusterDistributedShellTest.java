package io.workerpool.it.realcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.it.realcluster.RealCluster.CommandResult;
import io.workerpool.it.realcluster.WorkerLogs.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptReport;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerReport;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * README's "Deploying on a YARN cluster", followed on a cluster of separate processes: an unmodified
 * distributedshell application (keep-containers off) is updated with the CLI jar run as {@code yarn jar}
 * does; every worker must be replaced in place on its own node, as the workers themselves and YARN report.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(SharedRealCluster.class)
class RealClusterDistributedShellTest {
  private static final int WORKERS = 4;
  private static RealCluster cluster;
  private static DistributedShellApp app;
  private static ApplicationId appId;

  @BeforeAll
  static void deploy(RealCluster shared) throws Exception {
    cluster = shared;
    app = DistributedShellApp.submit(cluster, "realcluster-dshell", WORKERS, "1");
    appId = app.awaitRunning(Duration.ofMinutes(2));
    RealCluster.await(Duration.ofMinutes(2), WORKERS + " version-1 workers heartbeating",
        () -> WorkerLogs.ofVersion(cluster.workerReports(), "1").stream().filter(w -> w.lastBeatMs() > 0).count()
            == WORKERS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.stopClient();
      cluster.client().killApplication(appId);
    }
  }

  @Test
  @Order(1)
  void updateReplacesEveryWorkerInPlaceOnItsNode() throws Exception {
    List<Worker> before = WorkerLogs.ofVersion(cluster.workerReports(), "1");
    // README: print the current launch context, edit it, update with it.
    CommandResult current = cluster.cli("launch-context", appId.toString(), "--json");
    assertEquals(0, current.exitCode(), current.stderr());
    assertTrue(current.stdout().contains("WP_VERSION=1"), current.stdout());
    Path v2 = cluster.dir().resolve("am-v2.json");
    Files.writeString(v2, current.stdout().replace("WP_VERSION=1", "WP_VERSION=2"));

    CommandResult update = cluster.cli("update", appId.toString(), "--launch-context", v2.toString());
    System.out.println(update.stdout());
    assertEquals(0, update.exitCode(), update.stdout() + update.stderr());
    assertTrue(update.stdout().contains("SUCCEEDED"), update.stdout());

    RealCluster.await(Duration.ofMinutes(2), WORKERS + " version-2 workers heartbeating",
        () -> WorkerLogs.ofVersion(cluster.workerReports(), "2").stream().filter(w -> w.lastBeatMs() > 0).count()
            == WORKERS);
    List<Worker> after = WorkerLogs.ofVersion(cluster.workerReports(), "2");
    // Each node runs as many new workers as it ran old ones: every worker was replaced on its own node.
    assertEquals(countByNode(before), countByNode(after));
    for (Worker old : before) {
      RealCluster.await(Duration.ofMinutes(1), "old worker " + old + " to end", () -> !old.processAlive());
    }

    // YARN: the same application, now on its second attempt, whose live containers are the new workers.
    assertEquals(YarnApplicationState.RUNNING, cluster.client().getApplicationReport(appId).getYarnApplicationState());
    List<ApplicationAttemptReport> attempts = cluster.client().getApplicationAttempts(appId);
    assertEquals(2, attempts.size());
    ApplicationAttemptReport second = attempts.stream()
        .filter(a -> a.getApplicationAttemptId().getAttemptId() == 2).findFirst().orElseThrow();
    List<ContainerReport> containers = cluster.client().getContainers(second.getApplicationAttemptId());
    Set<String> running = containers.stream()
        .filter(c -> c.getContainerState() == ContainerState.RUNNING)
        .filter(c -> !c.getContainerId().equals(second.getAMContainerId()))
        .map(c -> c.getContainerId().toString()).collect(Collectors.toSet());
    assertEquals(after.stream().map(Worker::container).collect(Collectors.toSet()), running);
    Map<String, String> nodeOfContainer = containers.stream().collect(
        Collectors.toMap(c -> c.getContainerId().toString(), c -> c.getAssignedNode().toString()));
    for (Worker w : after) {
      assertEquals(w.node(), nodeOfContainer.get(w.container()), "YARN places " + w.container() + " elsewhere");
    }

    // The update's own view (for the log only: the assertions above come from the workers and YARN).
    System.out.println(cluster.cli("status", appId.toString()).stdout());

    // Round trip: the launch context now is the edited file, byte for byte.
    CommandResult now = cluster.cli("launch-context", appId.toString(), "--json");
    assertEquals(Files.readString(v2), now.stdout());
  }

  @Test
  @Order(2)
  void dryRunShowsTheDiffAndChangesNothing() throws Exception {
    String before = cluster.cli("launch-context", appId.toString(), "--json").stdout();
    String lastUpdate = cluster.cli("status", appId.toString(), "--json").stdout();

    CommandResult dryRun = cluster.cli("update", appId.toString(), "--set-env", "LOG_LEVEL=debug", "--dry-run");
    assertEquals(0, dryRun.exitCode(), dryRun.stderr());
    assertTrue(dryRun.stdout().contains("+    \"LOG_LEVEL\" : \"debug\"\n"), dryRun.stdout());
    assertTrue(dryRun.stdout().contains("was not changed"), dryRun.stdout());

    assertEquals(before, cluster.cli("launch-context", appId.toString(), "--json").stdout());
    assertEquals(lastUpdate, cluster.cli("status", appId.toString(), "--json").stdout());
  }

  @Test
  @Order(3)
  void wrongInputGetsOneLineAndChangesNothing() throws Exception {
    String before = cluster.cli("launch-context", appId.toString(), "--json").stdout();
    String lastUpdate = cluster.cli("status", appId.toString(), "--json").stdout();

    CommandResult missingFile = cluster.cli("update", appId.toString(),
        "--set-resource", "extra.jar=file:///no/such/file.jar");
    assertNotEquals(0, missingFile.exitCode());
    assertEquals("worker-pool: local resource \"extra.jar\": cannot read file:///no/such/file.jar: File"
        + " file:/no/such/file.jar does not exist", lastLine(missingFile.stderr()));

    CommandResult noEquals = cluster.cli("update", appId.toString(), "--set-env", "LOG_LEVEL");
    assertEquals(2, noEquals.exitCode());
    assertEquals("worker-pool: --set-env takes KEY=VALUE; 'LOG_LEVEL' has no key before '=' (see --help)",
        lastLine(noEquals.stderr()));

    assertEquals(before, cluster.cli("launch-context", appId.toString(), "--json").stdout());
    assertEquals(lastUpdate, cluster.cli("status", appId.toString(), "--json").stdout());
  }

  private static Map<String, Long> countByNode(List<Worker> workers) {
    return workers.stream().collect(Collectors.groupingBy(Worker::node, Collectors.counting()));
  }

  private static String lastLine(String text) {
    List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }
}
