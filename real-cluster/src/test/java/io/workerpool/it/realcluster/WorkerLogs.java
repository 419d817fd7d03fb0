package io.workerpool.it.realcluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** What the workers ({@code worker.sh}) reported about themselves: one log per container. */
public final class WorkerLogs {
  private WorkerLogs() {
  }

  /** One worker as it reported itself at start, and whether it still heartbeats. */
  public record Worker(String container, String version, String node, long pid, long lastBeatMs, boolean stopped) {
    public boolean processAlive() {
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
  }

  public static List<Worker> read(Path reports) {
    List<Worker> workers = new ArrayList<>();
    try (Stream<Path> files = Files.list(reports)) {
      for (Path file : files.sorted().toList()) {
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty() || !lines.get(0).startsWith("start ")) {
          continue;
        }
        Map<String, String> fields = new HashMap<>();
        for (String field : lines.get(0).substring(6).split(" ")) {
          int eq = field.indexOf('=');
          if (eq > 0) {
            fields.put(field.substring(0, eq), field.substring(eq + 1));
          }
        }
        long lastBeat = 0;
        boolean stopped = false;
        for (String line : lines) {
          if (line.startsWith("hb ")) {
            lastBeat = Long.parseLong(line.substring(3).trim());
          } else if (line.startsWith("stop ") || line.startsWith("lease-gone ")) {
            stopped = true;
          }
        }
        workers.add(new Worker(fields.get("container"), fields.get("version"), fields.get("node"),
            Long.parseLong(fields.get("pid")), lastBeat, stopped));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return workers;
  }

  /** Waits until {@code count} workers of the version have heartbeated; returns them. */
  public static List<Worker> awaitHeartbeating(Path reports, String version, int count, java.time.Duration timeout)
      throws InterruptedException {
    RealCluster.await(timeout, count + " version-" + version + " workers heartbeating",
        () -> ofVersion(reports, version).stream().filter(w -> w.lastBeatMs() > 0).count() >= count);
    return ofVersion(reports, version);
  }

  /** Workers per node id. */
  public static Map<String, Long> countByNode(List<Worker> workers) {
    return workers.stream().collect(java.util.stream.Collectors.groupingBy(Worker::node,
        java.util.stream.Collectors.counting()));
  }

  public static List<Worker> ofVersion(Path reports, String version) {
    return read(reports).stream().filter(w -> version.equals(w.version())).toList();
  }
}
