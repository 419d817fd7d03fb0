package io.workerpool.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.it.app.ReportDir;
import io.workerpool.it.app.WorkerReport;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole-update floor runs real workers behind real gates: no new worker runs before every old one ended. */
class BatchFloorTest {
  @TempDir
  Path dir;

  @Test
  void theGatesLetNoNewWorkerHeartbeatBeforeEveryOldOneStopped() throws Exception {
    // A second run in the same folder (an output folder an earlier benchmark left) reads only its own workers.
    BatchFloor.measure(dir, 2);
    BatchFloor floor = BatchFloor.measure(dir, 4);

    List<WorkerReport> workers = new ReportDir(dir.resolve("reports")).workers();
    List<WorkerReport> old = workers.stream().filter(w -> w.containerId().endsWith("-old")).toList();
    List<WorkerReport> fresh = workers.stream().filter(w -> w.containerId().endsWith("-new")).toList();
    assertEquals(4, old.size(), workers.toString());
    assertEquals(4, fresh.size(), workers.toString());
    long lastOld = old.stream().mapToLong(WorkerReport::lastHeartbeatMs).max().orElseThrow();
    long firstNew = fresh.stream().mapToLong(WorkerReport::firstHeartbeatMs).min().orElseThrow();
    assertTrue(firstNew > lastOld, "first new heartbeat " + firstNew + " after the last old one " + lastOld);
    assertEquals(fresh.stream().mapToLong(WorkerReport::firstHeartbeatMs).max().orElseThrow()
        - old.stream().mapToLong(WorkerReport::lastHeartbeatMs).min().orElseThrow(), floor.downtimeMs());
  }
}
