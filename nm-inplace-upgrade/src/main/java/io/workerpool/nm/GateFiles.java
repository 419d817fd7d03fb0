package io.workerpool.nm;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files the NodeManager writes for the gates of new containers C3, in a folder it owns: {@value #FOLDER} in
 * one of its local dirs, mode 0755, so that a container's user can see them but not create them. Under the
 * LinuxContainerExecutor a container's work folder belongs to the application user (0710, the NodeManager's
 * group may only look up names in it), so nothing the NodeManager writes can live there; only the files C3's own
 * process writes (its ready file and FIFO) do. Per C3, named after its id:
 * <ul>
 *   <li>{@code <C3>.gated}: C3's launch script holds a gate (written before its launch); with no
 *       {@code <C3>.open} next to it, a restarted NodeManager knows C3's gate was never opened;</li>
 *   <li>{@code <C3>.open}: the file the gate waits for, by its absolute path;</li>
 *   <li>{@code <C3>.replaced-pid}: the pid of C1's process, written before C1 is stopped, so that its stop
 *       outlives a NodeManager restart.</li>
 * </ul>
 * A C3's files go when it ends; files of containers the NodeManager no longer knows go with {@link #sweep}.
 */
final class GateFiles {
  static final String FOLDER = "worker-pool-gates";
  private static final Logger LOG = LoggerFactory.getLogger(GateFiles.class);
  private static final String GATED = ".gated";
  private static final String OPEN = ".open";
  private static final String REPLACED_PID = ".replaced-pid";

  private final Supplier<List<String>> writableLocalDirs;
  private final Supplier<List<String>> readableLocalDirs;
  /** C3 to the folder of its files. */
  private final Map<ContainerId, Path> folders = new ConcurrentHashMap<>();

  /**
   * @param writableLocalDirs the NodeManager's good local dirs, where a new gate's files go
   * @param readableLocalDirs every local dir that may hold files of earlier gates
   */
  GateFiles(Supplier<List<String>> writableLocalDirs, Supplier<List<String>> readableLocalDirs) {
    this.writableLocalDirs = writableLocalDirs;
    this.readableLocalDirs = readableLocalDirs;
  }

  /**
   * Records that C3's launch script holds a gate.
   *
   * @return the absolute path of the file C3's gate waits for; empty if no local dir has a path the gate can name
   */
  Optional<Path> create(ContainerId c3) throws IOException {
    for (String localDir : writableLocalDirs.get()) {
      Path folder = Path.of(localDir, FOLDER).toAbsolutePath();
      if (LaunchGate.nameable(folder)) {
        Files.createDirectories(folder);
        // Whatever the NodeManager's umask: the containers' users must see the open files.
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        touch(folder.resolve(c3 + GATED));
        folders.put(c3, folder);
        return Optional.of(folder.resolve(c3 + OPEN));
      }
    }
    return Optional.empty();
  }

  /** Whether C3 was launched behind a gate that was not opened. */
  boolean closed(ContainerId c3) {
    return folder(c3).filter(f -> !Files.exists(f.resolve(c3 + OPEN))).isPresent();
  }

  /** Lets C3's command run (at once if its process has not reached its gate yet); false if C3 has no gate. */
  boolean open(ContainerId c3) throws IOException {
    Optional<Path> folder = folder(c3);
    if (folder.isPresent()) {
      touch(folder.get().resolve(c3 + OPEN));
    }
    return folder.isPresent();
  }

  /** Records the pid of the container C1 that C3 replaces, before C1 is stopped. */
  void recordReplacedPid(ContainerId c3, String pid) throws IOException {
    Optional<Path> folder = folder(c3);
    if (folder.isPresent()) {
      Path tmp = folder.get().resolve(c3 + REPLACED_PID + ".tmp");
      Files.writeString(tmp, pid);
      Files.move(tmp, folder.get().resolve(c3 + REPLACED_PID), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The pid recorded by {@link #recordReplacedPid}, if C1's stop was begun for C3. */
  Optional<String> replacedPid(ContainerId c3) {
    try {
      Optional<Path> folder = folder(c3);
      String pid = folder.isPresent() ? Files.readString(folder.get().resolve(c3 + REPLACED_PID)).strip() : "";
      return pid.isEmpty() ? Optional.empty() : Optional.of(pid);
    } catch (IOException none) {
      return Optional.empty();
    }
  }

  /** C3 ended: its gate's files are of no more use. */
  void delete(ContainerId c3) {
    Optional<Path> folder = folder(c3);
    folders.remove(c3);
    if (folder.isPresent()) {
      for (String suffix : List.of(REPLACED_PID, OPEN, GATED)) {
        deleteQuietly(folder.get().resolve(c3 + suffix));
      }
    }
  }

  /** Deletes the files of containers that are not {@code known} (they ended while the NodeManager was down). */
  void sweep(Predicate<ContainerId> known) {
    for (String localDir : readableLocalDirs.get()) {
      Path folder = Path.of(localDir, FOLDER);
      if (!Files.isDirectory(folder)) {
        continue;
      }
      try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
        for (Path file : files) {
          Optional<ContainerId> owner = ownerOf(file.getFileName().toString());
          if (owner.isPresent() && !known.test(owner.get())) {
            folders.remove(owner.get());
            deleteQuietly(file);
          }
        }
      } catch (IOException e) {
        LOG.warn("Cannot list {} to delete the gate files of ended containers", folder, e);
      }
    }
  }

  /** The folder of C3's files: where they were created, or, after a NodeManager restart, where they are found. */
  private Optional<Path> folder(ContainerId c3) {
    Path known = folders.get(c3);
    if (known != null) {
      return Optional.of(known);
    }
    for (String localDir : readableLocalDirs.get()) {
      Path folder = Path.of(localDir, FOLDER).toAbsolutePath();
      if (Files.exists(folder.resolve(c3 + GATED))) {
        folders.put(c3, folder);
        return Optional.of(folder);
      }
    }
    return Optional.empty();
  }

  private static Optional<ContainerId> ownerOf(String fileName) {
    int dot = fileName.indexOf('.');
    try {
      return dot > 0 ? Optional.of(ContainerId.fromString(fileName.substring(0, dot))) : Optional.empty();
    } catch (IllegalArgumentException notOurs) {
      return Optional.empty();
    }
  }

  private static void touch(Path file) throws IOException {
    try {
      Files.createFile(file);
    } catch (FileAlreadyExistsException already) {
      // Opened or marked before, for example by an earlier attempt that failed later.
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("Cannot delete {}", file, e);
    }
  }
}
