package io.workerpool.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** The command lines of the TaskManager JVMs running on this machine, read from /proc. */
final class TaskManagerProcesses {
  private TaskManagerProcesses() {
  }

  /** The command line of the TaskManager process of {@code containerId}, if one runs. */
  static Optional<String> commandLine(String containerId) throws IOException {
    try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
      for (Path process : processes.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        String commandLine;
        try {
          commandLine = new String(Files.readAllBytes(process.resolve("cmdline")), StandardCharsets.UTF_8)
              .replace('\0', ' ');
        } catch (IOException e) {
          continue; // the process ended meanwhile
        }
        if (commandLine.contains("YarnTaskExecutorRunner") && commandLine.contains(containerId + "/")) {
          return Optional.of(commandLine);
        }
      }
    }
    return Optional.empty();
  }
}
