package io.workerpool.it;

import static org.awaitility.Awaitility.await;

import io.workerpool.it.app.ReportDir;
import io.workerpool.it.app.WorkerReport;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;

/** Reads the workers' own reports. */
public final class Workers {
  private Workers() {
  }

  public static ApplicationAttemptId attempt(ApplicationId appId, int attempt) {
    return ApplicationAttemptId.newInstance(appId, attempt);
  }

  /** Waits until exactly {@code count} workers of the attempt run. */
  /** The workers' container ids, sorted. */
  public static List<String> containerIds(List<WorkerReport> workers) {
    return workers.stream().map(WorkerReport::containerId).sorted().toList();
  }

  public static List<WorkerReport> awaitRunning(ReportDir report, ApplicationAttemptId attempt, int count) {
    return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .until(() -> report.running(attempt), r -> r.size() == count);
  }
}
