package io.workerpool.it.cluster;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * The files the NodeManagers hold in their localization caches ({@code filecache} folders of their
 * local dirs), by path and size. Two snapshots tell what the NodeManagers really downloaded in
 * between: the NM counter LocalizedCacheMissBytes counts a file once per container that waited
 * for it, so N workers starting together on one node count one download N times.
 */
public final class LocalizedFiles {
  private final Map<Path, Long> sizes;

  private LocalizedFiles(Map<Path, Long> sizes) {
    this.sizes = sizes;
  }

  public static LocalizedFiles snapshot(MiniYARNCluster yarn, int nodeManagers) throws IOException {
    Map<Path, Long> sizes = new HashMap<>();
    for (int i = 0; i < nodeManagers; i++) {
      for (String dir : yarn.getNodeManager(i).getNMContext().getLocalDirsHandler().getLocalDirs()) {
        collect(Path.of(dir), sizes);
      }
    }
    return new LocalizedFiles(sizes);
  }

  /** Bytes of the files that are in this snapshot but not in {@code before} and whose name passes {@code names}. */
  public long bytesAddedSince(LocalizedFiles before, Predicate<String> names) {
    return sizes.entrySet().stream()
        .filter(e -> !before.sizes.containsKey(e.getKey()))
        .filter(e -> names.test(e.getKey().getFileName().toString()))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  /** Walks one local dir; folders an NM deletes meanwhile (a killed application's cache) are skipped. */
  private static void collect(Path localDir, Map<Path, Long> sizes) throws IOException {
    if (!Files.isDirectory(localDir)) {
      return;
    }
    Files.walkFileTree(localDir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (attrs.isRegularFile() && inFileCache(localDir.relativize(file)) && !isChecksum(file)) {
          sizes.put(file, attrs.size());
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) {
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static boolean inFileCache(Path relative) {
    for (Path part : relative) {
      if (part.toString().equals("filecache")) {
        return true;
      }
    }
    return false;
  }

  /** The local file system writes a .crc side file next to each download; it is not downloaded. */
  private static boolean isChecksum(Path file) {
    String name = file.getFileName().toString();
    return name.startsWith(".") && name.endsWith(".crc");
  }
}
