package io.workerpool.nm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate run by bash as the NodeManager's launch_container.sh runs a command. */
class LaunchGateTest {
  @TempDir
  Path workDir;

  @Test
  void theCommandRunsOnlyOnceTheGateIsOpenAndItsExitCodeIsTheContainers() throws Exception {
    Process process = launch(60, "echo ran > ran.txt; exit 7");
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(workDir.resolve(LaunchGate.READY_FILE)));
    assertFalse(process.waitFor(300, TimeUnit.MILLISECONDS), "waits at the gate");
    assertFalse(Files.exists(workDir.resolve("ran.txt")), "the command has not run");

    Files.createFile(openFile());
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(7, process.exitValue());
    assertEquals("ran", Files.readString(workDir.resolve("ran.txt")).strip());
  }

  @Test
  void aGateNeverOpenedGivesUpAfterItsLimit() throws Exception {
    Process process = launch(0, "echo ran > ran.txt");
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(LaunchGate.GAVE_UP_EXIT_CODE, process.exitValue());
    assertFalse(Files.exists(workDir.resolve("ran.txt")));
  }

  @Test
  void isInstalledInFrontOfTheCommandsOnlyWhenThereAreSome() throws Exception {
    ContainerLaunchContext context = ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of("a", "b"), null,
        null, null);
    assertTrue(LaunchGate.install(context, 5, openFile()));
    assertEquals(List.of(LaunchGate.command(5, openFile()), "a", "b"), context.getCommands());
    assertFalse(LaunchGate.install(ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of(), null, null,
        null), 5, openFile()));
  }

  @Test
  void namesItsOpenFileOnlyByAnAbsolutePathThatNeedsNoQuoting() {
    for (String path : List.of("relative/open", "/a b/open", "/a$b/open", "/a\"b/open", "/<LOG_DIR>/open",
        "/{{x}}/open")) {
      assertThrows(IllegalArgumentException.class, () -> LaunchGate.command(5, Path.of(path)), path);
    }
  }

  /** Outside the work folder, as the NodeManager keeps it. */
  private Path openFile() throws Exception {
    return Files.createDirectories(workDir.resolve("gates")).resolve("container_1_0001_01_000002.open");
  }

  /** As launch_container.sh does: the commands inside double quotes of bash -c. */
  private Process launch(long limitSeconds, String command) throws Exception {
    Path script = workDir.resolve("launch_container.sh");
    Files.writeString(script, "#!/bin/bash\nset -o pipefail -e\nexec /bin/bash -c \""
        + String.join(" ", LaunchGate.command(limitSeconds, openFile()), command) + "\"\n");
    return new ProcessBuilder("bash", script.toString()).directory(workDir.toFile()).redirectErrorStream(true)
        .redirectOutput(workDir.resolve("out.txt").toFile()).start();
  }
}
