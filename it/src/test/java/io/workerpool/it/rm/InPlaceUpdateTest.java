package io.workerpool.it.rm;

import static io.workerpool.it.Workers.attempt;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.UpdateHandle;
import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.it.LogCapture;
import io.workerpool.it.cluster.NodeMetrics;
import io.workerpool.proto.WorkerState;
import io.workerpool.rm.pool.HandOverOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.workerpool.client.cli.WorkerPoolCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerExitStatus;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerReport;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerImpl;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttempt;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttempt;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.QueueMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** updateApplication on a real RM: AM2 gets AM1's workers as new containers on the same nodes. */
class InPlaceUpdateTest {
  /** What the changed version.txt may cost to localize: far below the 64 MiB image. */
  private static final long CHANGED_FILES_BYTES = 1024;
  private static UpdateFixture fixture;
  private static TestCluster cluster;
  private static TestApplication app;
  private static WorkerPoolClient client;

  @BeforeAll
  static void startCluster() throws Exception {
    fixture = UpdateFixture.start(TestCluster.builder("in-place-update").nodeManagers(2), 15_000, 64L << 20);
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
  void updateHandsTheWorkersToTheNewAttemptOnTheSameNodes() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 4, 128, SubmitOptions.defaults("update-4"));
    List<WorkerReport> v1 = awaitWorkers(appId, 1, 4);
    Map<String, String> v1Nodes = v1.stream().collect(Collectors.toMap(WorkerReport::containerId, WorkerReport::nodeId));
    QueueMetrics queue = rm().getResourceScheduler().getRootQueueMetrics();
    long localityBefore = localityAllocations(queue);
    long downloadedBefore = NodeMetrics.cacheMissBytes(cluster.yarn(), 2);
    LogCapture nodeLog = LogCapture.start(ContainerImpl.class);

    long started = System.currentTimeMillis();
    UpdateHandle handle = client.updateApplication(appId, app.amLaunchContext("2", 4, 128));
    List<WorkerReport> v2 = awaitWorkers(appId, 2, 4);
    long workersUp = System.currentTimeMillis() - started;
    UpdateStatus status = handle.await(Duration.ofMinutes(2));

    ApplicationAttemptId attempt2 = ApplicationAttemptId.newInstance(appId, 2);
    assertEquals(attempt2, cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId());
    assertTrue(cluster.report().amLines(attempt2.toString()).contains("start version=2 attempt=" + attempt2),
        "AM2 runs the new launch context");
    for (WorkerReport worker : v2) {
      assertEquals(attempt2, ContainerId.fromString(worker.containerId()).getApplicationAttemptId());
      assertEquals("2", worker.fileVersion());
    }
    List<String> allocated = cluster.report().amLines(attempt2.toString()).stream()
        .filter(l -> l.startsWith("allocated ")).toList();
    assertEquals(4, allocated.size(), "AM2 was given exactly 4 containers: " + allocated);
    assertTrue(allocated.stream().allMatch(l -> l.endsWith("priority=1 memory=128")), allocated.toString());
    List<String> nodesAsReceived = allocated.stream().map(l -> l.split(" ")[2]).toList();
    assertEquals(HandOverOrder.interleaved(nodesAsReceived, node -> node), nodesAsReceived,
        "AM2 was given its containers one node after the other, so that the nodes prepare their swaps side by side");
    assertEquals(v1Nodes.values().stream().sorted().toList(),
        v2.stream().map(WorkerReport::nodeId).sorted().toList(), "the new workers sit on the old workers' nodes");

    System.out.println("locality before=" + localityBefore + " after=" + localityAllocations(queue)
        + " node=" + queue.getAggregateNodeLocalContainersAllocated() + " rack=" + queue.getAggregateRackLocalContainersAllocated()
        + " off=" + queue.getAggregateOffSwitchContainersAllocated() + " aggAlloc=" + queue.getAggregateAllocatedContainers());
    assertEquals(0, localityAllocations(queue) - localityBefore,
        "nothing was scheduled: AM2 took AM1's place, the workers theirs");
    RMApp rmApp = rm().getRMContext().getRMApps().get(appId);
    assertEquals(0, rmApp.getCurrentAppAttempt().getRMAppAttemptMetrics().getTotalAllocatedContainers(),
        "attempt 2 got no container through ordinary scheduling");
    assertEquals(rmApp.getRMAppAttempt(ApplicationAttemptId.newInstance(appId, 1)).getMasterContainer().getNodeId(),
        rmApp.getCurrentAppAttempt().getMasterContainer().getNodeId(), "AM2 runs on AM1's node");
    RMAppAttempt attempt1 = rmApp.getRMAppAttempt(ApplicationAttemptId.newInstance(appId, 1));
    assertFalse(attempt1.shouldCountTowardsMaxAttemptRetry(), "ending AM1 does not count as a failed attempt");
    assertEquals(YarnApplicationState.RUNNING, cluster.client().getApplicationReport(appId).getYarnApplicationState());

    assertEquals(4, status.getWorkersCount());
    for (WorkerRecord record : status.getWorkersList()) {
      assertEquals(v1Nodes.get(record.getOldContainerId()), record.getNodeId(), record.toString());
      assertEquals(attempt2, ContainerId.fromString(record.getNewContainerId()).getApplicationAttemptId());
    }
    assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
    ObjectName metrics = new ObjectName("Hadoop:service=ResourceManager,name=WorkerPoolMetrics");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertTrue((Long) jmx().getAttribute(metrics, "ContainersConverted") >= 4, "conversions in the RM's JMX");
      assertTrue((Long) jmx().getAttribute(metrics, "UpdatesSucceeded") >= 1, "updates in the RM's JMX");
    });
    printTimings(status, workersUp);
    nodeLog.stop();
    assertSwappedInPlace(appId, status, v1, v2, downloadedBefore, nodeLog);
  }

  /** On every node the old worker stopped before its replacement started, and nothing was downloaded again. */
  private static void assertSwappedInPlace(ApplicationId appId, UpdateStatus status, List<WorkerReport> v1,
      List<WorkerReport> v2, long downloadedBefore, LogCapture nodeLog) throws Exception {
    Map<String, WorkerReport> old = reread(v1);
    Map<String, WorkerReport> replacements = reread(v2);
    List<Long> gaps = new java.util.ArrayList<>();
    for (WorkerRecord record : status.getWorkersList()) {
      assertEquals(WorkerState.REPLACED, record.getState(), record.toString());
      WorkerReport before = old.get(record.getOldContainerId());
      WorkerReport after = replacements.get(record.getNewContainerId());
      assertTrue(before.stopped(), "the old worker ended: " + before);
      long localized = nodeLog.first("Container " + record.getNewContainerId() + " transitioned from LOCALIZING")
          .orElseThrow(() -> new AssertionError("the NM logged no end of localization for " + record)).atMs();
      assertTrue(before.stoppedAtMs() >= localized, "the old worker was stopped (" + before.stoppedAtMs()
          + ") only after the NM localized the new container's files (" + localized + ")");
      assertTrue(before.lastHeartbeatMs() < after.firstHeartbeatMs(),
          "old last heartbeat before new first heartbeat on " + record.getNodeId());
      assertFalse(Files.exists(Path.of("/proc/" + before.pid())), "old worker process " + before.pid() + " is gone");
      assertTrue(Files.exists(Path.of("/proc/" + after.pid())), "new worker process " + after.pid() + " runs");
      assertTrue(after.bytesMissed() <= CHANGED_FILES_BYTES, "only version.txt may be downloaded: " + after);
      assertTrue(after.bytesCached() >= 64L << 20, "the image was a cache hit: " + after);
      gaps.add(after.firstHeartbeatMs() - before.lastHeartbeatMs());
    }
    long downloaded = NodeMetrics.cacheMissBytes(cluster.yarn(), 2) - downloadedBefore;
    assertTrue(downloaded <= 2 * CHANGED_FILES_BYTES, "the NodeManagers downloaded only the changed file (once per"
        + " node), not the 64 MiB image: " + downloaded + " bytes");
    System.out.println("per-worker gap (old last heartbeat -> new first heartbeat), ms: " + gaps
        + "; bytes downloaded by the NodeManagers during the update: " + downloaded);

    List<String> am2 = cluster.report().amLines(ApplicationAttemptId.newInstance(appId, 2).toString());
    for (WorkerRecord record : status.getWorkersList()) {
      assertTrue(am2.stream().anyMatch(l -> l.startsWith("completed " + record.getOldContainerId() + " exit=-120 known=false")
          && l.contains("replaced in place by " + record.getNewContainerId())), "AM2 saw " + record.getOldContainerId()
          + " complete as replaced: " + am2);
    }
    assertTrue(am2.stream().noneMatch(l -> l.startsWith("completed container") && l.contains("known=true")),
        "AM2 lost no worker: " + am2);
  }

  private static Map<String, WorkerReport> reread(List<WorkerReport> workers) throws Exception {
    java.util.Set<String> ids = workers.stream().map(WorkerReport::containerId).collect(Collectors.toSet());
    return cluster.report().workers().stream().filter(w -> ids.contains(w.containerId()))
        .collect(Collectors.toMap(WorkerReport::containerId, w -> w));
  }

  @Test
  void aLargerAmThatFitsOnTheOldAmsNodeTakesItsPlace() throws Exception {
    ApplicationId appId = app.submit(cluster.client(), "1", 2, 128, SubmitOptions.defaults("am-768"));
    awaitWorkers(appId, 1, 2);
    NodeId am1Node = rm().getRMContext().getRMApps().get(appId).getCurrentAppAttempt().getMasterContainer().getNodeId();

    UpdateStatus status = client.updateApplication(appId, app.amLaunchContext("2", 2, 128),
        Resource.newInstance(768, 1), "").await(Duration.ofMinutes(2));

    assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
    assertTrue(status.getAmPlace().contains("took AM1's place on " + am1Node) && status.getAmPlace()
        .contains("now <memory:768"), status.getAmPlace());
    ContainerId am2 = cluster.client().getApplicationAttemptReport(ApplicationAttemptId.newInstance(appId, 2))
        .getAMContainerId();
    ContainerReport am2Report = cluster.client().getContainerReport(am2);
    assertEquals(am1Node, am2Report.getAssignedNode(), "AM2 runs on AM1's node");
    assertEquals(768, am2Report.getAllocatedResource().getMemorySize());
    cluster.client().killApplication(appId);
  }

  @Test
  void cliUpdateShowsProgressThenTheContainerTableAndStatusAnswersAfterwards() throws Exception {
    // Workers as large as the AM: the RM's own ask for AM2's container must not be served from the pool.
    int workerMb = TestApplication.AM_MB;
    ApplicationId appId = app.submit(cluster.client(), "1", 2, workerMb, SubmitOptions.defaults("cli"));
    List<WorkerReport> v1 = awaitWorkers(appId, 1, 2);
    Path spec = cluster.workDir().resolve("am-v2.json");
    writeLaunchContextJson(app.amLaunchContext("2", 2, workerMb), spec);

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = WorkerPoolCli.run(new YarnConfiguration(cluster.config()), new PrintWriter(out, true),
        new PrintWriter(err, true), "update", appId.toString(), "--launch-context", spec.toString());

    String shown = out.toString();
    System.out.println(shown);
    assertEquals(0, code, shown + err);
    // The update is past POOLING by the time the client watches: the progress starts at CONVERTING.
    assertTrue(shown.matches("(?s).*\\[\\s*[0-9.]+s\\] CONVERTING +converted .*"), "progress while it waits:\n" + shown);
    assertTrue(shown.matches("(?s).*\\[\\s*[0-9.]+s\\] SUCCEEDED .*"), shown);
    assertTrue(shown.contains("phases: ACCEPTED@+0ms POOLING@+"), shown);
    for (WorkerReport worker : v1) {
      assertTrue(shown.matches("(?s).*" + worker.containerId() + " +container_\\S+_02_\\d+ +" + worker.nodeId()
          + " +REPLACED.*"), "table row for " + worker.containerId() + ":\n" + shown);
    }
    ContainerId am2 = cluster.client().getApplicationAttemptReport(ApplicationAttemptId.newInstance(appId, 2))
        .getAMContainerId();
    assertFalse(shown.contains(am2.toString()), "AM2 runs in a container of its own, " + am2 + ":\n" + shown);
    String updateId = shown.lines().filter(l -> l.startsWith("update ") && l.endsWith(": SUCCEEDED"))
        .findFirst().orElseThrow().split(" ")[1];

    StringWriter status = new StringWriter();
    assertEquals(0, WorkerPoolCli.run(new YarnConfiguration(cluster.config()), new PrintWriter(status, true),
        new PrintWriter(err, true), "status", appId.toString(), "--json"));
    assertTrue(status.toString().contains("\"updateId\": \"" + updateId + "\""), status.toString());
    assertTrue(status.toString().contains("\"phase\": \"SUCCEEDED\""), status.toString());

    StringWriter bad = new StringWriter();
    assertEquals(1, WorkerPoolCli.run(new YarnConfiguration(cluster.config()), new PrintWriter(out, true),
        new PrintWriter(bad, true), "status", "update_does-not-exist"));
    assertTrue(bad.toString().startsWith("worker-pool: NOT_FOUND: no update update_does-not-exist"), bad.toString());
    app.stopAttempt(ApplicationAttemptId.newInstance(appId, 2).toString());
  }

  /** The CLI's JSON form of a launch context (see LaunchContextFile). */
  private static void writeLaunchContextJson(ContainerLaunchContext context, Path file) throws Exception {
    Map<String, Object> resources = new java.util.LinkedHashMap<>();
    context.getLocalResources().forEach((name, r) -> {
      try {
        resources.put(name, Map.of("path", r.getResource().toPath().toString(), "type", r.getType().name(),
            "visibility", r.getVisibility().name()));
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException(e);
      }
    });
    new ObjectMapper().writeValue(file.toFile(), Map.of("commands", context.getCommands(),
        "environment", context.getEnvironment(), "localResources", resources));
  }

  private static void printTimings(UpdateStatus status, long workersUpMs) {
    long accepted = status.getPhaseTimes(0).getEnteredAtMs();
    StringBuilder line = new StringBuilder("update timings:");
    for (PhaseTime phase : status.getPhaseTimesList()) {
      line.append(' ').append(phase.getPhase()).append("=+").append(phase.getEnteredAtMs() - accepted).append("ms");
    }
    System.out.println(line + "; all 4 version-2 workers heartbeating after " + workersUpMs + " ms");
  }

  private static long localityAllocations(QueueMetrics queue) {
    return queue.getAggregateNodeLocalContainersAllocated() + queue.getAggregateRackLocalContainersAllocated()
        + queue.getAggregateOffSwitchContainersAllocated();
  }

  private static MBeanServer jmx() {
    return ManagementFactory.getPlatformMBeanServer();
  }

  private static ResourceManager rm() {
    return cluster.yarn().getResourceManager();
  }

  private static List<WorkerReport> awaitWorkers(ApplicationId appId, int attempt, int count) {
    return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .until(() -> cluster.report().workers().stream()
            .filter(r -> ContainerId.fromString(r.containerId()).getApplicationAttemptId()
                .equals(ApplicationAttemptId.newInstance(appId, attempt)))
            .filter(r -> r.heartbeats() >= 2).toList(), r -> r.size() == count);
  }
}
