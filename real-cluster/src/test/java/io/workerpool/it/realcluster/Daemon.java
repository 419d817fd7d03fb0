package io.workerpool.it.realcluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One process of a real test cluster (a JVM from Hadoop's own main classes, or a client), run under
 * {@code watchdog.sh} so that it ends when the cluster's lease file or the test JVM is gone. It is
 * stopped by its own pid; {@link #kill9()} and {@link #start()} again simulate a crash and a restart.
 */
public final class Daemon {
  private final String name;
  private final Path dir;
  private final List<String> command;
  private final Map<String, String> environment;
  private final Path watchdog;
  private final Path lease;
  private Process watcher;
  private long pid;

  Daemon(String name, Path dir, List<String> command, Map<String, String> environment, Path watchdog, Path lease) {
    this.name = name;
    this.dir = dir;
    this.command = List.copyOf(command);
    this.environment = Map.copyOf(environment);
    this.watchdog = watchdog;
    this.lease = lease;
  }

  public String name() {
    return name;
  }

  public Path dir() {
    return dir;
  }

  /** Where the process's stdout goes (appended over restarts). */
  public Path log() {
    return dir.resolve("stdout");
  }

  /** Where the process's stderr (Hadoop's log) goes, appended over restarts. */
  public Path errorLog() {
    return dir.resolve("stderr");
  }

  public long pid() {
    return pid;
  }

  public boolean isAlive() {
    return pid != 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Starts the process (again, after {@link #kill9()} or {@link #stop()}), with the same ports and folders. */
  public synchronized Daemon start() {
    if (isAlive()) {
      throw new IllegalStateException(name + " runs already (pid " + pid + ")");
    }
    Path pidFile = dir.resolve("pid");
    try {
      Files.createDirectories(dir.resolve("tmp"));
      Files.deleteIfExists(pidFile);
      List<String> args = new ArrayList<>(List.of("bash", watchdog.toString(), lease.toString(),
          Long.toString(ProcessHandle.current().pid()), pidFile.toString(), log().toString()));
      args.addAll(command);
      ProcessBuilder builder = new ProcessBuilder(args).directory(dir.toFile())
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("watchdog.log").toFile()))
          .redirectErrorStream(true);
      builder.environment().putAll(environment);
      watcher = builder.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!Files.exists(pidFile)) {
        if (System.nanoTime() > deadline || !watcher.isAlive()) {
          throw new IllegalStateException(name + " did not start; see " + dir.resolve("watchdog.log"));
        }
        Thread.sleep(20);
      }
      pid = Long.parseLong(Files.readString(pidFile).trim());
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + name, e);
    }
  }

  /** SIGKILL: the process ends with no shutdown of any kind, as in a machine or JVM crash. */
  public synchronized void kill9() {
    signalAndWait(false, Duration.ofSeconds(30));
  }

  /** SIGTERM (the daemon's own shutdown), SIGKILL if it has not ended after {@code grace}. */
  public synchronized void stop(Duration grace) {
    signalAndWait(true, grace);
  }

  public void stop() {
    stop(Duration.ofSeconds(20));
  }

  /** Waits for the process to end by itself (a client that has done its job); its exit code. */
  public int waitFor(Duration timeout) throws InterruptedException {
    if (!watcher.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(name + " has not ended within " + timeout + "; see " + log());
    }
    return watcher.exitValue();
  }

  private void signalAndWait(boolean graceful, Duration grace) {
    ProcessHandle process = ProcessHandle.of(pid).orElse(null);
    if (process != null && process.isAlive()) {
      if (graceful) {
        process.destroy();
        process.onExit().completeOnTimeout(process, grace.toMillis(), TimeUnit.MILLISECONDS).join();
        if (!process.isAlive()) {
          awaitWatcher();
          return;
        }
      }
      process.destroyForcibly();
      process.onExit().join();
    }
    awaitWatcher();
  }

  private void awaitWatcher() {
    try {
      if (watcher != null && !watcher.waitFor(10, TimeUnit.SECONDS)) {
        watcher.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + "(pid " + pid + ")";
  }
}
