package io.workerpool.nm;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Whether any process of a process group is alive, read from {@code /proc} without forking: a
 * container's launch makes its process the leader of a group of its own, and a batch of 32 old
 * containers checked every few milliseconds with a forked {@code kill -0} each (the executors' own
 * liveness check) kept two cores busy. {@code /proc/<pid>/stat} is readable for every user's
 * processes (unless {@code /proc} is mounted with {@code hidepid}), so this answers for containers
 * of any executor; where {@code /proc} cannot be read it answers nothing and the caller asks the
 * executor. Once a group's leader has exited, only a scan of the whole table finds the rest of the
 * group (its children now belong to init): the members are therefore read once, with one scan for all
 * the old containers of a batch, before they are stopped, and then looked up one by one.
 */
final class ProcessGroups {
  private final Path proc;
  /** Whether this host's process table can be read at all (checked once: it does not change while the NM runs). */
  private final boolean readable;

  ProcessGroups(Path proc) {
    this.proc = proc;
    this.readable = Files.isReadable(proc.resolve("self/stat"));
  }

  /** A container's pid as the id of the group it leads, or null if it is not a number. */
  static Long groupId(String pid) {
    return pid == null || pid.isEmpty() || !pid.chars().allMatch(Character::isDigit) ? null : Long.valueOf(pid);
  }

  static ProcessGroups ofThisHost() {
    return new ProcessGroups(Path.of("/proc"));
  }

  /**
   * Whether a process of group {@code pgid} is alive, or empty when this host's process table cannot be read.
   *
   * @param knownMembers the group's processes as {@link #members} read them before the group was signalled, or
   *     null to scan the whole table once the leader is gone
   */
  Optional<Boolean> anyAlive(long pgid, Set<Long> knownMembers) {
    if (!readable) {
      return Optional.empty();
    }
    if (isMember(proc.resolve(Long.toString(pgid)), pgid)) {
      return Optional.of(true);
    }
    if (knownMembers != null) {
      return Optional.of(knownMembers.stream().anyMatch(pid -> isMember(proc.resolve(Long.toString(pid)), pgid)));
    }
    Map<Long, Set<Long>> found = members(Set.of(pgid));
    return found == null ? Optional.empty() : Optional.of(!found.get(pgid).isEmpty());
  }

  /** The live processes of each of these groups, from one scan of the table; null if it cannot be read. */
  Map<Long, Set<Long>> members(Set<Long> pgids) {
    Map<Long, Set<Long>> members = new HashMap<>();
    pgids.forEach(pgid -> members.put(pgid, new HashSet<>()));
    try (DirectoryStream<Path> processes = Files.newDirectoryStream(proc, ProcessGroups::isPidFolder)) {
      for (Path process : processes) {
        groupOf(process).map(members::get)
            .ifPresent(group -> group.add(Long.parseLong(process.getFileName().toString())));
      }
      return members;
    } catch (IOException | RuntimeException unreadable) {
      return null;
    }
  }

  private static boolean isPidFolder(Path path) {
    String name = path.getFileName().toString();
    return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
  }

  /** Whether the process of this /proc folder is alive (not a zombie) and in group {@code pgid}. */
  private static boolean isMember(Path process, long pgid) {
    return groupOf(process).map(group -> group == pgid).orElse(false);
  }

  /** The group of the process of this /proc folder, if it is alive (not a zombie). */
  private static Optional<Long> groupOf(Path process) {
    String stat;
    try {
      stat = Files.readString(process.resolve("stat"));
    } catch (IOException | RuntimeException gone) {
      return Optional.empty();
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 4);
    if (fields.length < 3 || fields[0].equals("Z") || fields[0].equals("X")) {
      return Optional.empty();
    }
    return Optional.of(Long.parseLong(fields[2]));
  }
}
