package io.workerpool.it.nm;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With {@code swap-alignment-ms}, the RM sets one moment for all swaps of an allocate call, and every node stops its
 * old containers no earlier than that, however soon its new containers are prepared. Judged from the old workers'
 * own reports of the SIGTERM they got, against the moment the RM set (same host clock).
 */
class SwapAlignmentTest {
  private static final int WORKERS = 4;
  private static final int WORKER_MB = 256;
  private static final long ALIGNMENT_MS = 4_000;
  private static UpdateFixture fixture;

  @BeforeAll
  static void startCluster() throws Exception {
    fixture = UpdateFixture.start(TestCluster.builder("swap-alignment").nodeManagers(2)
        .set(WorkerPoolConfigKeys.SWAP_ALIGNMENT_MS, Long.toString(ALIGNMENT_MS)), 60_000, 1L << 20);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void everyNodeStopsItsOldWorkersNoEarlierThanTheMomentTheResourceManagerSet() throws Exception {
    TestCluster cluster = fixture.cluster();
    ApplicationId appId = fixture.app().submit(cluster.client(), "1", WORKERS, WORKER_MB,
        SubmitOptions.defaults("aligned"));
    List<WorkerReport> v1 = awaitRunning(cluster.report(), attempt(appId, 1), WORKERS);
    assertEquals(2, v1.stream().map(WorkerReport::nodeId).distinct().count(), "workers on both nodes: " + v1);

    WorkerPoolClient client = fixture.client();
    UpdateStatus done = client.updateApplication(appId, fixture.app().amLaunchContext("2", WORKERS, WORKER_MB))
        .await(Duration.ofMinutes(2));

    assertEquals(UpdatePhase.SUCCEEDED, done.getPhase(), done.toString());
    assertTrue(done.getWorkersList().stream().allMatch(w -> w.getState() == WorkerState.REPLACED), done.toString());
    Set<Long> moments = done.getWorkersList().stream().map(WorkerRecord::getSwapAtMs).collect(Collectors.toSet());
    assertEquals(1, moments.size(), "one moment for the allocate call's swaps: " + moments);
    long swapAt = moments.iterator().next();
    assertTrue(swapAt >= done.getWorkersList().get(0).getConvertedAtMs(), "set after the conversion: " + done);

    assertEquals(WORKERS, assertEachNewWorkerStartedAfterItsOldOne(done, cluster.report()));
    Map<String, WorkerReport> old = cluster.report().workers().stream()
        .collect(Collectors.toMap(WorkerReport::containerId, w -> w));
    for (WorkerRecord record : done.getWorkersList()) {
      WorkerReport worker = old.get(record.getOldContainerId());
      assertTrue(worker.stoppedAtMs() >= swapAt, record.getOldContainerId() + " on " + worker.nodeId()
          + " got its SIGTERM at " + worker.stoppedAtMs() + ", before the moment " + swapAt);
    }
  }
}
