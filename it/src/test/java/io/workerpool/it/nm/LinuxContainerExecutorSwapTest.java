package io.workerpool.it.nm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.nm.InPlaceContainersLauncher;
import io.workerpool.nm.NmWorkerPoolConfig;
import io.workerpool.protocol.ReplacementContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One in-place swap with the NodeManager on the LinuxContainerExecutor (non-secure mode): the containers run as
 * another local user ({@code nobody} unless {@value #USER_PROPERTY} names one), their work folders belong to that
 * user, and the gate's open file lives in the NodeManager's own {@code worker-pool-gates} folder.
 *
 * <p>Skipped unless a setuid {@code container-executor} is given, which CI does not have: Hadoop's binary
 * distribution ships one in {@code bin/}, or a native build of Hadoop's sources makes one. It must be
 * installed as Hadoop documents it: owned by root, its group the NodeManager's (the primary group of the user who
 * runs Maven, since the test JVM is the NodeManager), mode 6050, with a {@code container-executor.cfg} where the
 * binary was built to look for it (owned by root, not writable by others, nor any folder above it) naming that
 * group in {@code yarn.nodemanager.linux-container-executor.group}, and neither banning the container user nor
 * setting {@code min.user.id} above its uid. Then, as that user (root works: containers still run as the other
 * user):
 * <pre>
 * flock /tmp/wp-cluster.lock mvn -B -pl it -am verify -Dtest=LinuxContainerExecutorSwapTest \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dworker-pool.it.container-executor=/path/to/container-executor
 * </pre>
 * ({@code WORKER_POOL_IT_CONTAINER_EXECUTOR} in the environment works too). The test checks the binary with
 * {@code --checksetup} first and is skipped with its message if that fails.
 *
 * <p>What the test setup does so that the other user can run the test application (none of it changes the
 * hook): the test JVM's classpath, which the AM's launch command and the NodeManager's localizer JVM use, is
 * hard-linked where needed into a folder that user can read ({@link ReadableClasspath}: the Maven repository
 * usually sits in a home folder others cannot enter); the report folders, where the AM and the workers write, are
 * opened to everyone. The folders of the cluster (under {@code target/}) must be enterable by others, as Maven
 * creates them with the usual umask 022.
 */
class LinuxContainerExecutorSwapTest {
  static final String EXECUTOR_PROPERTY = "worker-pool.it.container-executor";
  static final String EXECUTOR_ENV = "WORKER_POOL_IT_CONTAINER_EXECUTOR";
  static final String USER_PROPERTY = "worker-pool.it.container-user";
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final long IMAGE_BYTES = 16L << 20;

  private static TestCluster cluster;
  private static WorkerWaits waits;
  private static TestApplication files;
  private static String containerUser;
  private static int containerUid;
  private static String javaClasspath;
  private static String surefireClasspath;

  /** Why the test cannot run here, or null. */
  private static String skipped;

  @BeforeAll
  static void startCluster() throws Exception {
    Optional<String> executor = Optional.ofNullable(System.getProperty(EXECUTOR_PROPERTY))
        .or(() -> Optional.ofNullable(System.getenv(EXECUTOR_ENV))).filter(p -> !p.isBlank());
    skipped = executor.isPresent() ? unusable(Path.of(executor.get()).toAbsolutePath()) : "Set -D"
        + EXECUTOR_PROPERTY + "=<path> (or " + EXECUTOR_ENV + ") to a setuid container-executor to run the swap"
        + " under the LinuxContainerExecutor; see the class comment";
    if (skipped != null) {
      return;
    }
    Path binary = Path.of(executor.get()).toAbsolutePath();
    javaClasspath = System.getProperty("java.class.path");
    surefireClasspath = System.getProperty("surefire.test.class.path");
    String readable = ReadableClasspath.of(surefireClasspath != null ? surefireClasspath : javaClasspath,
        Path.of("target", "nm-lce-classpath").toAbsolutePath());
    System.setProperty("java.class.path", readable);
    System.setProperty("surefire.test.class.path", readable);

    cluster = TestCluster.builder("nm-lce").nodeManagers(1).restartableNodeManagers()
        .set(YarnConfiguration.NM_CONTAINER_EXECUTOR, LinuxContainerExecutor.class.getName())
        .set(YarnConfiguration.NM_LINUX_CONTAINER_EXECUTOR_PATH, binary.toString())
        .set(YarnConfiguration.NM_NONSECURE_MODE_LIMIT_USERS, "true")
        .set(YarnConfiguration.NM_NONSECURE_MODE_LOCAL_USER_KEY, containerUser)
        .set(YarnConfiguration.NM_CONTAINERS_LAUNCHER_CLASS, InPlaceContainersLauncher.class.getName())
        .set(YarnConfiguration.RM_PLACEMENT_CONSTRAINTS_HANDLER,
            YarnConfiguration.SCHEDULER_RM_PLACEMENT_CONSTRAINTS_HANDLER)
        .set(NmWorkerPoolConfig.STOP_GRACE_MS, "3000")
        .set(NmWorkerPoolConfig.STOP_TIMEOUT_MS, "20000")
        .start();
    waits = new WorkerWaits(cluster.report(), WAIT);
    Path reports = cluster.report().root();
    for (Path folder : List.of(reports, reports.resolve("am"), reports.resolve("workers"))) {
      Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxrwxrwx"));
    }
    files = TestApplication.stage(cluster.workDir().resolve("staging"), cluster.report(), cluster.confDir(),
        IMAGE_BYTES);
  }

  /** Skips here rather than in {@link #startCluster}: a skip there is not reported, with its reason, as a skip. */
  @BeforeEach
  void requireContainerExecutor() {
    assumeTrue(skipped == null, skipped);
  }

  /** Why the binary cannot run the test's containers, or null if it can. */
  private static String unusable(Path binary) throws InterruptedException {
    String setup = run(binary.toString(), "--checksetup");
    if (!setup.startsWith("0 ")) {
      return binary + " --checksetup failed (install it root-owned, group of the NodeManager, mode"
          + " 6050, with its container-executor.cfg): " + setup;
    }
    containerUser = System.getProperty(USER_PROPERTY, "nobody");
    String id = run("id", "-u", containerUser);
    if (!id.startsWith("0 ")) {
      return "No local user " + containerUser + " (" + USER_PROPERTY + "): " + id;
    }
    containerUid = Integer.parseInt(id.substring(2).strip());
    return containerUid == 0 ? "The containers must run as a user other than root" : null;
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (javaClasspath != null) {
      System.setProperty("java.class.path", javaClasspath);
    }
    if (surefireClasspath != null) {
      System.setProperty("surefire.test.class.path", surefireClasspath);
    }
  }

  @Test
  void theNewContainerRunsAsTheApplicationUserInThePlaceOfTheOldOneBehindAGateTheNodeManagerOwns()
      throws Exception {
    ReplacingApplication app = ReplacingApplication.submit(files, cluster.client(), "lce-swap");
    try {
      String c1 = waits.allocated(app, app.command("worker"));
      waits.beating(c1, 3);

      String c3 = waits.allocated(app, app.command("replace " + c1));
      WorkerReport fresh = waits.beating(c3, 3);
      WorkerReport old = waits.report(c1).orElseThrow();

      System.out.printf("LCE swap gap %s -> %s: %d ms (old last heartbeat -> new first heartbeat)%n", c1, c3,
          fresh.firstHeartbeatMs() - old.lastHeartbeatMs());
      assertEquals(old.nodeId(), fresh.nodeId(), c3 + " runs on the node of " + c1);
      assertTrue(old.lastHeartbeatMs() < fresh.firstHeartbeatMs(),
          "old last heartbeat " + old.lastHeartbeatMs() + " precedes new first " + fresh.firstHeartbeatMs());
      assertTrue(old.stopped(), c1 + " logged that it was stopped");
      assertFalse(Files.exists(Path.of("/proc", Long.toString(old.pid()))), "process " + old.pid() + " of " + c1
          + " is gone when " + c3 + " runs");
      assertEquals(containerUid, Files.getAttribute(Path.of("/proc", Long.toString(fresh.pid())), "unix:uid"),
          c3 + "'s worker process runs as " + containerUser);
      for (String worker : List.of(c1, c3)) {
        assertEquals(containerUser, Files.getOwner(workerLog(worker)).getName(), worker + " wrote its report as "
            + containerUser);
      }
      String completion = waits.eventually(() -> app.completion(c1));
      assertTrue(completion.startsWith("exit=" + ReplacementContract.REPLACED_EXIT_STATUS + " "), completion);
      assertTrue(completion.contains(ReplacementContract.replacedDiagnostic(c1, c3)), completion);

      // The gate: C3's process waited in its own folder for a file that only the NodeManager could create.
      String nmUser = System.getProperty("user.name");
      Path workDir = Path.of(nmContainer(c3).orElseThrow().getWorkDir());
      Path gates = gatesFolder(c3).orElseThrow(() -> new AssertionError("no worker-pool-gates folder holds " + c3));
      Path openFile = gates.resolve(c3 + ".open");
      assertEquals(containerUser, Files.getOwner(workDir).getName(), "the executor made " + workDir
          + " the application user's");
      // This test's NodeManager may run as root, which could write there anyway; one that does not could not.
      assertEquals("rwx--x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(workDir)),
          "only the application user may create files in " + workDir);
      assertEquals(nmUser, Files.getOwner(gates).getName());
      assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(gates)));
      assertEquals(nmUser, Files.getOwner(openFile).getName(), "the NodeManager opened the gate");
      assertTrue(Files.readString(workDir.resolve("launch_container.sh")).contains("[[ -e " + openFile + " ]]"),
          "C3's launch script waits for " + openFile);
      assertEquals(Long.toString(old.pid()), Files.readString(gates.resolve(c3 + ".replaced-pid")).strip(),
          "the NodeManager recorded " + c1 + "'s process before stopping it");
      assertTrue(Files.exists(workDir.resolve(".worker-pool-gate-ready")), "C3's process marked itself ready");
      try (Stream<Path> inWorkDir = Files.walk(workDir)) {
        for (Path file : inWorkDir.toList()) {
          assertEquals(containerUser, Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName(), "nothing in " + c3 + "'s work folder is the"
              + " NodeManager's: " + file);
        }
      }

      // The AM stops its workers when it ends: C3's gate files go with C3.
      app.stop();
      await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> nmContainer(c3)
          .map(c -> c.getContainerState() == ContainerState.DONE).orElse(true));
      await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
        try (Stream<Path> left = Files.list(gates)) {
          return left.noneMatch(f -> f.getFileName().toString().startsWith(c3 + "."));
        }
      });
    } finally {
      app.stop();
    }
  }

  /**
   * The NodeManager restarts (recovery on) while C1 is being stopped and C3 waits at its gate: the restarted
   * NodeManager finds from its own gate files that C3's gate was never opened and opens it only once C1 is gone.
   */
  @Test
  void aNodeManagerRestartWhileTheOldContainerStopsKeepsTheNewOneBehindItsGateUntilTheOldOneIsGone()
      throws Exception {
    ReplacingApplication app = ReplacingApplication.submit(files, cluster.client(), "lce-restart");
    try {
      // Ignores SIGTERM (without a word): it is being stopped for the whole grace, until SIGKILL.
      String c1 = waits.allocated(app, app.command("stubborn"));
      waits.beating(c1, 3);
      String c3 = waits.allocated(app, app.command("replace " + c1));
      await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> nmContainer(c1)
          .map(Container::getContainerState), Optional.of(ContainerState.KILLING)::equals);
      assertTrue(gatesFolder(c3).isPresent() && !Files.exists(gatesFolder(c3).get().resolve(c3 + ".open")),
          c3 + "'s gate is closed while " + c1 + " stops");

      long restartedAt = System.currentTimeMillis();
      cluster.restartNodeManager(0);

      WorkerReport fresh = await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
          .until(() -> waits.report(c3), r -> r.isPresent() && r.get().heartbeats() >= 3).orElseThrow();
      WorkerReport old = waits.report(c1).orElseThrow();
      assertTrue(fresh.firstHeartbeatMs() > restartedAt, c3 + "'s command ran after the restart");
      assertTrue(old.lastHeartbeatMs() < fresh.firstHeartbeatMs(),
          "old last heartbeat " + old.lastHeartbeatMs() + " precedes new first " + fresh.firstHeartbeatMs());
      assertFalse(Files.exists(Path.of("/proc", Long.toString(old.pid()))), c1 + " is gone");
      assertEquals(1, cluster.report().times(c3, "start").size(), c3 + " started once");
      assertEquals(containerUid, Files.getAttribute(Path.of("/proc", Long.toString(fresh.pid())), "unix:uid"),
          c3 + "'s worker process runs as " + containerUser);
      String completion = waits.eventually(() -> app.completion(c1));
      assertTrue(completion.startsWith("exit=" + ReplacementContract.REPLACED_EXIT_STATUS + " "), completion);
      assertTrue(completion.contains(ReplacementContract.replacedDiagnostic(c1, c3)), completion);
    } finally {
      app.stop();
    }
  }

  /** The NodeManager's folder that holds C3's gate files. */
  private static Optional<Path> gatesFolder(String c3) {
    return cluster.nodeManager(0).getNMContext().getLocalDirsHandler().getLocalDirsForRead().stream()
        .map(dir -> Path.of(dir, "worker-pool-gates"))
        .filter(folder -> Files.exists(folder.resolve(c3 + ".gated")))
        .findFirst();
  }

  private static Path workerLog(String containerId) {
    return cluster.report().root().resolve("workers").resolve(containerId + ".log");
  }

  private static Optional<Container> nmContainer(String containerId) {
    return Optional.ofNullable(cluster.nodeManager(0).getNMContext().getContainers()
        .get(ContainerId.fromString(containerId)));
  }





  /** "<exit code> <output>" of a short command. */
  private static String run(String... command) throws InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException cannotStart) {
      return "unstartable " + cannotStart.getMessage();
    }
    String output;
    try {
      output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException unreadable) {
      output = unreadable.getMessage();
    }
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return "timeout " + output;
    }
    return process.exitValue() + " " + output;
  }
}
