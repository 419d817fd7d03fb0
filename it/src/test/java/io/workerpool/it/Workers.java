package io.workerpool.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.it.app.ReportDir;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;

/** Reads the workers' own reports. */
public final class Workers {
  private Workers() {
  }

  public static ApplicationAttemptId attempt(ApplicationId appId, int attempt) {
    return ApplicationAttemptId.newInstance(appId, attempt);
  }

  /** The workers' container ids, sorted. */
  public static List<String> containerIds(List<WorkerReport> workers) {
    return workers.stream().map(WorkerReport::containerId).sorted().toList();
  }

  /**
   * For every worker the update replaced in place: its new worker runs on the old one's node and began after the
   * old one's last heartbeat, as both workers report it (waits for each new worker's first heartbeat).
   *
   * @return how many old and new workers were compared
   */
  public static int assertEachNewWorkerStartedAfterItsOldOne(UpdateStatus status, ReportDir report) {
    List<WorkerRecord> replaced = status.getWorkersList().stream()
        .filter(r -> r.getState() == WorkerState.REPLACED && !r.getNewContainerId().isEmpty()).toList();
    Map<String, WorkerReport> workers = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> report.workers().stream().collect(Collectors.toMap(WorkerReport::containerId, w -> w)),
            all -> replaced.stream().allMatch(r -> all.containsKey(r.getOldContainerId())
                && all.containsKey(r.getNewContainerId()) && all.get(r.getNewContainerId()).firstHeartbeatMs() > 0));
    for (WorkerRecord record : replaced) {
      WorkerReport old = workers.get(record.getOldContainerId());
      WorkerReport fresh = workers.get(record.getNewContainerId());
      assertEquals(old.nodeId(), fresh.nodeId(), "replaced on its own node: " + record);
      assertTrue(old.lastHeartbeatMs() < fresh.firstHeartbeatMs(), record.getNewContainerId() + " began ("
          + fresh.firstHeartbeatMs() + ") after " + record.getOldContainerId() + "'s last heartbeat ("
          + old.lastHeartbeatMs() + ")");
    }
    return replaced.size();
  }

  /** Waits until exactly {@code count} workers of the attempt run. */
  public static List<WorkerReport> awaitRunning(ReportDir report, ApplicationAttemptId attempt, int count) {
    return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .until(() -> report.running(attempt), r -> r.size() == count);
  }
}
