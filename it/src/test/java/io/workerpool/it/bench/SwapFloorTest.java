package io.workerpool.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The floor measurement runs real workers: each new one heartbeats only after its predecessor's last heartbeat. */
class SwapFloorTest {
  @TempDir
  Path dir;

  @Test
  void eachNewWorkerStartsAfterTheOldOneEnded() throws Exception {
    // Twice in one folder, as a benchmark run in an output folder that an earlier run left: the second must read
    // only its own workers' reports.
    SwapFloor.measure(dir, 3);
    SwapFloor floor = SwapFloor.measure(dir, 3);

    assertEquals(3, floor.rounds());
    assertTrue(floor.gapMedianMs() > 0 && floor.gapMaxMs() >= floor.gapMedianMs(), floor.toString());
    assertTrue(floor.stopToStartMedianMs() > 0, floor.toString());
  }
}
