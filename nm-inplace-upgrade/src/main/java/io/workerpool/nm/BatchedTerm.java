package io.workerpool.nm;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.yarn.server.nodemanager.ContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.DefaultContainerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends SIGTERM to the process groups of the old containers stopped together (one node's batch) with
 * one {@code kill}, before each one's stock cleanup runs. The stock cleanup forks twice per container
 * (a liveness check, then the signal): for a batch of 32 on a busy node the last old container got its
 * SIGTERM more than a second after the first. Only with the DefaultContainerExecutor, whose containers
 * run as the NodeManager's user; other executors signal through their own privileged path, so their
 * cleanups run at once. A stock cleanup that finds a process still shutting down signals it a second
 * time, as a repeated {@code yarn container -signal} would.
 */
final class BatchedTerm {
  private static final Logger LOG = LoggerFactory.getLogger(BatchedTerm.class);
  private static final long KILL_TIMEOUT_MS = 10_000;

  private final boolean applies;
  private final ScheduledExecutorService timer;
  private final long windowMs;
  /** Process group ids waiting for the next SIGTERM, and what runs once it is sent; guarded by this. */
  private List<String> pids = new ArrayList<>();
  private List<Runnable> then = new ArrayList<>();

  /** @param windowMs how long the first stop of a batch waits for the others (they come in one dispatcher burst) */
  BatchedTerm(ContainerExecutor exec, ScheduledExecutorService timer, long windowMs) {
    this.applies = exec.getClass() == DefaultContainerExecutor.class;
    this.timer = timer;
    this.windowMs = windowMs;
  }

  /** SIGTERMs the group of {@code pid} with the others of its batch, then runs {@code cleanup}. */
  void terminate(String pid, Runnable cleanup) {
    if (!applies) {
      cleanup.run();
      return;
    }
    synchronized (this) {
      pids.add(pid);
      then.add(cleanup);
      if (pids.size() == 1) {
        timer.schedule(this::flush, windowMs, TimeUnit.MILLISECONDS);
      }
    }
  }

  private void flush() {
    List<String> groups;
    List<Runnable> cleanups;
    synchronized (this) {
      groups = pids;
      cleanups = then;
      pids = new ArrayList<>();
      then = new ArrayList<>();
    }
    List<String> command = new ArrayList<>(List.of("kill", "-TERM", "--"));
    groups.forEach(pid -> command.add("-" + pid));
    try {
      Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
      if (!kill.waitFor(KILL_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        kill.destroyForcibly();
      }
    } catch (IOException e) {
      LOG.warn("Cannot SIGTERM the process groups {}; their stock cleanups signal them", groups, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // A group that ended meanwhile makes kill exit non-zero: each stock cleanup checks its own.
    cleanups.forEach(Runnable::run);
  }
}
