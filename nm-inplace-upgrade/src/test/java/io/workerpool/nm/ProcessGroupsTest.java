package io.workerpool.nm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On this host's real process table: a group of a leader and a child, as a container's launch makes one. */
class ProcessGroupsTest {
  private final ProcessGroups groups = ProcessGroups.ofThisHost();

  @Test
  void aGroupIsAliveWhileAnyMemberIsEvenWhenItsLeaderHasExited(@TempDir Path dir) throws Exception {
    Path childPid = dir.resolve("child.pid");
    // setsid: a group of its own whose leader leaves a child behind and exits at once.
    Process leader = new ProcessBuilder("setsid", "bash", "-c",
        "sleep 30 & echo $! > " + childPid + "; wait").start();
    long pgid = leader.pid();
    waitFor(() -> Files.exists(childPid) && !Files.readString(childPid).isBlank());
    long child = Long.parseLong(Files.readString(childPid).strip());
    try {
      assertEquals(Optional.of(true), groups.anyAlive(pgid, null), "leader and child alive");
      Set<Long> members = groups.members(Set.of(pgid)).get(pgid);
      assertEquals(Set.of(pgid, child), members, "one scan finds the leader and its child");

      new ProcessBuilder("kill", "-KILL", Long.toString(pgid)).start().waitFor();
      leader.waitFor(10, TimeUnit.SECONDS);
      assertTrue(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false), "the child outlives its leader");
      assertEquals(Optional.of(true), groups.anyAlive(pgid, null), "the child keeps the group alive");
      assertEquals(Optional.of(true), groups.anyAlive(pgid, members), "found among the members read before");

      new ProcessBuilder("kill", "-KILL", Long.toString(child)).start().waitFor();
      waitFor(() -> ProcessHandle.of(child).map(h -> !h.isAlive()).orElse(true));
      waitFor(() -> groups.anyAlive(pgid, null).equals(Optional.of(false)));
      assertEquals(Optional.of(false), groups.anyAlive(pgid, null), "nothing of the group is left");
      assertEquals(Optional.of(false), groups.anyAlive(pgid, members), "none of the members read before is left");
    } finally {
      ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void answersNothingWhereThereIsNoProcessTable(@TempDir Path notProc) {
    assertEquals(Optional.empty(), new ProcessGroups(notProc).anyAlive(1, null));
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void waitFor(Check check) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s");
      }
      Thread.sleep(10);
    }
  }
}
