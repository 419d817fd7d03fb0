package io.workerpool.it.demo;

import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.it.restart.RestartResult;
import io.workerpool.it.restart.Restarts;
import io.workerpool.it.restart.Restarts.Restarted;
import io.workerpool.it.restart.Restarts.Running;
import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
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
  private static final int NODE_MANAGERS = 2;
  private static final int WORKER_MB = 128;

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
    out.printf("Starting a MiniYARNCluster (1 RM, %d NMs) with the Worker Pool on...%n", NODE_MANAGERS);
    int nodeMemoryMb = Math.max(4096, workers * WORKER_MB + 1024);
    try (UpdateFixture fixture = UpdateFixture.start(TestCluster.builder("demo").nodeManagers(NODE_MANAGERS)
        .nodeMemoryMb(nodeMemoryMb), 20_000, (long) imageMb << 20)) {
      Restarts restarts = new Restarts(fixture, NODE_MANAGERS, WORKER_MB);
      Running v1 = restarts.submit("demo", "1", workers);
      out.printf("%s runs version 1 with %d workers on %s%n%n", v1.appId(), workers, nodes(v1.workers()));

      out.printf("== In-place update to version 2 ==%n");
      long start = System.currentTimeMillis();
      Restarted inPlace = restarts.inPlace(v1, "2", e -> out.printf("[%6.1fs] %-12s %s%n",
          (e.getAtMs() - start) / 1000.0, e.getStatus().getPhase(), e.getMessage()));
      printUpdate(inPlace.result().update());

      out.printf("%n== Kill + resubmit as version 2 ==%n");
      Restarted resubmitted = restarts.killAndResubmit(inPlace.running(), "demo-v2", "2");
      out.printf("%s runs version 2 with %d workers on %s%n", resubmitted.running().appId(), workers,
          nodes(resubmitted.running().workers()));
      restarts.stop(resubmitted.running());

      printTable(List.of(inPlace.result(), resubmitted.result()));
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

  private void printTable(List<RestartResult> results) {
    out.printf("%n%-18s %8s %14s %15s %12s %18s %18s%n", "restart", "workers", "downtime (ms)", "median gap (ms)",
        "max gap (ms)", "bytes downloaded", "NM cache misses");
    for (RestartResult r : results) {
      out.printf("%-18s %8d %14d %15s %12s %18d %18d%n", r.method(), r.workers(), r.downtimeMs(),
          orDash(r.workerGapMs().median()), orDash(r.workerGapMs().max()), r.bytesDownloaded(),
          r.cacheMissBytesCounted());
    }
    out.printf("(downtime: first old worker's last heartbeat -> every new worker heartbeating;"
        + " gap: one worker's last old heartbeat -> its replacement's first;%n"
        + " bytes downloaded: files new in the NodeManagers' caches; NM cache misses: their LocalizedCacheMissBytes"
        + " counter, which counts a file once per container that waited for it)%n");
  }

  private static String orDash(long value) {
    return value < 0 ? "-" : Long.toString(value);
  }

  private static String nodes(List<WorkerReport> workers) {
    Map<String, Long> perNode = workers.stream().collect(Collectors.groupingBy(WorkerReport::nodeId,
        TreeMap::new, Collectors.counting()));
    return perNode.toString();
  }
}
