package io.workerpool.it.bench;

import io.workerpool.it.app.ReportDir;
import io.workerpool.it.app.WorkerReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The floor of a whole in-place update's downtime on this machine, outside YARN: {@code workers} new test workers
 * are started and wait at a gate like the Worker Pool's (bash builtins, no fork per poll); then as many running old
 * workers are sent SIGTERM together and, once all have exited, one file opens every gate, as if every node swapped
 * all its workers at the same moment and every step of a swap but the exits, the gates' opening and the workers'
 * start took no time. Measured as the in-place downtime is: the first old worker's last heartbeat → every new
 * worker heartbeating.
 */
public record BatchFloor(int workers, long downtimeMs) {

  static BatchFloor measure(Path dir, int workers) throws IOException, InterruptedException {
    ReportDir report = SwapFloor.freshReports(dir);
    Path openFile = dir.resolve("gates-open");
    List<Process> old = new ArrayList<>();
    List<Process> fresh = new ArrayList<>();
    try {
      for (int i = 0; i < workers; i++) {
        old.add(SwapFloor.start(dir, report, oldId(i)));
        fresh.add(SwapFloor.startGated(dir, report, newId(i), openFile));
      }
      for (int i = 0; i < workers; i++) {
        SwapFloor.await(report, oldId(i), r -> r.heartbeats() >= 3);
        awaitFile(dir.resolve(newId(i)).resolve(SwapFloor.READY_FILE));
      }
      Thread.sleep(ThreadLocalRandom.current().nextLong(SwapFloor.HEARTBEAT_MS));
      old.forEach(Process::destroy);
      for (Process process : old) {
        process.onExit().get(SwapFloor.WAIT_MS, TimeUnit.MILLISECONDS);
      }
      Files.createFile(openFile);
      long firstLastHeartbeat = Long.MAX_VALUE;
      long lastFirstHeartbeat = 0;
      for (int i = 0; i < workers; i++) {
        WorkerReport stopped = SwapFloor.await(report, oldId(i), WorkerReport::stopped);
        WorkerReport started = SwapFloor.await(report, newId(i), r -> r.heartbeats() >= 1);
        firstLastHeartbeat = Math.min(firstLastHeartbeat, stopped.lastHeartbeatMs());
        lastFirstHeartbeat = Math.max(lastFirstHeartbeat, started.firstHeartbeatMs());
      }
      return new BatchFloor(workers, lastFirstHeartbeat - firstLastHeartbeat);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("a floor worker did not exit within " + SwapFloor.WAIT_MS + " ms", e);
    } finally {
      stop(fresh);
      stop(old);
      report.releaseLease();
    }
  }

  private static void awaitFile(Path file) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + SwapFloor.WAIT_MS;
    while (!Files.exists(file)) {
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("a floor worker did not reach its gate within " + SwapFloor.WAIT_MS + " ms: " + file);
      }
      Thread.sleep(5);
    }
  }

  private static void stop(List<Process> processes) throws InterruptedException {
    processes.forEach(Process::destroy);
    for (Process process : processes) {
      process.waitFor(SwapFloor.WAIT_MS, TimeUnit.MILLISECONDS);
    }
  }

  private static String oldId(int i) {
    return "batch-" + i + "-old";
  }

  private static String newId(int i) {
    return "batch-" + i + "-new";
  }
}
