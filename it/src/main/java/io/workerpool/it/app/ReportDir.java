package io.workerpool.it.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ContainerId;

/**
 * The folder where the test application's AMs and workers report what they observe about
 * themselves: {@code am/<attempt>.log}, {@code workers/<container>.log} and the {@code lease}
 * file whose removal makes every worker and AM of the cluster end.
 */
public final class ReportDir {
  public static final String ENV = "WP_REPORT_DIR";

  private final Path root;

  public ReportDir(Path root) {
    this.root = root;
  }

  public static ReportDir create(Path root) throws IOException {
    Files.createDirectories(root.resolve("am"));
    Files.createDirectories(root.resolve("workers"));
    ReportDir dir = new ReportDir(root);
    Files.writeString(dir.lease(), "");
    return dir;
  }

  public Path root() {
    return root;
  }

  public Path lease() {
    return root.resolve("lease");
  }

  public boolean leaseHeld() {
    return Files.exists(lease());
  }

  public void releaseLease() throws IOException {
    Files.deleteIfExists(lease());
  }

  public Path amLog(String attemptId) {
    return root.resolve("am").resolve(attemptId + ".log");
  }

  public void appendAmLine(String attemptId, String line) {
    try {
      Files.writeString(amLog(attemptId), System.currentTimeMillis() + " " + line + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every line the AM of this attempt reported, without the leading timestamp. */
  public List<String> amLines(String attemptId) throws IOException {
    Path log = amLog(attemptId);
    if (!Files.exists(log)) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      lines.add(line.substring(line.indexOf(' ') + 1));
    }
    return lines;
  }

  /** When the AM of this attempt first reported a line starting with {@code prefix}. */
  public Optional<Long> amLineTime(String attemptId, String prefix) throws IOException {
    Path log = amLog(attemptId);
    if (!Files.exists(log)) {
      return Optional.empty();
    }
    for (String line : Files.readAllLines(log)) {
      int space = line.indexOf(' ');
      if (line.startsWith(prefix, space + 1)) {
        return Optional.of(Long.parseLong(line.substring(0, space)));
      }
    }
    return Optional.empty();
  }

  /** Workers of one attempt that run: they have heartbeated at least twice and not stopped. */
  public List<WorkerReport> running(ApplicationAttemptId attempt) throws IOException {
    return workers(id -> ContainerId.fromString(id).getApplicationAttemptId().equals(attempt)).stream()
        .filter(r -> r.heartbeats() >= 2 && !r.stopped())
        .toList();
  }

  public List<WorkerReport> workers() throws IOException {
    return workers(id -> true);
  }

  /**
   * Reports of the workers whose container id passes {@code containers}. Only their files are read:
   * benchmarks poll this while hundreds of earlier workers' logs lie in the folder.
   */
  public List<WorkerReport> workers(Predicate<String> containers) throws IOException {
    List<WorkerReport> reports = new ArrayList<>();
    try (Stream<Path> files = Files.list(root.resolve("workers"))) {
      for (Path file : (Iterable<Path>) files.sorted()::iterator) {
        if (containers.test(containerId(file))) {
          WorkerReport.parse(Files.readAllLines(file)).ifPresent(reports::add);
        }
      }
    }
    return reports;
  }

  /** Times of every heartbeat one worker reported. */
  public List<Long> heartbeats(String containerId) throws IOException {
    return times(containerId, "hb");
  }

  /** Times of every line of one kind ("hb", "start", "term", "stop") one worker's processes reported. */
  public List<Long> times(String containerId, String kind) throws IOException {
    Path log = root.resolve("workers").resolve(containerId + ".log");
    if (!Files.exists(log)) {
      return List.of();
    }
    String prefix = kind + " ";
    return Files.readAllLines(log).stream()
        .filter(line -> line.startsWith(prefix))
        .map(line -> kind.equals("start") ? line.substring(line.indexOf(" ts=") + 4).split(" ")[0]
            : line.substring(prefix.length()).trim())
        .map(Long::parseLong)
        .toList();
  }

  private static String containerId(Path workerLog) {
    String name = workerLog.getFileName().toString();
    return name.endsWith(".log") ? name.substring(0, name.length() - ".log".length()) : name;
  }
}
