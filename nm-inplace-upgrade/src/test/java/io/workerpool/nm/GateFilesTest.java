package io.workerpool.nm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate files on a real file system, as a NodeManager and a restarted one see them. */
class GateFilesTest {
  private static final ContainerId C3 = ContainerId.fromString("container_1700000000000_0001_01_000003");
  private static final ContainerId OTHER = ContainerId.fromString("container_1700000000000_0001_01_000004");

  @TempDir
  Path localDir;

  @Test
  void aGateIsClosedUntilOpenedAndARestartedNodeManagerSeesTheSame() throws Exception {
    GateFiles files = filesIn(localDir);
    Path openFile = files.create(C3).orElseThrow();
    Path folder = localDir.resolve(GateFiles.FOLDER).toAbsolutePath();
    assertEquals(folder, openFile.getParent());
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)),
        "the containers' users can see the open file, not create it");
    assertTrue(files.closed(C3));
    assertTrue(filesIn(localDir).closed(C3), "after a restart");
    assertFalse(files.closed(OTHER), "a container without a gate");

    files.recordReplacedPid(C3, "4242");
    assertEquals(Optional.of("4242"), filesIn(localDir).replacedPid(C3));

    assertTrue(files.open(C3));
    assertTrue(Files.exists(openFile));
    assertFalse(filesIn(localDir).closed(C3), "after a restart");
    assertFalse(files.open(OTHER), "no gate to open");
  }

  @Test
  void theFilesGoWhenTheirContainerEndsOrIsNoLongerKnown() throws Exception {
    GateFiles files = filesIn(localDir);
    files.create(C3);
    files.recordReplacedPid(C3, "1");
    files.open(C3);
    files.create(OTHER);
    Path folder = localDir.resolve(GateFiles.FOLDER);

    files.delete(C3);
    assertEquals(List.of(OTHER + ".gated"), names(folder));
    assertEquals(Optional.empty(), files.replacedPid(C3));

    files.create(C3);
    filesIn(localDir).sweep(OTHER::equals);
    assertEquals(List.of(OTHER + ".gated"), names(folder));
  }

  @Test
  void aLocalDirThatTheGateCannotNameIsSkipped() throws Exception {
    Path quoted = Files.createDirectories(localDir.resolve("with space"));
    Path plain = Files.createDirectories(localDir.resolve("plain"));
    GateFiles files = new GateFiles(() -> List.of(quoted.toString(), plain.toString()),
        () -> List.of(quoted.toString(), plain.toString()));
    assertEquals(plain.resolve(GateFiles.FOLDER).toAbsolutePath(), files.create(C3).orElseThrow().getParent());
    assertEquals(Optional.empty(), new GateFiles(() -> List.of(quoted.toString()), List::of).create(C3));
  }

  private static GateFiles filesIn(Path localDir) {
    return new GateFiles(() -> List.of(localDir.toString()), () -> List.of(localDir.toString()));
  }

  private static List<String> names(Path folder) throws Exception {
    try (var files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }
}
