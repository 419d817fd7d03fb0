package io.workerpool.it.app;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What one worker process reported about itself (see worker.sh). */
public record WorkerReport(
    String containerId,
    String version,
    String fileVersion,
    String nodeId,
    long pid,
    long startMs,
    long firstHeartbeatMs,
    long lastHeartbeatMs,
    int heartbeats,
    long longestPauseMs,
    long stoppedAtMs,
    String localizationCounters) {

  /** The worker logged that it was stopped (SIGTERM) or that its cluster went away. */
  public boolean stopped() {
    return stoppedAtMs >= 0;
  }

  /** LOCALIZATION_COUNTERS as set by the NodeManager: bytesMissed,bytesCached,filesMissed,filesCached,millis. */
  public long bytesMissed() {
    return Long.parseLong(localizationCounters.split(",")[0]);
  }

  public long bytesCached() {
    return Long.parseLong(localizationCounters.split(",")[1]);
  }

  /** How long the NodeManager spent localizing this container's files. */
  public long localizationMillis() {
    return Long.parseLong(localizationCounters.split(",")[4]);
  }

  static Optional<WorkerReport> parse(List<String> lines) {
    if (lines.isEmpty() || !lines.get(0).startsWith("start ")) {
      return Optional.empty();
    }
    Map<String, String> start = new HashMap<>();
    for (String field : lines.get(0).substring("start ".length()).split(" ")) {
      int eq = field.indexOf('=');
      start.put(field.substring(0, eq), field.substring(eq + 1));
    }
    long first = -1;
    long last = -1;
    int beats = 0;
    long longestPause = 0;
    long stoppedAt = -1;
    for (String line : lines) {
      if (line.startsWith("hb ")) {
        long at = Long.parseLong(line.substring(3).trim());
        first = first < 0 ? at : first;
        longestPause = beats == 0 ? 0 : Math.max(longestPause, at - last);
        last = at;
        beats++;
      } else if (line.startsWith("stop ") || line.startsWith("lease-gone ")) {
        stoppedAt = Long.parseLong(line.substring(line.indexOf(' ') + 1).trim());
      }
    }
    return Optional.of(new WorkerReport(start.get("container"), start.get("version"), start.get("file_version"),
        start.get("node"), Long.parseLong(start.get("pid")), Long.parseLong(start.get("ts")), first, last, beats,
        longestPause, stoppedAt, start.getOrDefault("counters", "")));
  }
}
