package io.workerpool.flink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** What the test job wrote: one record per counted number, from every function instance's file. */
final class JobRecords {
  record Entry(long atMs, String key, long count, String version) {
  }

  private JobRecords() {
  }

  static List<Entry> read(Path dir) throws IOException {
    List<Entry> entries = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return entries;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("records-")).toList()) {
        for (String line : Files.readAllLines(file)) {
          String[] parts = line.split(" ");
          if (parts.length == 4) { // a line being written is skipped
            entries.add(new Entry(Long.parseLong(parts[0]), parts[1], Long.parseLong(parts[2]), parts[3]));
          }
        }
      }
    }
    entries.sort(Comparator.comparingLong(Entry::atMs));
    return entries;
  }

  static List<Entry> ofVersion(List<Entry> entries, String version) {
    return entries.stream().filter(e -> e.version().equals(version)).toList();
  }
}
