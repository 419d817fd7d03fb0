package io.workerpool.it.nm;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The test JVM's classpath as another local user can read it. Under the LinuxContainerExecutor the containers
 * (the test AM) and the NodeManager's localizer run as the application user with the test JVM's classpath, but
 * the Maven repository usually sits in the home folder of the user who runs Maven, which others cannot enter.
 * Each entry that others cannot read is hard-linked (or copied) into a folder they can; the others stay where
 * they are.
 */
final class ReadableClasspath {
  private ReadableClasspath() {
  }

  /** The classpath with every entry readable by others, linked into {@code dir} where needed. */
  static String of(String classpath, Path dir) throws IOException {
    Files.createDirectories(dir);
    makeReadable(dir);
    List<String> entries = new ArrayList<>();
    int index = 0;
    for (String entry : classpath.split(File.pathSeparator)) {
      Path path = Path.of(entry).toAbsolutePath();
      if (entry.isEmpty() || !Files.isRegularFile(path) || readableByOthers(path)) {
        entries.add(entry);
        continue;
      }
      Path link = dir.resolve(index++ + "-" + path.getFileName());
      if (!Files.exists(link) || Files.size(link) != Files.size(path)) {
        Files.deleteIfExists(link);
        link(path, link);
      }
      entries.add(link.toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  /** A hard link where only the folders above keep others out (a link shares the file's mode), else a copy. */
  private static void link(Path file, Path link) throws IOException {
    if (Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ)) {
      try {
        Files.createLink(link, file);
        return;
      } catch (IOException | UnsupportedOperationException otherFileSystem) {
        // Copied below.
      }
    }
    Files.copy(file, link, StandardCopyOption.REPLACE_EXISTING);
    makeReadable(link);
  }

  /** Whether others may read the file and enter every folder above it. */
  private static boolean readableByOthers(Path file) throws IOException {
    if (!Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ)) {
      return false;
    }
    for (Path folder = file.getParent(); folder != null; folder = folder.getParent()) {
      if (!Files.getPosixFilePermissions(folder).contains(PosixFilePermission.OTHERS_EXECUTE)) {
        return false;
      }
    }
    return true;
  }

  private static void makeReadable(Path path) throws IOException {
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
    permissions.add(PosixFilePermission.OTHERS_READ);
    permissions.add(PosixFilePermission.GROUP_READ);
    if (Files.isDirectory(path)) {
      permissions.add(PosixFilePermission.OTHERS_EXECUTE);
      permissions.add(PosixFilePermission.GROUP_EXECUTE);
    }
    Files.setPosixFilePermissions(path, permissions);
  }
}
