package io.workerpool.it.rm;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.workerpool.client.UpdateHandle;
import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.ClusterUsage;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.TestApplication.WorkerFault;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 30 updates in a row of a 16-worker application while a competing application keeps getting and finishing
 * containers, with NodeManagers heartbeating every 50 ms. A watchdog dumps every thread and fails the test when
 * an update makes no progress for 60 s; after each update, what the RM charges equals what the nodes run.
 */
class UpdateStressTest {
  private static final int UPDATES = 30;
  private static final int WORKERS = 16;
  private static final int WORKER_MB = 64;
  private static final Duration STALL = Duration.ofSeconds(60);
  private static UpdateFixture fixture;
  private static TestCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    fixture = UpdateFixture.start(TestCluster.builder("update-stress").nodeManagers(2)
        .set(YarnConfiguration.RM_NM_HEARTBEAT_INTERVAL_MS, "50"), 30_000, 1L << 20);
    cluster = fixture.cluster();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void thirtyUpdatesInARowWhileAnotherApplicationChurnsContainers() throws Exception {
    TestApplication app = fixture.app();
    WorkerPoolClient client = fixture.client();
    // Its workers exit as soon as they start and its AM asks for each one again: containers come and go all along.
    ApplicationId competitor = app.submit(cluster.client(), app.amLaunchContext("c", 1, WORKER_MB,
        WorkerFault.EXIT_AT_START), SubmitOptions.defaults("competitor"));
    ApplicationId appId = app.submit(cluster.client(), "1", WORKERS, WORKER_MB, SubmitOptions.defaults("stressed"));
    awaitRunning(cluster.report(), attempt(appId, 1), WORKERS);

    ExecutorService waiter = Executors.newSingleThreadExecutor();
    List<Long> millis = new ArrayList<>();
    try {
      for (int update = 1; update <= UPDATES; update++) {
        int version = update + 1;
        long started = System.currentTimeMillis();
        UpdateHandle handle = client.updateApplication(appId, app.amLaunchContext(Integer.toString(version), WORKERS,
            WORKER_MB));
        UpdateStatus status = awaitWatched(waiter, handle, update);
        assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), "update " + update + ": " + status);
        assertEquals(WORKERS, status.getWorkersCount(), status.toString());
        List<WorkerReport> running = awaitRunning(cluster.report(), attempt(appId, version), WORKERS);
        millis.add(System.currentTimeMillis() - started);
        assertReplacedOnTheirNodes(status, running);
        ClusterUsage.awaitChargesEqualRunningContainers(cluster.yarn(), rm(), 2, "default", Set.of(competitor));
      }
    } finally {
      waiter.shutdownNow();
    }
    int competitorWorkers = cluster.report().workers(id -> id.contains(
        competitor.toString().substring("application_".length()))).size();
    System.out.println("ms per update (accepted -> all " + WORKERS + " new workers heartbeating): " + millis
        + "; competitor workers started meanwhile: " + competitorWorkers);
    assertTrue(competitorWorkers > UPDATES, "the competing application kept getting containers: " + competitorWorkers);
    app.stopAttempt(attempt(appId, UPDATES + 1).toString());
  }

  /**
   * Follows the update until it ends; fails, after dumping every thread of the JVM (RM, NMs, clients), when no event
   * came for {@link #STALL}.
   */
  private static UpdateStatus awaitWatched(ExecutorService waiter, UpdateHandle handle, int update) throws Exception {
    AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    Future<UpdateStatus> end = waiter.submit(() -> handle.await(Duration.ofMinutes(10),
        event -> lastProgress.set(System.nanoTime())));
    while (true) {
      try {
        return end.get(1, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        if (System.nanoTime() - lastProgress.get() > STALL.toNanos()) {
          Path dump = dumpThreads(update);
          end.cancel(true);
          fail("update " + update + " (" + handle.updateId() + ") made no progress for " + STALL + ": "
              + handle.status() + "; threads: " + dump);
        }
      }
    }
  }

  private static Path dumpThreads(int update) throws Exception {
    StringBuilder dump = new StringBuilder();
    for (ThreadInfo thread : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      dump.append(thread.toString().replace("\n\t...\n", "\n"));
      for (StackTraceElement frame : thread.getStackTrace()) {
        dump.append("\tat ").append(frame).append('\n');
      }
      dump.append('\n');
    }
    Path file = cluster.workDir().resolve("stall-update-" + update + "-threads.txt");
    Files.writeString(file, dump);
    System.out.println(dump);
    return file;
  }

  /** From the workers' own reports: each new worker runs on the node of the worker it replaced. */
  private static void assertReplacedOnTheirNodes(UpdateStatus status, List<WorkerReport> running) throws Exception {
    Map<String, String> nodeOf = cluster.report().workers().stream()
        .collect(Collectors.toMap(WorkerReport::containerId, WorkerReport::nodeId));
    Set<String> newWorkers = running.stream().map(WorkerReport::containerId).collect(Collectors.toSet());
    for (WorkerRecord record : status.getWorkersList()) {
      assertEquals(WorkerState.REPLACED, record.getState(), record.toString());
      assertTrue(newWorkers.contains(record.getNewContainerId()), record + " runs a worker");
      assertEquals(nodeOf.get(record.getOldContainerId()), nodeOf.get(record.getNewContainerId()), record.toString());
    }
    assertEquals(status.getWorkersCount(), assertEachNewWorkerStartedAfterItsOldOne(status, cluster.report()));
  }

  private static ResourceManager rm() {
    return cluster.yarn().getResourceManager();
  }
}
