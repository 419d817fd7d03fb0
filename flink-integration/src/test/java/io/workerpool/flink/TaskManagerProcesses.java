package io.workerpool.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** The TaskManager JVMs running on this machine, read from /proc. */
final class TaskManagerProcesses {
  private TaskManagerProcesses() {
  }

  /** The command line of the TaskManager process of {@code containerId}, if one runs. */
  static Optional<String> commandLine(String containerId) throws IOException {
    return process(containerId).map(TaskManagerProcesses::commandLineOf);
  }

  /**
   * When the TaskManager JVM of {@code containerId} started (epoch ms, to the kernel's 10 ms clock tick), if one
   * runs: its process start time in /proc, from the boot time in /proc/stat.
   */
  static Optional<Long> startedAtMs(String containerId) throws IOException {
    Optional<Path> process = process(containerId);
    if (process.isEmpty()) {
      return Optional.empty();
    }
    String stat = Files.readString(process.get().resolve("stat"));
    long startTicks = Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
    long bootSeconds = Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.startsWith("btime "))
        .mapToLong(l -> Long.parseLong(l.substring(6).strip())).findFirst().orElseThrow();
    // USER_HZ is 100 on Linux.
    return Optional.of(bootSeconds * 1000 + startTicks * 10);
  }

  private static Optional<Path> process(String containerId) throws IOException {
    try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
      for (Path process : processes.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        String commandLine = commandLineOf(process);
        if (commandLine.contains("YarnTaskExecutorRunner") && commandLine.contains(containerId + "/")) {
          return Optional.of(process);
        }
      }
    }
    return Optional.empty();
  }

  private static String commandLineOf(Path process) {
    try {
      return new String(Files.readAllBytes(process.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException endedMeanwhile) {
      return "";
    }
  }
}
