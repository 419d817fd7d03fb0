package io.workerpool.it.realcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.it.realcluster.RealCluster.CommandResult;
import io.workerpool.it.realcluster.WorkerLogs.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptReport;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerReport;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Faults during an in-place update on the multi-process cluster: a NodeManager or the active
 * ResourceManager is killed with SIGKILL and comes back (the NodeManager restarted with recovery, the
 * standby RM taking over). Each test deploys its own distributedshell application and judges the
 * outcome from the workers' own reports and YARN's, never from the Worker Pool's records.
 */
@ExtendWith(SharedRealCluster.class)
class RealClusterFaultsTest {
  private static final int WORKERS = 4;
  private static final Set<YarnApplicationState> FINISHED =
      EnumSet.of(YarnApplicationState.FINISHED, YarnApplicationState.FAILED, YarnApplicationState.KILLED);
  private static RealCluster cluster;
  private DistributedShellApp app;
  private String name;
  private ApplicationId appId;

  @BeforeAll
  static void useCluster(RealCluster shared) {
    cluster = shared;
  }

  @AfterEach
  void stopApp() throws Exception {
    if (app != null) {
      app.stopClient();
      for (var report : cluster.client().getApplications()) {
        // Not only RUNNING: an application between two attempts (ACCEPTED) would live on into the next test class.
        if (report.getName().equals(name) && !FINISHED.contains(report.getYarnApplicationState())) {
          cluster.client().killApplication(report.getApplicationId());
        }
      }
    }
  }

  @Test
  void nodeManagerKilledDuringASwapAndRestartedWithRecovery() throws Exception {
    String v1 = "nm-kill-1";
    String v2 = "nm-kill-2";
    List<Worker> before = deploy("realcluster-nm-kill", v1);

    NodeManagerLogs nodeLogs = new NodeManagerLogs(cluster);
    startUpdate(appId, v1, v2);

    // The first NodeManager that starts a swap (it logs "Stopping <old> to run <new> in its place") is
    // killed at once: its old worker is being stopped and the new one waits at the gate in front of its command.
    int victim = nodeLogs.awaitSwapStart(appId, Duration.ofMinutes(2));
    Daemon nm = cluster.nodeManagers().get(victim);
    long oldPid = nm.pid();
    nm.kill9();
    nm.start();
    assertNotEquals(oldPid, nm.pid());

    List<Worker> after = WorkerLogs.awaitHeartbeating(cluster.workerReports(), v2, WORKERS, Duration.ofMinutes(3));
    assertReplacedInPlace(appId, before, after);
  }

  @Test
  void activeResourceManagerKilledDuringAnUpdate() throws Exception {
    String v1 = "rm-kill-1";
    String v2 = "rm-kill-2";
    List<Worker> before = deploy("realcluster-rm-kill", v1);

    Daemon active = cluster.activeResourceManager();
    startUpdate(appId, v1, v2);
    active.kill9();
    String standby = cluster.awaitActiveResourceManager(Duration.ofMinutes(2));
    assertNotEquals(active.name(), standby);
    active.start();

    List<Worker> after = WorkerLogs.awaitHeartbeating(cluster.workerReports(), v2, WORKERS, Duration.ofMinutes(3));
    assertReplacedInPlace(appId, before, after);
  }

  /**
   * The active RM dies after its kill of AM1 reached AM1's node and before the node reported AM1's end: the new RM
   * first hears of that end when the node registers with it. AM1 was stopped by the update, so its end must not
   * count as a failed attempt: afterwards the application (YARN's default of 2 attempts) still survives a crash of
   * its new AM. The NodeManagers are restarted first, so that they recover AM1 and notice its end only by polling its
   * pid (once a second): the RM is killed as soon as AM1's node logs the kill, inside that second.
   */
  @Test
  void activeResourceManagerKilledBetweenAmOnesKillAndItsNodesReport() throws Exception {
    String v1 = "am-kill-1";
    String v2 = "am-kill-2";
    List<Worker> before = deploy("realcluster-am-kill", v1);
    for (Daemon nm : cluster.nodeManagers()) {
      nm.kill9();
      nm.start();
    }
    cluster.awaitRunningNodes(cluster.nodeManagers().size(), Duration.ofMinutes(2));
    ApplicationAttemptReport am1 = currentAttempt(appId);

    NodeManagerLogs nodeLogs = new NodeManagerLogs(cluster);
    Daemon active = cluster.activeResourceManager();
    startUpdate(appId, v1, v2);
    nodeLogs.awaitFirst(Pattern.compile(Pattern.quote(am1.getAMContainerId() + " signal request FORCEFUL_SHUTDOWN")),
        Duration.ofMinutes(1), "AM1's node to be asked to kill it");
    active.kill9();
    cluster.awaitActiveResourceManager(Duration.ofMinutes(2));
    active.start();

    List<Worker> after = WorkerLogs.awaitHeartbeating(cluster.workerReports(), v2, WORKERS, Duration.ofMinutes(3));
    assertReplacedInPlace(appId, before, after);

    ApplicationAttemptReport am2 = currentAttempt(appId);
    killProcessGroupOf(am2.getAMContainerId());
    RealCluster.await(Duration.ofMinutes(2), "the application to start another attempt or to fail", () -> {
      try {
        ApplicationReport report = cluster.client().getApplicationReport(appId);
        return report.getYarnApplicationState() != YarnApplicationState.RUNNING
            || report.getCurrentApplicationAttemptId().getAttemptId() > am2.getApplicationAttemptId().getAttemptId();
      } catch (Exception e) {
        return false;
      }
    });
    ApplicationReport report = cluster.client().getApplicationReport(appId);
    assertTrue(report.getCurrentApplicationAttemptId().getAttemptId() > am2.getApplicationAttemptId().getAttemptId()
        && report.getYarnApplicationState() != YarnApplicationState.FAILED, "after AM2's crash the application got"
        + " another attempt: AM1's end, stopped by the update, did not count as a failed one. "
        + report.getYarnApplicationState() + ": " + report.getDiagnostics());
  }

  private static ApplicationAttemptReport currentAttempt(ApplicationId appId) throws Exception {
    return cluster.client().getApplicationAttemptReport(
        cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId());
  }

  /** SIGKILLs a container's processes, as its node would: the group its launch made, read from the node's pid file. */
  private static void killProcessGroupOf(ContainerId container) throws Exception {
    Path pidFile;
    try (Stream<Path> files = Files.walk(cluster.dir())) {
      pidFile = files.filter(f -> f.getFileName().toString().equals(container + ".pid")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no NodeManager has a pid file for " + container));
    }
    String pid = Files.readString(pidFile).trim();
    Process kill = new ProcessBuilder("kill", "-9", "--", "-" + pid).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -9 of process group " + pid + " of " + container);
  }

  /** Submits the application with its workers at {@code version}; its workers once they all heartbeat. */
  private List<Worker> deploy(String appName, String version) throws Exception {
    name = appName;
    app = DistributedShellApp.submit(cluster, appName, WORKERS, version);
    appId = app.awaitRunning(Duration.ofMinutes(2));
    return WorkerLogs.awaitHeartbeating(cluster.workerReports(), version, WORKERS, Duration.ofMinutes(2));
  }

  /** Asks for an update of the application's workers from version {@code v1} to {@code v2}; returns at once. */
  private static void startUpdate(ApplicationId appId, String v1, String v2) throws Exception {
    CommandResult accepted = cluster.cli("update", appId.toString(), "--no-wait",
        "--command", currentCommand(appId).replace("WP_VERSION=" + v1, "WP_VERSION=" + v2));
    assertEquals(0, accepted.exitCode(), accepted.stdout() + accepted.stderr());
  }

  private static String currentCommand(ApplicationId appId) throws Exception {
    CommandResult current = cluster.cli("launch-context", appId.toString());
    assertEquals(0, current.exitCode(), current.stderr());
    List<String> lines = current.stdout().lines().toList();
    return lines.get(lines.indexOf("commands:") + 1).trim();
  }

  /** Every old worker is gone and each node runs as many new workers as old ones, which YARN runs for attempt 2. */
  private static void assertReplacedInPlace(ApplicationId appId, List<Worker> before, List<Worker> after)
      throws Exception {
    assertEquals(WorkerLogs.countByNode(before), WorkerLogs.countByNode(after));
    for (Worker old : before) {
      // Its process ends a moment after its replacement started when the node recovered in between.
      RealCluster.await(Duration.ofMinutes(1), "old worker " + old + " to end", () -> !old.processAlive());
    }
    assertEquals(YarnApplicationState.RUNNING, cluster.client().getApplicationReport(appId).getYarnApplicationState());
    ApplicationAttemptReport current = currentAttempt(appId);
    List<ContainerReport> containers = cluster.client().getContainers(current.getApplicationAttemptId());
    Set<String> running = containers.stream()
        .filter(c -> c.getContainerState() == ContainerState.RUNNING)
        .filter(c -> !c.getContainerId().equals(current.getAMContainerId()))
        .map(c -> c.getContainerId().toString()).collect(Collectors.toSet());
    assertEquals(after.stream().map(Worker::container).collect(Collectors.toSet()), running);
    Map<String, String> nodeOf = containers.stream().collect(
        Collectors.toMap(c -> c.getContainerId().toString(), c -> c.getAssignedNode().toString()));
    for (Worker w : after) {
      assertEquals(w.node(), nodeOf.get(w.container()), "YARN places " + w.container() + " elsewhere");
    }
  }
}
