package io.workerpool.it.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the whole machine's CPUs were between two samples, from Linux's /proc/stat (all processes:
 * the cluster, its containers and anything else running). Tells whether a restart was bound by CPU.
 */
record MachineCpu(long busyTicks, long totalTicks) {
  private static final Path STAT = Path.of("/proc/stat");

  /** The machine's CPU time so far, or an empty sample where /proc/stat is not available. */
  static MachineCpu sample() {
    try {
      String[] fields = Files.readAllLines(STAT).get(0).trim().split("\\s+");
      long total = 0;
      // user nice system idle iowait irq softirq steal; guest time is already in user and nice.
      for (int i = 1; i <= 8 && i < fields.length; i++) {
        total += Long.parseLong(fields[i]);
      }
      long idle = Long.parseLong(fields[4]) + Long.parseLong(fields[5]);
      return new MachineCpu(total - idle, total);
    } catch (IOException | RuntimeException e) {
      return new MachineCpu(0, 0);
    }
  }

  /** Percent of CPU time busy since {@code earlier}; -1 when unknown. */
  int busyPercentSince(MachineCpu earlier) {
    long total = totalTicks - earlier.totalTicks;
    return earlier.totalTicks == 0 || total <= 0 ? -1 : (int) Math.round(100.0 * (busyTicks - earlier.busyTicks) / total);
  }
}
