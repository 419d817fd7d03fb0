package io.workerpool.it.nm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.nm.InPlaceContainersLauncher;
import io.workerpool.nm.NmWorkerPoolConfig;
import io.workerpool.nm.SwapMetrics;
import io.workerpool.protocol.ReplacementContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NodeManager hook on a real MiniYARNCluster without the Worker Pool's RM side: a test AM asks
 * for containers whose allocation tags are the replacement mark (and the batch tag), and the RM
 * signs them into their tokens as it does for any SchedulingRequest tag. One NodeManager, so a
 * marked container lands on the node of the container it names. Observed through the workers' and
 * AMs' own reports.
 */
class InPlaceContainersLauncherTest {
  private static final long IMAGE_BYTES = 64L << 20;
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long GRACE_MS = 3_000;
  /** Long enough for a test to act on a prepared C3 that waits for its batch, short enough to wait out once. */
  private static final long BATCH_WAIT_MS = 10_000;

  private static TestCluster cluster;
  private static WorkerWaits waits;
  private static TestApplication files;
  private final List<ReplacingApplication> apps = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = TestCluster.builder("nm-in-place").nodeManagers(1)
        .set(YarnConfiguration.NM_CONTAINERS_LAUNCHER_CLASS, InPlaceContainersLauncher.class.getName())
        // The scheduler handles SchedulingRequests and copies their allocation tags into container tokens.
        .set(YarnConfiguration.RM_PLACEMENT_CONSTRAINTS_HANDLER,
            YarnConfiguration.SCHEDULER_RM_PLACEMENT_CONSTRAINTS_HANDLER)
        // Three AMs of 512 MB on one 4 GB node.
        .set("yarn.scheduler.capacity.maximum-am-resource-percent", "0.5")
        .set(NmWorkerPoolConfig.STOP_GRACE_MS, Long.toString(GRACE_MS))
        .set(NmWorkerPoolConfig.STOP_TIMEOUT_MS, "20000")
        .set(NmWorkerPoolConfig.BATCH_WAIT_MS, Long.toString(BATCH_WAIT_MS))
        .start();
    waits = new WorkerWaits(cluster.report(), WAIT);
    files = TestApplication.stage(cluster.workDir().resolve("staging"), cluster.report(), cluster.confDir(),
        IMAGE_BYTES);
  }

  /** Each test's applications end with it: the node has room for few AMs. */
  @AfterEach
  void stopApplications() throws Exception {
    for (ReplacingApplication app : apps) {
      app.stop();
    }
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theMarkedContainerStartsInThePlaceOfTheOldOneOnceItIsGone() throws Exception {
    ReplacingApplication app = submit("swap");
    String c1 = waits.allocated(app, app.command("worker"));
    waits.beating(c1, 3);
    SwapMetrics metrics = metrics();
    long started = metrics.swapsStarted();
    long done = metrics.swapsDone();

    String c3 = waits.allocated(app, app.command("replace " + c1));
    WorkerReport fresh = waits.beating(c3, 3);
    WorkerReport old = waits.report(c1).orElseThrow();

    long gapMs = fresh.firstHeartbeatMs() - old.lastHeartbeatMs();
    System.out.printf("swap gap %s -> %s: %d ms (old last heartbeat -> new first heartbeat)%n", c1, c3, gapMs);
    assertTrue(old.lastHeartbeatMs() < fresh.firstHeartbeatMs(),
        "old last heartbeat " + old.lastHeartbeatMs() + " precedes new first " + fresh.firstHeartbeatMs());
    assertTrue(old.stopped(), c1 + " logged that it was stopped");
    assertFalse(Files.exists(Path.of("/proc", Long.toString(old.pid()))), "process " + old.pid() + " of " + c1
        + " is gone when " + c3 + " runs");
    assertEquals(0, fresh.bytesMissed(), "nothing downloaded again for " + c3 + ": " + fresh.localizationCounters());
    assertTrue(fresh.bytesCached() >= IMAGE_BYTES, "the image is a cache hit: " + fresh.localizationCounters());

    String completion = waits.eventually(() -> app.completion(c1));
    assertTrue(completion.startsWith("exit=" + ReplacementContract.REPLACED_EXIT_STATUS + " "),
        "the AM saw " + c1 + " complete with " + completion);
    assertTrue(completion.contains(ReplacementContract.replacedDiagnostic(c1, c3)), completion);
    assertTrue(completion.contains("Container exited with code 0."), "the worker's own exit code 0 did not"
        + " overwrite the replaced status: " + completion);
    assertEquals(started + 1, metrics.swapsStarted());
    assertEquals(done + 1, metrics.swapsDone());
  }

  @Test
  void refusedMarksStopNothingAndTheNewContainersStillStart() throws Exception {
    ReplacingApplication app = submit("refused-marks");
    ReplacingApplication other = submit("other-application");
    String worker = waits.allocated(app, app.command("worker"));
    String otherWorker = waits.allocated(other, other.command("worker"));
    String amContainer = waits.eventually(app::amContainer);
    String missing = ContainerId.newContainerId(ApplicationAttemptId.newInstance(app.id(), 1), 999).toString();
    waits.beating(worker, 3);
    waits.beating(otherWorker, 3);
    SwapMetrics metrics = metrics();
    long started = metrics.swapsStarted();
    long failed = metrics.swapsFailed();

    List<String> newContainers = List.of(
        waits.allocated(app, app.command("replace " + otherWorker)),
        waits.allocated(app, app.command("replace " + missing)),
        waits.allocated(app, app.command("replace " + amContainer)),
        waits.allocated(app, app.command("claim " + worker)));
    long lastStart = 0;
    for (String container : newContainers) {
      lastStart = Math.max(lastStart, waits.beating(container, 3).firstHeartbeatMs());
    }

    for (String untouched : List.of(worker, otherWorker)) {
      long since = lastStart;
      WorkerReport alive = await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
          .until(() -> waits.report(untouched).orElseThrow(), r -> r.lastHeartbeatMs() > since + 500);
      assertFalse(alive.stopped(), untouched + " was not stopped");
      assertTrue(Files.exists(Path.of("/proc", Long.toString(alive.pid()))), untouched + " still runs");
    }
    assertEquals(YarnApplicationState.RUNNING, cluster.client().getApplicationReport(app.id())
        .getYarnApplicationState(), "the AM named by a mark still runs");
    assertTrue(app.amLines().stream().noneMatch(l -> l.startsWith("completed ")), app.amLines().toString());
    assertEquals(started, metrics.swapsStarted(), "no swap started");
    assertEquals(failed + 3, metrics.swapsFailed(), "three marks refused");
  }

  @Test
  void stoppingTheNewContainerAtItsGateWhileTheOldOneStopsCancelsItsCommand() throws Exception {
    ReplacingApplication app = submit("cancelled");
    // Ignores SIGTERM: C3 waits at its gate for the whole grace period, until SIGKILL.
    String c1 = waits.allocated(app, app.command("stubborn"));
    waits.beating(c1, 3);
    SwapMetrics metrics = metrics();
    long started = metrics.swapsStarted();
    long done = metrics.swapsDone();
    long failed = metrics.swapsFailed();

    String c3 = waits.allocated(app, app.command("replace " + c1));
    awaitPrepared(c3);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
        .until(() -> nmContainer(c1).map(Container::getContainerState), Optional.of(ContainerState.KILLING)::equals);
    app.command("stop " + c3);

    waits.eventually(() -> app.completion(c3));
    String c1Completion = waits.eventually(() -> app.completion(c1));
    assertTrue(c1Completion.startsWith("exit=" + ReplacementContract.REPLACED_EXIT_STATUS + " "), c1Completion);
    WorkerReport old = waits.report(c1).orElseThrow();
    assertFalse(old.stopped(), c1 + " ignored SIGTERM");
    assertFalse(Files.exists(Path.of("/proc", Long.toString(old.pid()))), c1 + " was killed after the grace period");
    assertEquals(Optional.empty(), waits.report(c3), c3 + " never ran");
    assertEquals(started + 1, metrics.swapsStarted());
    assertEquals(done, metrics.swapsDone());
    assertEquals(failed, metrics.swapsFailed());
  }

  @Test
  void theOldContainersOfABatchStopOnceEveryNewOneIsPreparedAndEachNewCommandRunsAfterItsOldOneIsGone()
      throws Exception {
    ReplacingApplication app = submit("batch");
    List<String> olds = List.of(waits.allocated(app, app.command("worker")),
        waits.allocated(app, app.command("worker")));
    for (String c1 : olds) {
      waits.beating(c1, 3);
    }
    long done = metrics().swapsDone();

    List<String> news = new ArrayList<>();
    for (String c1 : olds) {
      news.add(waits.allocated(app, app.command("replace " + c1 + " 2/batch-" + app.id())));
    }
    for (int i = 0; i < olds.size(); i++) {
      WorkerReport fresh = waits.beating(news.get(i), 3);
      WorkerReport old = waits.report(olds.get(i)).orElseThrow();
      assertTrue(old.stopped(), olds.get(i) + " logged that it was stopped");
      assertTrue(old.lastHeartbeatMs() < fresh.firstHeartbeatMs(), olds.get(i) + "'s last heartbeat "
          + old.lastHeartbeatMs() + " precedes " + news.get(i) + "'s first " + fresh.firstHeartbeatMs());
    }
    assertEquals(done + 2, metrics().swapsDone());
  }

  @Test
  void aBatchWhoseOtherNewContainerNeverComesSwapsAfterItsWait() throws Exception {
    ReplacingApplication app = submit("batch-of-one");
    String c1 = waits.allocated(app, app.command("worker"));
    waits.beating(c1, 3);

    // The batch tag says two new containers come to this node; only one does.
    String c3 = waits.allocated(app, app.command("replace " + c1 + " 2/lonely-" + app.id()));
    WorkerReport fresh = waits.beating(c3, 3);
    WorkerReport old = waits.report(c1).orElseThrow();
    assertTrue(old.stopped(), c1 + " logged that it was stopped");
    assertTrue(old.lastHeartbeatMs() < fresh.firstHeartbeatMs(), "old last heartbeat " + old.lastHeartbeatMs()
        + " precedes new first " + fresh.firstHeartbeatMs());
  }

  @Test
  void aPreparedNewContainerWhoseProcessEndsAtItsGateLeavesTheOldOneRunning() throws Exception {
    ReplacingApplication app = submit("ended-at-gate");
    String c1 = waits.allocated(app, app.command("worker"));
    waits.beating(c1, 3);
    long failed = metrics().swapsFailed();

    // Waits for a second member of its batch that never comes: prepared, C1 not stopped yet.
    String c3 = waits.allocated(app, app.command("replace " + c1 + " 2/ended-" + app.id()));
    Path workDir = awaitPrepared(c3);
    long pid = Long.parseLong(Files.readString(pidFile(c3, workDir)).strip());
    assertTrue(ProcessHandle.of(pid).orElseThrow().destroyForcibly(), "killed " + c3 + "'s process " + pid);

    String completion = waits.eventually(() -> app.completion(c3));
    assertTrue(completion.contains("ended before its gate"), completion);
    assertKeepsRunning(c1);
    assertEquals(Optional.empty(), waits.report(c3), c3 + "'s command never ran");
    assertEquals(failed + 1, metrics().swapsFailed());
  }

  @Test
  void aPreparedNewContainerThatIsStoppedLeavesTheOldOneRunning() throws Exception {
    ReplacingApplication app = submit("stopped-at-gate");
    String c1 = waits.allocated(app, app.command("worker"));
    waits.beating(c1, 3);
    long started = metrics().swapsStarted();

    String c3 = waits.allocated(app, app.command("replace " + c1 + " 2/stopped-" + app.id()));
    awaitPrepared(c3);
    app.command("stop " + c3);

    waits.eventually(() -> app.completion(c3));
    assertKeepsRunning(c1);
    assertEquals(Optional.empty(), waits.report(c3), c3 + "'s command never ran");
    assertEquals(started, metrics().swapsStarted(), "no old container was asked to stop");
  }

  private ReplacingApplication submit(String name) throws Exception {
    ReplacingApplication app = ReplacingApplication.submit(files, cluster.client(), name);
    apps.add(app);
    return app;
  }

  /** C1 heartbeats on well after the moment this is called, and never logged a stop. */
  private static void assertKeepsRunning(String c1) {
    long since = System.currentTimeMillis();
    WorkerReport alive = await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
        .until(() -> waits.report(c1).orElseThrow(), r -> r.lastHeartbeatMs() > since + 1_000);
    assertFalse(alive.stopped(), c1 + " was not stopped");
    assertTrue(Files.exists(Path.of("/proc", Long.toString(alive.pid()))), c1 + " still runs");
  }

  /** C3's work folder once its process waits at the gate in front of its command. */
  private static Path awaitPrepared(String c3) {
    return await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
      String workDir = nmContainer(c3).map(Container::getWorkDir).orElse(null);
      return workDir != null && Files.exists(Path.of(workDir, ".worker-pool-gate-ready")) ? Path.of(workDir) : null;
    }, Objects::nonNull);
  }

  private static Optional<Container> nmContainer(String containerId) {
    return Optional.ofNullable(cluster.yarn().getNodeManager(0).getNMContext().getContainers()
        .get(ContainerId.fromString(containerId)));
  }

  /** The NodeManager's pid file of a container: nmPrivate/app/container/container.pid in the local dir of its work dir. */
  private static Path pidFile(String containerId, Path workDir) throws Exception {
    // <local dir>/usercache/<user>/appcache/<app>/<container>
    Path localDir = workDir.getParent().getParent().getParent().getParent().getParent();
    try (Stream<Path> files = Files.walk(localDir.resolve("nmPrivate"))) {
      return files.filter(f -> f.getFileName().toString().equals(containerId + ".pid")).findFirst().orElseThrow();
    }
  }

  private static SwapMetrics metrics() {
    return InPlaceContainersLauncher.of(cluster.yarn().getNodeManager(0).getNMContext()).orElseThrow().metrics();
  }




}
