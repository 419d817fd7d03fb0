package io.workerpool.it.bench;

import io.workerpool.it.app.ReportDir;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.WorkerReport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.hadoop.fs.FileUtil;

/**
 * The floor of an in-place swap on this machine, outside YARN: a test worker (the benchmark's own
 * worker.sh) is sent SIGTERM, exits, and a new one is started in its place, as a NodeManager
 * would if every step of a swap but these took no time. Measured like the in-place swap gap, from
 * the old worker's last heartbeat to the new one's first, with SIGTERM at a random point of the old
 * worker's heartbeat cycle as in a swap; and from SIGTERM to the new worker's first heartbeat.
 *
 * @param gapMedianMs old worker's last heartbeat → new worker's first (median over the rounds)
 * @param stopToStartMedianMs SIGTERM sent → new worker's first heartbeat (median)
 */
public record SwapFloor(int rounds, long gapMedianMs, long gapMaxMs, long stopToStartMedianMs,
    long stopToStartMaxMs) {
  static final long WAIT_MS = 30_000;
  static final long HEARTBEAT_MS = 100;

  /** Runs {@code rounds} swaps of one worker in {@code dir}. */
  static SwapFloor measure(Path dir, int rounds) throws IOException, InterruptedException {
    ReportDir report = freshReports(dir);
    try {
      long[] gaps = new long[rounds];
      long[] stopToStart = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        String oldId = "floor-" + i + "-old";
        String newId = "floor-" + i + "-new";
        Process old = start(dir, report, oldId);
        await(report, oldId, r -> r.heartbeats() >= 3);
        // A swap's SIGTERM comes at any point of the old worker's 100 ms heartbeat cycle.
        Thread.sleep(ThreadLocalRandom.current().nextLong(HEARTBEAT_MS));
        long stoppedAt = System.currentTimeMillis();
        old.destroy();
        old.onExit().get(WAIT_MS, TimeUnit.MILLISECONDS);
        Process fresh = start(dir, report, newId);
        WorkerReport first = await(report, newId, r -> r.heartbeats() >= 1);
        WorkerReport last = await(report, oldId, WorkerReport::stopped);
        gaps[i] = first.firstHeartbeatMs() - last.lastHeartbeatMs();
        stopToStart[i] = first.firstHeartbeatMs() - stoppedAt;
        fresh.destroy();
        fresh.onExit().get(WAIT_MS, TimeUnit.MILLISECONDS);
      }
      Percentiles gap = new Percentiles(gaps);
      Percentiles stop = new Percentiles(stopToStart);
      return new SwapFloor(rounds, gap.median(), gap.max(), stop.median(), stop.max());
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("a floor worker did not exit within " + WAIT_MS + " ms", e);
    } finally {
      report.releaseLease();
    }
  }

  /**
   * The reports of a floor run in {@code dir}, emptied first: a worker appends to its report file, and what a run
   * before this one left there would be read as this run's (negative floors, seen in a benchmark run on a reused
   * output folder).
   */
  static ReportDir freshReports(Path dir) throws IOException {
    FileUtil.fullyDelete(dir.toFile());
    return ReportDir.create(dir.resolve("reports"));
  }

  /** A worker in a work folder of its own (with its version file), as a container has. */
  static Process start(Path dir, ReportDir report, String id) throws IOException {
    return start(dir, report, id, List.of("bash", TestApplication.WORKER_SCRIPT));
  }

  /**
   * A worker whose process starts now and waits, as the Worker Pool's launch gate makes it wait (bash builtins
   * reading a FIFO with a 10 ms timeout), until {@code openFile} exists; then it execs the worker script. It
   * creates {@value #READY_FILE} in its work folder once it waits.
   */
  static Process startGated(Path dir, ReportDir report, String id, Path openFile) throws IOException {
    String gate = "mkfifo gate-fifo && exec 3<>gate-fifo; : > " + READY_FILE + "; until [[ -e " + openFile
        + " ]]; do read -t 0.01 -u 3; done; exec 3<&-; exec bash " + TestApplication.WORKER_SCRIPT;
    return start(dir, report, id, List.of("bash", "-c", gate));
  }

  static final String READY_FILE = "gate-ready";

  private static Process start(Path dir, ReportDir report, String id, List<String> command) throws IOException {
    Path workDir = Files.createDirectories(dir.resolve(id));
    Files.writeString(workDir.resolve("version.txt"), "floor\n");
    try (InputStream script = SwapFloor.class.getResourceAsStream("/" + TestApplication.WORKER_SCRIPT)) {
      Files.write(workDir.resolve(TestApplication.WORKER_SCRIPT), script.readAllBytes());
    }
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
        .redirectErrorStream(true).redirectOutput(workDir.resolve("out.txt").toFile());
    builder.environment().putAll(Map.of(ReportDir.ENV, report.root().toString(), "CONTAINER_ID", id,
        "WP_VERSION", "floor", "LOCALIZATION_COUNTERS", "0,0,0,0,0"));
    return builder.start();
  }

  static WorkerReport await(ReportDir report, String id, Predicate<WorkerReport> condition)
      throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + WAIT_MS;
    while (true) {
      Optional<WorkerReport> found = report.workers(id::equals).stream().findFirst().filter(condition);
      if (found.isPresent()) {
        return found.get();
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("floor worker " + id + " did not report within " + WAIT_MS + " ms");
      }
      Thread.sleep(5);
    }
  }
}
