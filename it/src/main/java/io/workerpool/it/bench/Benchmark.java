package io.workerpool.it.bench;

import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.it.restart.RestartResult;
import io.workerpool.it.restart.Restarts;
import io.workerpool.it.restart.Restarts.Restarted;
import io.workerpool.it.restart.Restarts.Running;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The restart benchmark suite: on one embedded MiniYARNCluster with the Worker Pool on, for each worker
 * count, the test application is submitted and restarted as a new version in place, then by YARN's own
 * work-preserving AM restart, then by kill + resubmit. Prints a table and writes results.csv,
 * results.json and PNG charts.
 */
@CommandLine.Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Restart downtime, bytes downloaded and per-worker swap gap: in-place update vs kill + resubmit"
        + " vs work-preserving AM restart, on an embedded MiniYARNCluster.")
public final class Benchmark implements Callable<Integer> {
  /** Built in the reactor, without installing anything (README, Performance). */
  static final String COMMAND = "mvn -B -q -pl it -am package -DskipTests dependency:build-classpath"
      + " -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=runtime && cd it && java -Xmx3g"
      + " -Djava.awt.headless=true -Dlog4j.configuration=demo-log4j.properties"
      + " -cp \"$PWD/target/classes:$(cat target/bench.classpath)\" io.workerpool.it.bench.Benchmark";
  private static final int NODE_MANAGERS = 2;
  private static final int WORKER_MB = 128;
  private static final long CLAIM_TIMEOUT_MS = 60_000;
  /** Lets the NodeManagers finish what the last step started, so that it does not count against the next. */
  private static final long SETTLE_MS = 2_000;

  @Option(names = "--workers", split = ",", defaultValue = "8,32,64",
      description = "Worker counts, one round each (default ${DEFAULT-VALUE}).")
  List<Integer> workerCounts;

  @Option(names = "--image-mb", defaultValue = "100",
      description = "Size of the image resource in MiB (default ${DEFAULT-VALUE}).")
  int imageMb;

  @Option(names = "--out", defaultValue = "target/bench",
      description = "Folder for results.csv, results.json and the charts (default ${DEFAULT-VALUE}).")
  Path outDir;

  @Option(names = "--warmup-workers", defaultValue = "2",
      description = "Workers of an unreported first round that warms the fresh cluster up; 0 for none"
          + " (default ${DEFAULT-VALUE}).")
  int warmupWorkers;

  @Option(names = "--conversion-containers", defaultValue = "10000",
      description = "Pooled containers of the RM conversion benchmark on simulated nodes; 0 to skip it"
          + " (default ${DEFAULT-VALUE}).")
  int conversionContainers;

  @Option(names = "--conversion-nodes", defaultValue = "1000",
      description = "Simulated NodeManagers of the RM conversion benchmark (default ${DEFAULT-VALUE}).")
  int conversionNodes;

  @Option(names = "--floor-rounds", defaultValue = "20",
      description = "Swaps of one worker outside YARN that measure the floor of a swap on this machine, followed by"
          + " each worker count's whole update outside YARN (all stopped, all gates opened at once); 0 to skip"
          + " (default ${DEFAULT-VALUE}).")
  int floorRounds;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "An extra yarn-site.xml setting of the embedded cluster, to compare configurations (repeatable).")
  Map<String, String> settings = new LinkedHashMap<>();

  @Spec
  CommandSpec spec;

  private final PrintStream out;
  private long startedAt;

  public Benchmark(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Benchmark(System.out)).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (workerCounts.stream().anyMatch(n -> n < 1) || imageMb < 1 || warmupWorkers < 0 || floorRounds < 0) {
      throw new ParameterException(spec.commandLine(),
          "--workers and --image-mb must be positive, --warmup-workers and --floor-rounds at least 0");
    }
    if (conversionContainers < 0 || conversionContainers > 0 && (conversionNodes < 1
        || conversionContainers < conversionNodes)) {
      throw new ParameterException(spec.commandLine(), "--conversion-containers must be 0 (skip) or at least"
          + " --conversion-nodes, which must be positive");
    }
    startedAt = System.currentTimeMillis();
    int maxWorkers = workerCounts.stream().mapToInt(Integer::intValue).max().orElseThrow();
    // Room for all workers of one application on either node, plus two AMs: kill + resubmit's new
    // application is never kept waiting for resources.
    int nodeMemoryMb = maxWorkers * WORKER_MB + 2 * TestApplication.AM_MB + 1024;
    progress("starting a MiniYARNCluster (1 RM, %d NMs of %d MB) with the Worker Pool on, image %d MiB%s",
        NODE_MANAGERS, nodeMemoryMb, imageMb, settings.isEmpty() ? "" : ", " + settings);

    List<RestartRow> rows = new ArrayList<>();
    List<SwapGapRow> swapGaps = new ArrayList<>();
    List<Integer> completed = new ArrayList<>();
    String failure = null;
    TestCluster.Builder cluster = TestCluster.builder("bench-cluster").nodeManagers(NODE_MANAGERS)
        .nodeMemoryMb(nodeMemoryMb);
    settings.forEach(cluster::set);
    try (UpdateFixture fixture = UpdateFixture.start(cluster, CLAIM_TIMEOUT_MS, (long) imageMb << 20)) {
      Restarts restarts = new Restarts(fixture, NODE_MANAGERS, WORKER_MB);
      if (warmupWorkers > 0) {
        // The first restarts of a fresh cluster pay for class loading and JIT in the RM and NMs.
        progress("warm-up round with %d workers (not reported)", warmupWorkers);
        round(restarts, warmupWorkers);
      }
      for (int workers : workerCounts) {
        try {
          List<Measured> round = round(restarts, workers);
          round.forEach(m -> rows.add(RestartRow.of(m.result(), m.cpuBusyPercent())));
          swapGaps.add(SwapGapRow.of(round.get(0).result(), round.get(2).result()));
          completed.add(workers);
        } catch (Exception e) {
          failure = workers + " workers: " + e.getMessage();
          progress("FAILED at %s", failure);
          break;
        }
      }
    }

    SwapFloor floor = null;
    List<BatchFloor> batchFloors = new ArrayList<>();
    if (floorRounds > 0 && failure == null) {
      progress("the floor outside YARN: %d rounds of SIGTERM to a worker, its exit and a new worker's start",
          floorRounds);
      floor = SwapFloor.measure(outDir.toAbsolutePath().resolve("floor"), floorRounds);
      progress("floor: last -> first heartbeat median %d ms (max %d), SIGTERM -> new heartbeat median %d ms",
          floor.gapMedianMs(), floor.gapMaxMs(), floor.stopToStartMedianMs());
      for (int workers : completed) {
        BatchFloor batch = BatchFloor.measure(outDir.toAbsolutePath().resolve("floor-" + workers), workers);
        batchFloors.add(batch);
        progress("floor of a whole update outside YARN, %d workers stopped and let through their gates at once:"
            + " downtime %d ms", workers, batch.downtimeMs());
      }
    }

    List<Metric> conversion = new ArrayList<>();
    if (conversionContainers > 0 && failure == null) {
      progress("RM conversion cost: %d pooled containers on %d simulated NodeManagers", conversionContainers,
          conversionNodes);
      ConversionResult result = ConversionBenchmark.run(conversionContainers, conversionNodes, out);
      result.print(out);
      conversion.addAll(ConversionMetrics.of(result));
      if (!result.correct()) {
        failure = "the conversion benchmark's accounting or conversions were wrong (see above)";
      }
    }

    BenchmarkResults run = new BenchmarkResults(LocalDate.now().toString(),
        new BenchmarkResults.Settings(COMMAND, completed, imageMb, WORKER_MB, NODE_MANAGERS, nodeMemoryMb,
            Runtime.getRuntime().availableProcessors(), settings),
        (System.currentTimeMillis() - startedAt) / 1000, rows, swapGaps, floor, batchFloors, conversion,
        Target.evaluate(rows, swapGaps, conversion));
    out.println();
    ResultTable.print(run, out);
    out.println();
    List<Path> files = new ArrayList<>(ResultFiles.write(run, outDir));
    if (!completed.isEmpty()) {
      files.addAll(Charts.write(run, outDir));
    }
    out.printf("wrote %s%nwall time %d s%n", files.stream().map(Path::toString).collect(Collectors.joining(", ")),
        run.wallTimeSeconds());
    if (failure != null) {
      out.printf("incomplete: %s%n", failure);
      return 1;
    }
    return 0;
  }

  /** A restart's result and how busy the machine was meanwhile. */
  private record Measured(RestartResult result, int cpuBusyPercent) {
  }

  private interface Restart {
    Restarted run() throws Exception;
  }

  /** In place, then work-preserving AM restart, then kill + resubmit, each as a new version. */
  private List<Measured> round(Restarts restarts, int workers) throws Exception {
    progress("%d workers: submitting version 1", workers);
    Running v1 = restarts.submit("bench-" + workers, "1", workers);
    progress("%d workers: %s runs version 1 on %s", workers, v1.appId(), nodes(v1.workers()));

    List<Measured> measured = new ArrayList<>();
    Restarted inPlace = measure(() -> restarts.inPlace(v1, "2", event -> { }), measured);
    Restarted preserved = measure(() -> restarts.workPreservingAmRestart(inPlace.running()), measured);
    Restarted resubmitted = measure(() -> restarts.killAndResubmit(preserved.running(), "bench-" + workers + "-v3",
        "3"), measured);
    restarts.stop(resubmitted.running());
    return measured;
  }

  private Restarted measure(Restart restart, List<Measured> measured) throws Exception {
    Thread.sleep(SETTLE_MS);
    MachineCpu before = MachineCpu.sample();
    Restarted restarted = restart.run();
    int cpu = MachineCpu.sample().busyPercentSince(before);
    RestartResult r = restarted.result();
    progress("%d workers: %-26s downtime %s ms, new AM registered after %d ms, %,d bytes downloaded, CPU %d %% busy",
        r.workers(), r.method(), r.downtimeMs() < 0 ? "-" : Long.toString(r.downtimeMs()), r.amBackMs(),
        r.bytesDownloaded(), cpu);
    measured.add(new Measured(r, cpu));
    return restarted;
  }

  private void progress(String format, Object... args) {
    long elapsed = startedAt == 0 ? 0 : (System.currentTimeMillis() - startedAt) / 1000;
    out.printf("[%02d:%02d] %s%n", elapsed / 60, elapsed % 60, String.format(format, args));
  }

  private static String nodes(List<WorkerReport> workers) {
    Map<String, Long> perNode = workers.stream().collect(Collectors.groupingBy(WorkerReport::nodeId,
        TreeMap::new, Collectors.counting()));
    return perNode.toString();
  }
}
