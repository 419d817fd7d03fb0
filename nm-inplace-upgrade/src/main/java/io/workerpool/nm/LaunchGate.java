package io.workerpool.nm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;

/**
 * A gate in front of a new container's command: the container's stock launch runs up to its own
 * process, which marks itself ready in its work folder and waits, with bash builtins only (no fork per
 * poll), until the NodeManager creates the open file, which it keeps in a folder of its own
 * ({@link GateFiles}) so that it can do so under every executor. The command then runs in the same
 * process, so the container's exit code is its command's own.
 *
 * <p>The gate is the first command of the launch context, which the NodeManager writes into
 * launch_container.sh as {@code exec /bin/bash -c "<commands>"}: it uses no {@code $}, quote,
 * backquote or NodeManager expansion marker, and names the open file by an absolute path of plain
 * characters. It waits on a FIFO it opens read-write (a read that times out after 10 ms, woken by
 * nothing); where mkfifo fails it sleeps instead. After {@code limitSeconds} it gives up and exits
 * {@value #GAVE_UP_EXIT_CODE}, so a gate that is never opened (the NodeManager restarted without
 * recovery or without the hook) does not hold the container for ever.
 */
final class LaunchGate {
  static final String READY_FILE = ".worker-pool-gate-ready";
  static final String FIFO = ".worker-pool-gate-fifo";
  /** EX_TEMPFAIL. */
  static final int GAVE_UP_EXIT_CODE = 75;
  private static final Pattern PLAIN_PATH = Pattern.compile("/[A-Za-z0-9/._+-]+");

  private LaunchGate() {
  }

  /**
   * The gate as one shell command list, ending with ';'.
   *
   * @param openFile the absolute path of the file whose existence opens the gate
   */
  static String command(long limitSeconds, Path openFile) {
    if (!nameable(openFile)) {
      throw new IllegalArgumentException("The gate's open file needs an absolute path of letters, digits and"
          + " /._+- only: " + openFile);
    }
    String wait = "until [[ -e " + openFile + " ]]; do ((SECONDS < " + limitSeconds + ")) || exit "
        + GAVE_UP_EXIT_CODE + "; ";
    return "if mkfifo " + FIFO + " 2>/dev/null && exec 3<>" + FIFO + "; then : >" + READY_FILE + "; " + wait
        + "read -t 0.01 -u 3; done; exec 3<&-; else : >" + READY_FILE + "; " + wait + "sleep 0.01; done; fi;";
  }

  /** Whether the gate can name a file by this path inside launch_container.sh's double quotes. */
  static boolean nameable(Path file) {
    return PLAIN_PATH.matcher(file.toString()).matches();
  }

  /** Puts the gate in front of the container's commands; false if it has none (nothing to hold). */
  static boolean install(ContainerLaunchContext launchContext, long limitSeconds, Path openFile) {
    List<String> commands = launchContext.getCommands();
    if (commands == null || commands.isEmpty()) {
      return false;
    }
    List<String> gated = new ArrayList<>(commands.size() + 1);
    gated.add(command(limitSeconds, openFile));
    gated.addAll(commands);
    launchContext.setCommands(gated);
    return true;
  }

  /** Whether the container's process waits at the gate (or has passed it). */
  static boolean isReady(Container container) {
    String workDir = container.getWorkDir();
    return workDir != null && Files.exists(Path.of(workDir, READY_FILE));
  }
}
