package io.workerpool.nm;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher.ContainerLaunch;

/**
 * A gate in front of a new container's command: the container's stock launch runs up to its own
 * process, which marks itself ready and waits, with bash builtins only (no fork per poll), until
 * the NodeManager creates the open file in the container's work folder. The command then runs in
 * the same process, so the container's exit code is its command's own.
 *
 * <p>The gate is the first command of the launch context, which the NodeManager writes into
 * launch_container.sh as {@code exec /bin/bash -c "<commands>"}: it uses no {@code $}, quote,
 * backquote or NodeManager expansion marker. It waits on a FIFO it opens read-write (a read that
 * times out after 10 ms, woken by nothing); where mkfifo fails it sleeps instead. After
 * {@code limitSeconds} it gives up and exits {@value #GAVE_UP_EXIT_CODE}, so a gate that is never
 * opened (the NodeManager restarted without recovery or without the hook) does not hold the container
 * for ever. The gate's files live in the container's work folder, where a restarted NodeManager finds
 * them: the gate itself in launch_container.sh, whether it was opened, and the replaced container's pid.
 */
final class LaunchGate {
  static final String READY_FILE = ".worker-pool-gate-ready";
  static final String OPEN_FILE = ".worker-pool-gate-open";
  static final String FIFO = ".worker-pool-gate-fifo";
  /** The pid of the replaced container's process, written before it is stopped: its stop outlives a restart. */
  static final String REPLACED_PID_FILE = ".worker-pool-replaced-pid";
  /** EX_TEMPFAIL. */
  static final int GAVE_UP_EXIT_CODE = 75;

  private LaunchGate() {
  }

  /** The gate as one shell command list, ending with ';'. */
  static String command(long limitSeconds) {
    String wait = "until [[ -e " + OPEN_FILE + " ]]; do ((SECONDS < " + limitSeconds + ")) || exit "
        + GAVE_UP_EXIT_CODE + "; ";
    return "if mkfifo " + FIFO + " 2>/dev/null && exec 3<>" + FIFO + "; then : >" + READY_FILE + "; " + wait
        + "read -t 0.01 -u 3; done; exec 3<&-; else : >" + READY_FILE + "; " + wait + "sleep 0.01; done; fi;";
  }

  /** Puts the gate in front of the container's commands; false if it has none (nothing to hold). */
  static boolean install(ContainerLaunchContext launchContext, long limitSeconds) {
    List<String> commands = launchContext.getCommands();
    if (commands == null || commands.isEmpty()) {
      return false;
    }
    List<String> gated = new ArrayList<>(commands.size() + 1);
    gated.add(command(limitSeconds));
    gated.addAll(commands);
    launchContext.setCommands(gated);
    return true;
  }

  /**
   * Whether the container was launched behind a gate that was not opened: what a restarted NodeManager
   * needs to know, since the gate lives only in the launch script, not in the stored launch context.
   */
  static boolean closedIn(Container container) {
    String workDir = container.getWorkDir();
    if (workDir == null || Files.exists(Path.of(workDir, OPEN_FILE))) {
      return false;
    }
    try {
      return Files.readString(Path.of(workDir, ContainerLaunch.CONTAINER_SCRIPT)).contains(READY_FILE);
    } catch (IOException noScript) {
      return false;
    }
  }

  /** Records the pid of the container C1 that the gated container replaces, before C1 is stopped. */
  static void recordReplacedPid(Container container, String pid) throws IOException {
    String workDir = container.getWorkDir();
    if (workDir != null) {
      Path tmp = Path.of(workDir, REPLACED_PID_FILE + ".tmp");
      Files.writeString(tmp, pid);
      Files.move(tmp, Path.of(workDir, REPLACED_PID_FILE), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The pid recorded by {@link #recordReplacedPid}, if C1's stop was begun for this container. */
  static Optional<String> replacedPid(Container container) {
    String workDir = container.getWorkDir();
    if (workDir == null) {
      return Optional.empty();
    }
    try {
      String pid = Files.readString(Path.of(workDir, REPLACED_PID_FILE)).strip();
      return pid.isEmpty() ? Optional.empty() : Optional.of(pid);
    } catch (IOException none) {
      return Optional.empty();
    }
  }

  /** Whether the container's process waits at the gate (or has passed it). */
  static boolean isReady(Container container) {
    String workDir = container.getWorkDir();
    return workDir != null && Files.exists(Path.of(workDir, READY_FILE));
  }

  /**
   * Lets the container's command run.
   *
   * @return false if the container's work folder is not chosen yet (its launch has not begun): try again later
   */
  static boolean open(Container container) throws IOException {
    String workDir = container.getWorkDir();
    if (workDir == null) {
      return false;
    }
    try {
      Files.createFile(Path.of(workDir, OPEN_FILE));
    } catch (FileAlreadyExistsException alreadyOpen) {
      // Opened before, for example by an earlier attempt that failed later.
    }
    return true;
  }
}
