package io.workerpool.it.rm;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.LogCapture;
import io.workerpool.client.WorkerPoolException;
import io.workerpool.it.app.TestAppMaster;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.TestApplication.WorkerFault;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.proto.UpdateApplicationRequest;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerPoolGrpc;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.io.StringWriter;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeReport;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.QueueMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The update's contract on one shared cluster with ACLs on: stock apps, leftovers, competition, bad input. */
class UpdateScenariosTest {
  private static final long CLAIM_TIMEOUT_MS = 8_000;
  private static final int WORKER_MB = 128;
  private static final String OWNER = currentUser();

  private static UpdateFixture fixture;
  private static TestCluster cluster;
  private static TestApplication app;
  private static WorkerPoolClient client;

  @BeforeAll
  static void startCluster() throws Exception {
    TestCluster.Builder builder = TestCluster.builder("update-scenarios").nodeManagers(2)
        .set("yarn.acl.enable", "true")
        .set("yarn.admin.acl", OWNER)
        .set("yarn.scheduler.capacity.root.acl_administer_queue", " ")
        .set("yarn.scheduler.capacity.root.default.acl_administer_queue", " ");
    fixture = UpdateFixture.start(builder, CLAIM_TIMEOUT_MS, 64L << 20);
    cluster = fixture.cluster();
    app = fixture.app();
    client = fixture.client();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void stockApplicationWithoutKeepContainersTakesThreeUpdatesInARow() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 4, WORKER_MB,
        SubmitOptions.defaults("no-keep").keepContainers(false).maxAttempts(2));
    List<String> nodes = nodesOf(awaitRunning(cluster.report(), attempt(appId, 1), 4));

    for (int version = 2; version <= 4; version++) {
      UpdateStatus status = update(appId, Integer.toString(version), 4);
      ApplicationAttemptId current = attempt(appId, version);
      List<WorkerReport> workers = awaitRunning(cluster.report(), current, 4);
      assertEquals(nodes, nodesOf(workers), "version " + version + " workers stay on the same nodes");
      String expected = Integer.toString(version);
      assertTrue(workers.stream().allMatch(w -> w.fileVersion().equals(expected)), workers.toString());
      assertEquals(current.toString(), status.getNewAttemptId());
      List<String> amLines = cluster.report().amLines(current.toString());
      assertTrue(amLines.contains("start version=" + version + " attempt=" + current), amLines.toString());
      assertTrue(amLines.stream().noneMatch(l -> l.startsWith("previous ")), "pooled workers are not reported "
          + "as containers from previous attempts: " + amLines);
      assertEquals(4, amLines.stream().filter(l -> l.startsWith("allocated ")).count(), amLines.toString());
    }
    RMApp rmApp = rm().getRMContext().getRMApps().get(appId);
    for (int a = 1; a <= 3; a++) {
      assertFalse(rmApp.getRMAppAttempt(attempt(appId, a)).shouldCountTowardsMaxAttemptRetry(), "attempt " + a);
    }
    assertEquals(YarnApplicationState.RUNNING, cluster.client().getApplicationReport(appId).getYarnApplicationState());
    app.stopAttempt(attempt(appId, 4).toString());
  }

  @Test
  void applicationWithMaxAttemptsOneIsUpdatedAndKeepsItsLimit() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 2, WORKER_MB,
        SubmitOptions.defaults("one-attempt").keepContainers(false).maxAttempts(1));
    awaitRunning(cluster.report(), attempt(appId, 1), 2);

    UpdateStatus status = update(appId, "2", 2);

    assertEquals(attempt(appId, 2).toString(), status.getNewAttemptId());
    awaitRunning(cluster.report(), attempt(appId, 2), 2);
    assertEquals(1, rm().getRMContext().getRMApps().get(appId).getMaxAppAttempts(),
        "the application still allows no retry after a real failure");
    assertEquals(YarnApplicationState.RUNNING, cluster.client().getApplicationReport(appId).getYarnApplicationState());
    app.stopAttempt(attempt(appId, 2).toString());
  }

  @Test
  void leftoversAreReleasedAndAsksBeyondThePoolAreScheduled() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 4, WORKER_MB, SubmitOptions.defaults("leftovers"));
    awaitRunning(cluster.report(), attempt(appId, 1), 4);

    UpdateStatus fewer = update(appId, "2", 2);
    Map<WorkerState, Long> states = fewer.getWorkersList().stream()
        .collect(Collectors.groupingBy(WorkerRecord::getState, Collectors.counting()));
    assertEquals(2L, states.getOrDefault(WorkerState.RELEASED, 0L), fewer.toString());
    assertEquals(2, awaitRunning(cluster.report(), attempt(appId, 2), 2).size());
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(TestApplication.AM_MB + 2 * WORKER_MB,
        cluster.client().getApplicationReport(appId).getApplicationResourceUsageReport().getUsedResources()
            .getMemorySize(), "the released workers' resources went back to the cluster"));

    QueueMetrics queue = rm().getResourceScheduler().getRootQueueMetrics();
    long scheduledBefore = localityAllocations(queue);
    UpdateStatus more = update(appId, "3", 4);
    awaitRunning(cluster.report(), attempt(appId, 3), 4);
    assertEquals(2, more.getWorkersCount(), "the pool held the 2 workers of version 2");
    assertEquals(2, more.getWorkersList().stream().filter(w -> !w.getNewContainerId().isEmpty()).count(),
        "the pool served what it held");
    // AM3's own container and the 2 workers beyond the pool; the AM's stale ask counts may add
    // surplus containers that it releases, exactly as with stock YARN.
    assertTrue(localityAllocations(queue) - scheduledBefore >= 1 + 2,
        "AM3 and the workers the pool could not serve were scheduled normally");
    app.stopAttempt(attempt(appId, 3).toString());
  }

  @Test
  void aCompetingApplicationGetsNoneOfThePooledResources() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 4, WORKER_MB, SubmitOptions.defaults("pooled"));
    List<String> nodes = nodesOf(awaitRunning(cluster.report(), attempt(appId, 1), 4));

    var handle = client.updateApplication(appId, app.amLaunchContext("2", 4, WORKER_MB));
    ApplicationId greedy = app.submit(cluster.client(), "1", 16, 512, SubmitOptions.defaults("greedy"));
    UpdateStatus status = handle.await(Duration.ofMinutes(2));

    assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
    assertEquals(nodes, nodesOf(awaitRunning(cluster.report(), attempt(appId, 2), 4)));
    assertEquals(4, assertEachNewWorkerStartedAfterItsOldOne(status, cluster.report()));
    assertTrue(status.getWorkersList().stream().allMatch(w -> !w.getNewContainerId().isEmpty()),
        "every pooled worker went to the new attempt: " + status);
    Map<ApplicationId, Long> workerMb = Map.of(appId, (long) WORKER_MB, greedy, 512L);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> usageMatchesRunningContainers(workerMb));
    cluster.client().killApplication(greedy);
    app.stopAttempt(attempt(appId, 2).toString());
  }

  @Test
  void aNewAmThatAsksForMoreAsItsFirstWorkerArrivesGetsEveryPooledWorker() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 4, WORKER_MB, SubmitOptions.defaults("asks-in-steps"));
    List<String> nodes = nodesOf(awaitRunning(cluster.report(), attempt(appId, 1), 4));
    ContainerLaunchContext am2 = app.amLaunchContext("2", 4, WORKER_MB);
    // Counts 1, then 3 after the AM took the served one off: read as "1 stale + 2 new", it left a worker unclaimed.
    am2.getEnvironment().put(TestAppMaster.ENV_FIRST_ASKS, "1");

    UpdateStatus status = client.updateApplication(appId, am2).await(Duration.ofMinutes(2));

    assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
    ApplicationAttemptId am2Attempt = attempt(appId, 2);
    List<String> amLines = cluster.report().amLines(am2Attempt.toString());
    assertTrue(amLines.contains("asks after first workers 3"), "the new AM asked in two steps: " + amLines);
    assertEquals(4, assertEachNewWorkerStartedAfterItsOldOne(status, cluster.report()),
        "every pooled worker was replaced in place, none released: " + status);
    assertEquals(nodes, nodesOf(awaitRunning(cluster.report(), am2Attempt, 4)));
    assertEquals(4, amLines.stream().filter(l -> l.startsWith("allocated ")).count(), amLines.toString());
    app.stopAttempt(am2Attempt.toString());
  }

  @Test
  void badInputIsRefusedClearlyAndChangesNothing() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 2, WORKER_MB, SubmitOptions.defaults("bad-input"));
    List<WorkerReport> before = awaitRunning(cluster.report(), attempt(appId, 1), 2);
    ContainerLaunchContext v2 = app.amLaunchContext("2", 2, WORKER_MB);

    WorkerPoolException unknown = assertThrows(WorkerPoolException.class,
        () -> client.updateApplication(ApplicationId.newInstance(1L, 9999), v2));
    assertEquals(Status.Code.NOT_FOUND, unknown.code());
    assertTrue(unknown.getMessage().contains("is not known to the ResourceManager"), unknown.getMessage());

    LogCapture audit = LogCapture.start(RMAuditLogger.class);
    WorkerPoolException denied = assertThrows(WorkerPoolException.class, () -> asUser("mallory", () -> {
      try (WorkerPoolClient mallory = startedClient()) {
        return mallory.updateApplication(appId, v2);
      }
    }));
    assertEquals(Status.Code.PERMISSION_DENIED, denied.code());
    assertTrue(denied.getMessage().contains("user mallory may not update " + appId), denied.getMessage());
    assertTrue(audit.stop().stream().anyMatch(l -> l.contains("USER=mallory") && l.contains("Worker Pool Update")
        && l.contains("RESULT=FAILURE")), "the refusal is in the RM audit log");

    ManagedChannel channel = channel();
    try {
      WorkerPoolGrpc.WorkerPoolBlockingStub raw = WorkerPoolGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(userHeader(OWNER)));
      StatusRuntimeException malformed = assertThrows(StatusRuntimeException.class, () -> raw.updateApplication(
          UpdateApplicationRequest.newBuilder().setApplicationId(appId.toString())
              .setAmLaunchContext(com.google.protobuf.ByteString.copyFromUtf8("\u00ff\u00fe not a record")).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode());
      assertTrue(malformed.getStatus().getDescription().contains("not a YARN ContainerLaunchContext"));

      Map<String, String> huge = new HashMap<>(v2.getEnvironment());
      huge.put("BALLAST", "x".repeat(5 << 20));
      ContainerLaunchContext oversized = ContainerLaunchContext.newInstance(v2.getLocalResources(), huge,
          v2.getCommands(), null, null, null);
      StatusRuntimeException tooBig = assertThrows(StatusRuntimeException.class, () -> raw.updateApplication(
          UpdateApplicationRequest.newBuilder().setApplicationId(appId.toString())
              .setAmLaunchContext(LaunchContextCodec.encode(oversized)).build()));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, tooBig.getStatus().getCode());

      StatusRuntimeException noUser = assertThrows(StatusRuntimeException.class,
          () -> WorkerPoolGrpc.newBlockingStub(channel).updateApplication(UpdateApplicationRequest.newBuilder()
              .setApplicationId(appId.toString()).setAmLaunchContext(LaunchContextCodec.encode(v2)).build()));
      assertEquals(Status.Code.UNAUTHENTICATED, noUser.getStatus().getCode());
    } finally {
      channel.shutdownNow();
    }

    var first = client.updateApplication(appId, v2);
    WorkerPoolException second = assertThrows(WorkerPoolException.class,
        () -> client.updateApplication(appId, app.amLaunchContext("3", 2, WORKER_MB)));
    assertEquals(Status.Code.ALREADY_EXISTS, second.code());
    assertTrue(second.getMessage().contains("is already being updated by " + first.updateId()), second.getMessage());
    assertEquals(UpdatePhase.SUCCEEDED, first.await(Duration.ofMinutes(2)).getPhase());
    assertEquals(2, awaitRunning(cluster.report(), attempt(appId, 2), 2).size(), "only the accepted update ran");
    assertEquals(attempt(appId, 2), cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId());

    app.stopAttempt(attempt(appId, 2).toString());
    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.client().getApplicationReport(appId)
        .getYarnApplicationState() == YarnApplicationState.FINISHED);
    WorkerPoolException finished = assertThrows(WorkerPoolException.class,
        () -> client.updateApplication(appId, app.amLaunchContext("3", 2, WORKER_MB)));
    assertEquals(Status.Code.FAILED_PRECONDITION, finished.code());
    assertTrue(finished.getMessage().contains("only a RUNNING application can be updated"),
        finished.getMessage());
    assertEquals(2, before.size());
  }

  @Test
  void newWorkersWhoseFilesFailToLocalizeLeaveTheOldWorkersRunning() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 2, WORKER_MB, SubmitOptions.defaults("cannot-localize"));
    List<WorkerReport> old = awaitRunning(cluster.report(), attempt(appId, 1), 2);

    var handle = client.updateApplication(appId, app.amLaunchContext("2", 2, WORKER_MB, WorkerFault.FILES_MISSING));
    UpdateStatus failing = await().atMost(Duration.ofSeconds(60)).until(handle::status,
        s -> s.getWorkersList().stream().filter(w -> w.getFailedSwapsCount() > 0).count() == 2);
    long failuresSeenAt = System.currentTimeMillis();

    for (WorkerRecord worker : failing.getWorkersList()) {
      assertTrue(worker.getFailedSwaps(0).contains("missing-2.txt"), "the node's localization error is in the"
          + " record: " + worker);
    }
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      for (WorkerReport worker : cluster.report().running(attempt(appId, 1))) {
        assertTrue(worker.lastHeartbeatMs() > failuresSeenAt, "old worker still beats: " + worker);
      }
    });
    for (WorkerReport worker : old) {
      assertTrue(ProcessHandle.of(worker.pid()).map(ProcessHandle::isAlive).orElse(false),
          "old worker process " + worker.pid() + " of " + worker.containerId() + " is alive");
    }
    assertEquals(2, cluster.report().running(attempt(appId, 1)).size());

    assertEquals(UpdatePhase.SUCCEEDED, handle.await(Duration.ofSeconds(60)).getPhase());
    // A new container still failing when the claim deadline ends the update settles its record afterwards.
    UpdateStatus ended = await().atMost(Duration.ofSeconds(30)).until(handle::status,
        s -> s.getWorkersList().stream()
            .allMatch(w -> w.getState() == WorkerState.RELEASED || w.getState() == WorkerState.SWAP_FAILED));
    assertEquals(2, ended.getWorkersCount(), "no new worker took an old one's place: " + ended);
    app.stopAttempt(attempt(appId, 2).toString());
  }

  @Test
  void newWorkersThatExitAtOnceAreReportedInTheUpdateRecord() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 2, WORKER_MB, SubmitOptions.defaults("exit-at-once"));
    awaitRunning(cluster.report(), attempt(appId, 1), 2);

    var handle = client.updateApplication(appId, app.amLaunchContext("2", 2, WORKER_MB, WorkerFault.EXIT_AT_START));
    UpdateStatus status = await().atMost(Duration.ofSeconds(60)).until(handle::status,
        s -> s.getWorkersList().stream().filter(w -> w.getState() == WorkerState.EXITED_EARLY).count() == 2);

    for (WorkerRecord worker : status.getWorkersList()) {
      assertTrue(worker.getReason().contains("after it replaced the old one (exit 3"), worker.toString());
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.report().amLines(attempt(appId, 2).toString())
          .stream().anyMatch(l -> l.startsWith("completed " + worker.getNewContainerId() + " exit=3")));
    }
    app.stopAttempt(attempt(appId, 2).toString());
  }

  @Test
  void aNewAmThatDiesReleasesThePoolAndFailsTheUpdateLeavingNothingCharged() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 2, WORKER_MB,
        SubmitOptions.defaults("new-am-dies").maxAttempts(2));
    List<WorkerReport> old = awaitRunning(cluster.report(), attempt(appId, 1), 2);

    ContainerLaunchContext crashing = ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of("exit 3"),
        null, null, null);
    UpdateStatus status = client.updateApplication(appId, crashing).await(Duration.ofMinutes(1));

    assertEquals(UpdatePhase.FAILED, status.getPhase(), status.toString());
    assertTrue(status.getDiagnostics().contains(attempt(appId, 2) + " ended"), status.getDiagnostics());
    assertEquals(2, status.getWorkersCount(), status.toString());
    assertTrue(status.getWorkersList().stream().allMatch(w -> w.getState() == WorkerState.RELEASED), status.toString());
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (WorkerReport worker : old) {
        assertFalse(ProcessHandle.of(worker.pid()).map(ProcessHandle::isAlive).orElse(false),
            "released worker " + worker.containerId() + " (pid " + worker.pid() + ") is gone");
      }
    });
    // The crashing version keeps failing until YARN gives up; nothing of the application stays charged.
    await().atMost(Duration.ofSeconds(60)).until(() -> cluster.client().getApplicationReport(appId)
        .getYarnApplicationState() == YarnApplicationState.FAILED);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (NodeReport node : cluster.client().getNodeReports(NodeState.RUNNING)) {
        assertTrue(rm().getResourceScheduler().getSchedulerNode(node.getNodeId()).getCopiedListOfRunningContainers()
            .stream().noneMatch(c -> c.getApplicationAttemptId().getApplicationId().equals(appId)),
            "no container of " + appId + " is charged to " + node.getNodeId());
      }
    });
  }

  private static UpdateStatus update(ApplicationId appId, String version, int workers) throws Exception {
    UpdateStatus status = client.updateApplication(appId, app.amLaunchContext(version, workers, WORKER_MB))
        .await(Duration.ofMinutes(2));
    assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
    assertEachNewWorkerStartedAfterItsOldOne(status, cluster.report());
    return status;
  }

  /** What the RM charges each node equals what runs there, as the AMs and workers report it. */
  private static void usageMatchesRunningContainers(Map<ApplicationId, Long> workerMb) throws Exception {
    Map<String, Long> running = new HashMap<>();
    long now = System.currentTimeMillis();
    for (WorkerReport worker : cluster.report().workers()) {
      if (!worker.stopped() && now - worker.lastHeartbeatMs() < 1_000) {
        ApplicationId owner = ContainerId.fromString(worker.containerId()).getApplicationAttemptId().getApplicationId();
        running.merge(worker.nodeId(), workerMb.getOrDefault(owner, 0L), Long::sum);
      }
    }
    for (var report : cluster.client().getApplications(java.util.EnumSet.of(YarnApplicationState.RUNNING))) {
      var attemptReport = cluster.client().getApplicationAttemptReport(report.getCurrentApplicationAttemptId());
      var amContainer = cluster.client().getContainerReport(attemptReport.getAMContainerId());
      running.merge(amContainer.getAssignedNode().toString(), (long) TestApplication.AM_MB, Long::sum);
    }
    long queueUsed = 0;
    for (NodeReport node : cluster.client().getNodeReports(NodeState.RUNNING)) {
      long used = node.getUsed().getMemorySize();
      assertTrue(used >= 0 && used <= node.getCapability().getMemorySize(), node.toString());
      assertEquals(running.getOrDefault(node.getNodeId().toString(), 0L), used, "memory charged on " + node.getNodeId());
      queueUsed += used;
    }
    assertEquals(queueUsed, rm().getResourceScheduler().getRootQueueMetrics().getAllocatedMB());
  }

  private static List<String> nodesOf(List<WorkerReport> workers) {
    return workers.stream().map(WorkerReport::nodeId).sorted().toList();
  }

  private static long localityAllocations(QueueMetrics queue) {
    return queue.getAggregateNodeLocalContainersAllocated() + queue.getAggregateRackLocalContainersAllocated()
        + queue.getAggregateOffSwitchContainersAllocated();
  }

  private static ResourceManager rm() {
    return cluster.yarn().getResourceManager();
  }

  private static WorkerPoolClient startedClient() {
    WorkerPoolClient started = new WorkerPoolClient();
    started.init(cluster.config());
    started.start();
    return started;
  }

  private static <T> T asUser(String user, PrivilegedExceptionAction<T> action) throws Exception {
    try {
      return UserGroupInformation.createRemoteUser(user).doAs(action);
    } catch (java.lang.reflect.UndeclaredThrowableException e) {
      throw (Exception) e.getCause();
    }
  }

  private static ManagedChannel channel() {
    var address = cluster.config().getSocketAddr(WorkerPoolConfigKeys.ADDRESS, "", 0);
    return NettyChannelBuilder.forAddress(address.getHostString(), address.getPort()).usePlaintext().build();
  }

  private static Metadata userHeader(String user) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(WorkerPoolConfigKeys.USER_HEADER, Metadata.ASCII_STRING_MARSHALLER), user);
    return headers;
  }

  private static String currentUser() {
    try {
      return UserGroupInformation.getCurrentUser().getShortUserName();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
