package io.workerpool.it.demo;

import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.app.ReportDir;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The demo: on an embedded MiniYARNCluster with the Worker Pool on, run the test application,
 * update it in place to version 2, then do the same version change by kill + resubmit, and
 * print both restarts side by side.
 */
@CommandLine.Command(name = "demo", mixinStandardHelpOptions = true,
    description = "In-place update vs kill + resubmit on an embedded MiniYARNCluster.")
public final class Demo implements Callable<Integer> {
  @Option(names = "--workers", defaultValue = "8", description = "Workers of the application (default ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--image-mb", defaultValue = "64", description = "Size of the image resource in MiB (default ${DEFAULT-VALUE}).")
  int imageMb;

  private final PrintStream out;

  public Demo(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    int code = new CommandLine(new Demo(System.out)).execute(args);
    System.exit(code);
  }

  @Override
  public Integer call() throws Exception {
    out.printf("Starting a MiniYARNCluster (1 RM, 2 NMs) with the Worker Pool on...%n");
    try (UpdateFixture fixture = UpdateFixture.start(TestCluster.builder("demo").nodeManagers(2)
        .nodeMemoryMb(Math.max(4096, workers * 128 + 1024)), 20_000, (long) imageMb << 20)) {
      TestCluster cluster = fixture.cluster();
      TestApplication app = fixture.app();
      WorkerPoolClient client = fixture.client();
      ReportDir report = cluster.report();

      ApplicationId appId = app.submit(cluster.client(), "1", workers, 128, SubmitOptions.defaults("demo"));
      List<WorkerReport> v1 = awaitWorkers(report, ApplicationAttemptId.newInstance(appId, 1));
      out.printf("%s runs version 1 with %d workers on %s%n%n", appId, v1.size(), nodes(v1));

      out.printf("== In-place update to version 2 ==%n");
      long start = System.currentTimeMillis();
      UpdateStatus status = client.updateApplication(appId, app.amLaunchContext("2", workers, 128))
          .await(Duration.ofMinutes(3), e -> out.printf("[%6.1fs] %-12s %s%n",
              (e.getAtMs() - start) / 1000.0, e.getStatus().getPhase(), e.getMessage()));
      List<WorkerReport> v2 = awaitWorkers(report, ApplicationAttemptId.newInstance(appId, 2));
      printUpdate(status);
      List<WorkerReport> v1Final = reread(report, v1);
      RestartMeasurement inPlace = RestartMeasurement.of("in-place update", v1Final, v2, gaps(status, v1Final, v2));

      out.printf("%n== Kill + resubmit as version 2 ==%n");
      List<WorkerReport> beforeKill = report.running(ApplicationAttemptId.newInstance(appId, 2));
      cluster.client().killApplication(appId);
      ApplicationId resubmitted = app.submit(cluster.client(), "2", workers, 128, SubmitOptions.defaults("demo-v2"));
      List<WorkerReport> fresh = awaitWorkers(report, ApplicationAttemptId.newInstance(resubmitted, 1));
      out.printf("%s runs version 2 with %d workers on %s%n", resubmitted, fresh.size(), nodes(fresh));
      RestartMeasurement resubmit = RestartMeasurement.of("kill + resubmit", reread(report, beforeKill), fresh,
          List.of());

      out.printf("%n%-18s %8s %14s %15s %12s %18s%n", "restart", "workers", "downtime (ms)", "median gap (ms)",
          "max gap (ms)", "bytes downloaded");
      for (RestartMeasurement m : List.of(inPlace, resubmit)) {
        out.printf("%-18s %8d %14d %15s %12s %18d%n", m.method(), m.workers(), m.downtimeMs(),
            m.medianGapMs() == 0 && m.maxGapMs() == 0 ? "-" : Long.toString(m.medianGapMs()),
            m.medianGapMs() == 0 && m.maxGapMs() == 0 ? "-" : Long.toString(m.maxGapMs()), m.bytesDownloaded());
      }
      out.printf("(downtime: first old worker's last heartbeat -> every new worker heartbeating;"
          + " gap: one worker's last old heartbeat -> its replacement's first)%n");
      return 0;
    }
  }

  private void printUpdate(UpdateStatus status) {
    long accepted = status.getPhaseTimes(0).getEnteredAtMs();
    out.printf("%nupdate %s: %s, attempts %s -> %s%nphases:", status.getUpdateId(), status.getPhase(),
        status.getOldAttemptId(), status.getNewAttemptId());
    for (PhaseTime phase : status.getPhaseTimesList()) {
      out.printf(" %s +%dms", phase.getPhase(), phase.getEnteredAtMs() - accepted);
    }
    out.printf("%n%-42s %-42s %-18s %s%n", "OLD CONTAINER", "NEW CONTAINER", "NODE", "STATE");
    for (WorkerRecord w : status.getWorkersList()) {
      out.printf("%-42s %-42s %-18s %s%n", w.getOldContainerId(), w.getNewContainerId(), w.getNodeId(), w.getState());
    }
  }

  /** Per worker: the old container's last heartbeat to its replacement's first. */
  static List<Long> gaps(UpdateStatus status, List<WorkerReport> old, List<WorkerReport> replacements) {
    Map<String, WorkerReport> byId = new java.util.HashMap<>();
    old.forEach(w -> byId.put(w.containerId(), w));
    replacements.forEach(w -> byId.put(w.containerId(), w));
    List<Long> gaps = new ArrayList<>();
    for (WorkerRecord record : status.getWorkersList()) {
      WorkerReport before = byId.get(record.getOldContainerId());
      WorkerReport after = byId.get(record.getNewContainerId());
      if (before != null && after != null) {
        gaps.add(after.firstHeartbeatMs() - before.lastHeartbeatMs());
      }
    }
    return gaps;
  }

  private List<WorkerReport> awaitWorkers(ReportDir report, ApplicationAttemptId attempt) throws Exception {
    long deadline = System.currentTimeMillis() + 180_000;
    while (System.currentTimeMillis() < deadline) {
      List<WorkerReport> running = report.running(attempt);
      if (running.size() >= workers) {
        Thread.sleep(500);
        return report.running(attempt);
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(attempt + " did not get " + workers + " running workers within 3 minutes");
  }

  /** The same workers' reports as they stand now (their last heartbeat has moved on). */
  private static List<WorkerReport> reread(ReportDir report, List<WorkerReport> workers) throws Exception {
    java.util.Set<String> ids = workers.stream().map(WorkerReport::containerId).collect(Collectors.toSet());
    return report.workers().stream().filter(w -> ids.contains(w.containerId())).toList();
  }

  private static String nodes(List<WorkerReport> workers) {
    Map<String, Long> perNode = workers.stream().collect(Collectors.groupingBy(WorkerReport::nodeId,
        java.util.TreeMap::new, Collectors.counting()));
    return perNode.toString();
  }
}
