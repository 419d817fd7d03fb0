package io.workerpool.it.nm;

import static org.awaitility.Awaitility.await;

import io.workerpool.it.app.ReportDir;
import io.workerpool.it.app.WorkerReport;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Waits for the replacing test AM's containers and reads their workers' own reports. */
final class WorkerWaits {
  private final ReportDir report;
  private final Duration wait;

  WorkerWaits(ReportDir report, Duration wait) {
    this.report = report;
    this.wait = wait;
  }

  /** The container the AM got for its request. */
  String allocated(ReplacingApplication app, long request) {
    return eventually(() -> app.containerOf(request));
  }

  /** The container's worker once it has reported this many heartbeats. */
  WorkerReport beating(String containerId, int heartbeats) {
    return await().atMost(wait).pollInterval(Duration.ofMillis(100))
        .until(() -> report(containerId), r -> r.isPresent() && r.get().heartbeats() >= heartbeats).orElseThrow();
  }

  Optional<WorkerReport> report(String containerId) throws Exception {
    return report.workers().stream().filter(r -> r.containerId().equals(containerId)).findFirst();
  }

  <T> T eventually(Callable<Optional<T>> value) {
    return await().atMost(wait).pollInterval(Duration.ofMillis(100)).until(value, Optional::isPresent).orElseThrow();
  }
}
