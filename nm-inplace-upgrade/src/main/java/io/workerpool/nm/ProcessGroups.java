package io.workerpool.nm;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether any process of a process group is alive, read from {@code /proc} without forking: a
 * container's launch makes its process the leader of a group of its own, and a batch of 32 old
 * containers checked every few milliseconds with a forked {@code kill -0} each (the executors' own
 * liveness check) kept two cores busy. {@code /proc/<pid>/stat} is readable for every user's
 * processes (unless {@code /proc} is mounted with {@code hidepid}), so this answers for containers
 * of any executor; where {@code /proc} cannot be read it answers nothing and the caller asks the
 * executor.
 */
final class ProcessGroups {
  private final Path proc;

  ProcessGroups(Path proc) {
    this.proc = proc;
  }

  static ProcessGroups ofThisHost() {
    return new ProcessGroups(Path.of("/proc"));
  }

  /** Whether a process of group {@code pgid} is alive, or empty when this host's process table cannot be read. */
  Optional<Boolean> anyAlive(long pgid) {
    if (!Files.isReadable(proc.resolve("self/stat"))) {
      return Optional.empty();
    }
    // The group's leader is the container's own process: while it lives, no scan is needed.
    if (isMember(proc.resolve(Long.toString(pgid)), pgid)) {
      return Optional.of(true);
    }
    try (DirectoryStream<Path> processes = Files.newDirectoryStream(proc, ProcessGroups::isPidFolder)) {
      for (Path process : processes) {
        if (isMember(process, pgid)) {
          return Optional.of(true);
        }
      }
      return Optional.of(false);
    } catch (IOException | RuntimeException unreadable) {
      return Optional.empty();
    }
  }

  private static boolean isPidFolder(Path path) {
    String name = path.getFileName().toString();
    return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
  }

  /** Whether the process of this /proc folder is alive (not a zombie) and in group {@code pgid}. */
  private static boolean isMember(Path process, long pgid) {
    String stat;
    try {
      stat = Files.readString(process.resolve("stat"));
    } catch (IOException | RuntimeException gone) {
      return false;
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 4);
    return fields.length >= 3 && !fields[0].equals("Z") && !fields[0].equals("X")
        && fields[2].equals(Long.toString(pgid));
  }
}
