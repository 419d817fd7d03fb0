package io.workerpool.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.cli.LaunchContextFile;
import io.workerpool.client.cli.WorkerPoolCli;
import io.workerpool.flink.cli.InPlaceCliFrontend;
import io.workerpool.flink.testjob.CountingJob;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.WorkerPoolSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.client.cli.DefaultCLI;
import org.apache.flink.client.cli.GenericCLI;
import org.apache.flink.client.deployment.application.ApplicationConfiguration;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.yarn.YarnClientYarnClusterInformationRetriever;
import org.apache.flink.yarn.YarnClusterDescriptor;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ContainerReport;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.QueueMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real Flink 2.2.0 streaming job (keyed state, checkpointing) as an application cluster on a
 * MiniYARNCluster with the Worker Pool: restarted in place with a new TaskManager JVM option and a
 * new job jar, then the same restart the ordinary way (savepoint, kill, resubmit) for comparison.
 * The tests share one cluster and run in order: each continues with the application the previous
 * one left running.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FlinkInPlaceRestartTest {
  private static final String CLUSTER = "flink-in-place";
  private static final String MARKER_OPTION = "-Dworkerpool.test.marker=";
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static TestCluster cluster;
  private static FlinkOnMiniYarn flink;
  private static Path work;
  private static Path records;
  /** The application the next test works on. */
  private static ApplicationId running;

  @BeforeAll
  static void startCluster() throws Exception {
    TestCluster.Builder builder = TestCluster.builder(CLUSTER).nodeManagers(2).nodeMemoryMb(3072);
    WorkerPoolSettings.apply(builder, 30_000, true);
    cluster = FlinkOnMiniYarn.configure(builder, CLUSTER).start();
    work = cluster.workDir();
    flink = FlinkOnMiniYarn.prepare(work);
    records = Files.createTempDirectory(Files.createDirectories(work), "records-");
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      if (running != null) {
        cluster.client().killApplication(running);
      }
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void inPlaceRestartKeepsTaskManagerContainersAndStateWithNewOptionAndJar() throws Exception {
    ApplicationId appId = deploy(configuration("v1"), "v1");
    awaitRecords("v1", 40);
    ApplicationAttemptId attempt1 = ApplicationAttemptId.newInstance(appId, 1);
    Map<String, String> oldTaskManagers = taskManagers(attempt1);
    assertEquals(2, oldTaskManagers.size(), "two TaskManagers: " + oldTaskManagers);
    QueueMetrics queue = rm().getResourceScheduler().getRootQueueMetrics();
    long allocationsBefore = localityAllocations(queue);

    RestartReport report = restartInPlace(appId, "v2", StateMode.SAVEPOINT);
    System.out.println(report.format());
    Path firstStaging = work.resolve("staging/.flink").resolve(appId.toString());
    assertFalse(Files.exists(firstStaging), "the previous staging directory is deleted: " + firstStaging);
    assertTrue(Files.isDirectory(Path.of(java.net.URI.create(report.stagingDirectory())).resolve(".flink")
        .resolve(appId.toString())), "the new JobManager's files are in " + report.stagingDirectory());

    ApplicationAttemptId attempt2 = ApplicationAttemptId.newInstance(appId, 2);
    assertEquals(attempt2, cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId());
    assertEquals(YarnApplicationState.RUNNING, cluster.client().getApplicationReport(appId).getYarnApplicationState());
    Map<String, String> newTaskManagers = taskManagers(attempt2);
    assertEquals(sorted(oldTaskManagers.values()), sorted(newTaskManagers.values()),
        "the new TaskManagers sit on the old ones' nodes: " + oldTaskManagers + " -> " + newTaskManagers);
    for (String container : newTaskManagers.keySet()) {
      assertTrue(container.contains("_02_"), container + " belongs to attempt 2");
      String commandLine = TaskManagerProcesses.commandLine(container).orElseThrow(
          () -> new AssertionError("no TaskManager process of " + container));
      assertTrue(commandLine.contains(MARKER_OPTION + "v2"), "the new JVM option runs: " + commandLine);
    }
    for (String container : oldTaskManagers.keySet()) {
      assertTrue(TaskManagerProcesses.commandLine(container).isEmpty(), "old TaskManager " + container + " ended");
    }
    assertEquals(0, localityAllocations(queue) - allocationsBefore,
        "nothing was scheduled: the new JobManager took the old one's place, the TaskManagers theirs");
    RMApp rmApp = rm().getRMContext().getRMApps().get(appId);
    assertEquals(0, rmApp.getCurrentAppAttempt().getRMAppAttemptMetrics().getTotalAllocatedContainers(),
        "attempt 2 got no container through ordinary scheduling");

    List<JobRecords.Entry> entries = awaitRecords("v2", 40);
    assertStateContinues(entries, "v1", "v2");
    long inPlace = downtime(entries, "v1", "v2");
    // The TaskManager JVMs' start splits the downtime: before it the swap, after it Flink's own restart.
    long lastV1 = lastBefore(entries, "v1", "v2");
    long firstV2 = firstOf(entries, "v2");
    List<Long> jvmStarts = new ArrayList<>();
    for (String container : newTaskManagers.keySet()) {
      jvmStarts.add(TaskManagerProcesses.startedAtMs(container).orElseThrow());
    }
    System.out.printf("in place: last v1 record -> new TaskManager JVMs started %s ms; last JVM start -> first v2"
        + " record %d ms (the TaskManager JVM start and Flink's restart: the floor of an in-place restart)%n",
        jvmStarts.stream().map(t -> t - lastV1).toList(), firstV2 - jvmStarts.stream().mapToLong(t -> t).max()
            .orElseThrow());

    // The same change the ordinary way, on the same cluster: savepoint, kill, resubmit.
    long ordinaryStarted = System.currentTimeMillis();
    String savepoint;
    try (YarnClusterDescriptor descriptor = descriptor(configuration("v2"));
        ClusterClient<ApplicationId> client = descriptor.retrieve(appId).getClusterClient()) {
      var job = client.listJobs().get(30, TimeUnit.SECONDS).iterator().next().getJobId();
      savepoint = client.triggerSavepoint(job, null, SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
    }
    cluster.client().killApplication(appId);
    Configuration v3 = configuration("v3");
    v3.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    ApplicationId resubmitted = deploy(v3, "v3");
    entries = awaitRecords("v3", 40);
    long ordinaryWall = System.currentTimeMillis() - ordinaryStarted;
    assertStateContinues(entries, "v2", "v3");
    long ordinary = downtime(entries, "v2", "v3");
    System.out.printf("%n%-34s %14s%n%-34s %14d%n%-34s %14d%n(downtime: last record before -> first record after;"
            + " the ordinary restart took %d ms from savepoint to first record)%n",
        "restart (2 TaskManagers)", "downtime (ms)", "in place (flink restart --in-place)", inPlace,
        "savepoint + kill + resubmit", ordinary, ordinaryWall);
    running = resubmitted;
  }

  @Test
  @Order(2)
  void badInputIsRefusedClearlyAndTheJobKeepsRunning() throws Exception {
    ApplicationId appId = running;
    ApplicationAttemptId attempt = cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId();
    Path jar = JobJars.build(work.resolve("jars"), "v4");

    ApplicationId unknown = ApplicationId.newInstance(appId.getClusterTimestamp(), 9999);
    assertRefused(cli("v4", unknown, jar), "the ResourceManager does not know " + unknown);
    ApplicationId notFlink = submitNonFlinkApplication();
    try {
      assertRefused(cli("v4", notFlink, jar), notFlink + " is not a Flink application: its type is 'SHELL'");
    } finally {
      cluster.client().killApplication(notFlink);
    }
    ApplicationId killed = ApplicationId.newInstance(appId.getClusterTimestamp(), 1);
    assertRefused(cli("v4", killed, jar), killed + " is not running: it is KILLED");
    assertRefused(cli("v4", appId, work.resolve("jars/no-such-job.jar")), "no-such-job.jar does not exist");
    // Under a regular file: not even root can create it.
    Path aFile = Files.writeString(work.resolve("not-a-directory"), "x");
    assertRefused(cli("v4", appId, jar, "--savepoint-dir", aFile.toUri() + "/savepoints"), "the savepoint of job");

    assertEquals(attempt, cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId(),
        "no update was started");
    assertEquals(YarnApplicationState.RUNNING, cluster.client().getApplicationReport(appId).getYarnApplicationState());
    int seen = JobRecords.ofVersion(JobRecords.read(records), "v3").size();
    awaitRecords("v3", seen + 20);
  }

  @Test
  @Order(3)
  void statelessRestartThroughTheCliStartsTheNewJobEmpty() throws Exception {
    ApplicationId appId = running;
    ApplicationAttemptId attempt = cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId();
    CliRun run = cli("v4", appId, JobJars.build(work.resolve("jars"), "v4"), "--mode", "stateless");
    System.out.println(run.out() + run.err());
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("restarted " + appId + " in place (stateless)"), run.out());
    assertTrue(run.out().contains("-> appattempt_" + appId.toString().substring("application_".length()) + "_000002"),
        run.out());
    assertEquals(attempt.getAttemptId() + 1,
        cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId().getAttemptId());
    List<JobRecords.Entry> entries = awaitRecords("v4", 20);
    Map<String, Long> firstCounts = new TreeMap<>();
    JobRecords.ofVersion(entries, "v4").forEach(e -> firstCounts.merge(e.key(), e.count(), Math::min));
    assertEquals(CountingJob.KEYS, firstCounts.size(), firstCounts.toString());
    assertTrue(firstCounts.values().stream().allMatch(c -> c == 1), "every counter starts at 1: " + firstCounts);
    System.out.println("stateless in place: downtime (last v3 record -> first v4 record) "
        + downtime(entries, "v3", "v4") + " ms");
  }

  /** An operator's round trip: print the JobManager's launch context, edit one value, update with the file. */
  @Test
  @Order(4)
  void theCliRoundTripsTheJobManagersLaunchContextWithOneEdit() throws Exception {
    ApplicationId appId = running;
    int attemptBefore = cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId().getAttemptId();
    CliRun printed = workerPoolCli("launch-context", appId.toString(), "--json");
    assertEquals(0, printed.code(), printed.err());
    Path file = Files.writeString(work.resolve("jobmanager-context.json"), printed.out());
    LaunchContextFile edited = LaunchContextFile.parse(file.toFile());
    String added = "\"WORKER_POOL_ROUND_TRIP\" : \"1\",";
    // Where an operator would type it: the printed environment is sorted by name (parsing keeps file order).
    Map<String, String> environment = new TreeMap<>(edited.environment);
    environment.put("WORKER_POOL_ROUND_TRIP", "1");
    edited.environment = environment;
    Files.writeString(file, edited.toJson());
    List<String> editedLines = new ArrayList<>(Files.readAllLines(file));
    assertTrue(editedLines.removeIf(line -> line.strip().equals(added)), "the edit is one line: " + editedLines);
    assertEquals(printed.out().lines().toList(), editedLines, "nothing else differs from what was printed");

    CliRun update = workerPoolCli("update", appId.toString(), "--launch-context", file.toString(), "--timeout",
        "PT2M");
    System.out.println(update.out() + update.err());
    assertEquals(0, update.code(), update.out() + update.err());

    assertEquals(attemptBefore + 1,
        cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId().getAttemptId());
    CliRun after = workerPoolCli("launch-context", appId.toString(), "--json");
    assertEquals(Files.readString(file), after.out(), "the stored context is the edited file, byte for byte");
  }

  @Test
  @Order(5)
  void lastStateRestartWithZooKeeperHaContinuesFromTheLatestCheckpoint() throws Exception {
    cluster.client().killApplication(running);
    running = null;
    try (ZooKeeperTestServer zooKeeper = ZooKeeperTestServer.start(work.resolve("zookeeper"))) {
      ApplicationId appId = deploy(haConfiguration("v5", zooKeeper), "v5");
      running = appId;
      awaitRecords("v5", 60);
      Map<String, String> oldTaskManagers = taskManagers(ApplicationAttemptId.newInstance(appId, 1));
      long allocationsBefore = localityAllocations(rm().getResourceScheduler().getRootQueueMetrics());
      Configuration v6 = haConfiguration("v6", zooKeeper);
      v6.set(PipelineOptions.JARS, List.of(JobJars.build(work.resolve("jars"), "v6").toUri().toString()));
      RestartReport report = new InPlaceRestart(new YarnConfiguration(cluster.config()),
          line -> System.out.println("restart: " + line)).restart(new RestartRequest(appId, v6,
          new ApplicationConfiguration(new String[] {records.toString()}, CountingJob.class.getName()),
          StateMode.LAST_STATE, null, TIMEOUT));
      System.out.println(report.format());
      assertEquals(report.oldJobId(), report.newJobId(), "the job id (from the HA cluster id) stays");
      List<JobRecords.Entry> entries = awaitRecords("v6", 40);
      assertStateContinues(entries, "v5", "v6");
      ApplicationAttemptId attempt2 = ApplicationAttemptId.newInstance(appId, 2);
      assertEquals(attempt2, cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId());
      // The old TaskManagers exit when the new JobManager rejects them; their places are held and converted.
      Map<String, String> newTaskManagers = taskManagers(attempt2);
      assertEquals(sorted(oldTaskManagers.values()), sorted(newTaskManagers.values()),
          "the new TaskManagers sit on the old ones' nodes: " + oldTaskManagers + " -> " + newTaskManagers);
      assertTrue(newTaskManagers.keySet().stream().allMatch(c -> c.contains("_02_")), newTaskManagers.toString());
      assertEquals(0, localityAllocations(rm().getResourceScheduler().getRootQueueMetrics()) - allocationsBefore,
          "nothing was scheduled: the new JobManager took the old one's place, the TaskManagers theirs");
      assertEquals(0, rm().getRMContext().getRMApps().get(appId).getCurrentAppAttempt().getRMAppAttemptMetrics()
          .getTotalAllocatedContainers(), "attempt 2 got no container through ordinary scheduling");
      System.out.println("last-state in place: downtime (last v5 record -> first v6 record) "
          + downtime(entries, "v5", "v6") + " ms");
      cluster.client().killApplication(appId);
      running = null;
    }
  }

  private static Configuration haConfiguration(String version, ZooKeeperTestServer zooKeeper) {
    Configuration conf = configuration(version);
    conf.set(HighAvailabilityOptions.HA_MODE, "zookeeper");
    conf.set(HighAvailabilityOptions.HA_ZOOKEEPER_QUORUM, zooKeeper.connectString());
    conf.set(HighAvailabilityOptions.HA_STORAGE_PATH, work.resolve("ha").toUri().toString());
    // The old JobManager's leadership ends with its ZooKeeper session when it is killed.
    conf.set(HighAvailabilityOptions.ZOOKEEPER_SESSION_TIMEOUT, Duration.ofSeconds(4));
    return conf;
  }

  private record CliRun(int code, String out, String err) {
  }

  private static CliRun workerPoolCli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = WorkerPoolCli.run(new YarnConfiguration(cluster.config()), new PrintWriter(out, true),
        new PrintWriter(err, true), args);
    return new CliRun(code, out.toString(), err.toString());
  }

  /** {@code flink restart --in-place} as a user would type it, with the version's configuration as flink-conf. */
  private static CliRun cli(String version, ApplicationId appId, Path jar, String... options) throws Exception {
    Configuration flinkConf = configuration(version);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    InPlaceCliFrontend cli = new InPlaceCliFrontend(flinkConf,
        List.of(new GenericCLI(flinkConf, work.toString()), new DefaultCLI()),
        new YarnConfiguration(cluster.config()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    List<String> args = new ArrayList<>(List.of("restart", "--in-place", "-t", "yarn-application",
        "-Dyarn.application.id=" + appId, "--timeout", "120"));
    args.addAll(List.of(options));
    args.add(jar.toString());
    args.add(records.toString());
    int code = cli.parseAndRun(args.toArray(String[]::new));
    return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static void assertRefused(CliRun run, String expected) {
    System.out.println("refused: " + run.err().strip());
    assertEquals(1, run.code(), run.out() + run.err());
    assertTrue(run.err().startsWith("error: ") && run.err().contains(expected), "expected '" + expected + "' in: "
        + run.err());
    assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
  }

  private static ApplicationId submitNonFlinkApplication() throws Exception {
    YarnClientApplication app = cluster.client().createApplication();
    ApplicationSubmissionContext context = app.getApplicationSubmissionContext();
    context.setApplicationName("not-flink");
    context.setApplicationType("SHELL");
    context.setResource(Resource.newInstance(128, 1));
    context.setAMContainerSpec(ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of("sleep 60"), null,
        null, null));
    return cluster.client().submitApplication(context);
  }

  /** Every key's counter goes on from the old job's value: the state was restored, not started from zero. */
  private static void assertStateContinues(List<JobRecords.Entry> entries, String before, String after) {
    Map<String, Long> lastBefore = new TreeMap<>();
    Map<String, Long> firstAfter = new TreeMap<>();
    for (JobRecords.Entry entry : entries) {
      if (entry.version().equals(before)) {
        lastBefore.merge(entry.key(), entry.count(), Math::max);
      } else if (entry.version().equals(after)) {
        firstAfter.merge(entry.key(), entry.count(), Math::min);
      }
    }
    assertEquals(CountingJob.KEYS, firstAfter.size(), "every key counted after the restart: " + firstAfter);
    for (var first : firstAfter.entrySet()) {
      long last = lastBefore.get(first.getKey());
      assertTrue(first.getValue() > 1 && first.getValue() <= last + 1, "key " + first.getKey()
          + " continues from the restored state: last before " + last + ", first after " + first.getValue());
    }
    System.out.println("counters " + before + " last " + lastBefore + " -> " + after + " first " + firstAfter);
  }

  /** From the last record of the old version to the first one of the new version. */
  private static long downtime(List<JobRecords.Entry> entries, String before, String after) {
    return firstOf(entries, after) - lastBefore(entries, before, after);
  }

  /** The last record of version {@code before} that came before the first one of version {@code after}. */
  private static long lastBefore(List<JobRecords.Entry> entries, String before, String after) {
    long firstAfter = firstOf(entries, after);
    return entries.stream().filter(e -> e.version().equals(before) && e.atMs() <= firstAfter)
        .mapToLong(JobRecords.Entry::atMs).max().orElseThrow();
  }

  private static long firstOf(List<JobRecords.Entry> entries, String version) {
    return entries.stream().filter(e -> e.version().equals(version)).mapToLong(JobRecords.Entry::atMs).min()
        .orElseThrow();
  }

  static RestartReport restartInPlace(ApplicationId appId, String version, StateMode mode) throws Exception {
    Configuration conf = configuration(version);
    conf.set(PipelineOptions.JARS, List.of(JobJars.build(work.resolve("jars"), version).toUri().toString()));
    RestartRequest request = new RestartRequest(appId, conf,
        new ApplicationConfiguration(new String[] {records.toString()}, CountingJob.class.getName()), mode, null,
        TIMEOUT);
    return new InPlaceRestart(new YarnConfiguration(cluster.config()), line -> System.out.println("restart: " + line))
        .restart(request);
  }

  /** The application's configuration for a version: the TaskManagers carry the version in a JVM option. */
  static Configuration configuration(String version) {
    Configuration conf = flink.baseConfiguration(work.resolve("state"));
    conf.set(CoreOptions.FLINK_TM_JVM_OPTIONS, MARKER_OPTION + version);
    return conf;
  }

  private static ApplicationId deploy(Configuration conf, String version) throws Exception {
    return flink.deploy(conf, new YarnConfiguration(cluster.config()), cluster.client(),
        JobJars.build(work.resolve("jars"), version), CountingJob.class.getName(), records.toString());
  }

  private static YarnClusterDescriptor descriptor(Configuration conf) {
    return new YarnClusterDescriptor(conf, new YarnConfiguration(cluster.config()), cluster.client(),
        YarnClientYarnClusterInformationRetriever.create(cluster.client()), true);
  }

  static List<JobRecords.Entry> awaitRecords(String version, int count) throws Exception {
    long deadline = System.currentTimeMillis() + TIMEOUT.toMillis();
    while (true) {
      List<JobRecords.Entry> entries = JobRecords.read(records);
      if (JobRecords.ofVersion(entries, version).size() >= count) {
        return entries;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("fewer than " + count + " records of " + version + " within " + TIMEOUT);
      }
      Thread.sleep(200);
    }
  }

  /** The attempt's TaskManager containers (all but the JobManager's) and their nodes, as the RM reports them. */
  private static Map<String, String> taskManagers(ApplicationAttemptId attempt) throws Exception {
    var am = cluster.client().getApplicationAttemptReport(attempt).getAMContainerId();
    return cluster.client().getContainers(attempt).stream()
        .filter(c -> !c.getContainerId().equals(am))
        .collect(Collectors.toMap(c -> c.getContainerId().toString(), (ContainerReport c) -> c.getAssignedNode()
            .toString()));
  }

  private static List<String> sorted(java.util.Collection<String> values) {
    return values.stream().sorted().toList();
  }

  private static long localityAllocations(QueueMetrics queue) {
    return queue.getAggregateNodeLocalContainersAllocated() + queue.getAggregateRackLocalContainersAllocated()
        + queue.getAggregateOffSwitchContainersAllocated();
  }

  private static ResourceManager rm() {
    return cluster.yarn().getResourceManager();
  }
}
