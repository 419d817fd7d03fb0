package io.workerpool.it.realcluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The jars an operator deploys, as this build produced them (paths passed by the pom). */
public final class Jars {
  private Jars() {
  }

  /** Hadoop's jars for the RM, NM and clients (what a Hadoop install's share/hadoop holds). */
  public static List<Path> hadoop() {
    return classpathFile("realcluster.hadoop.classpath");
  }

  /** hadoop-yarn-applications-distributedshell and the Jersey 1 client its Client links. */
  public static List<Path> distributedShell() {
    return classpathFile("realcluster.distributedshell.classpath");
  }

  /** The Jersey 1 client jars distributedshell's Client and ApplicationMaster link (not in Hadoop 3.5.0). */
  public static List<Path> jersey1() {
    return distributedShell().stream().filter(p -> !p.equals(distributedShellJar())).toList();
  }

  public static Path distributedShellJar() {
    return distributedShell().stream()
        .filter(p -> p.getFileName().toString().startsWith("hadoop-yarn-applications-distributedshell"))
        .findFirst().orElseThrow();
  }

  public static Path rmPlugin() {
    return file("realcluster.rm.plugin");
  }

  public static Path nmPlugin() {
    return file("realcluster.nm.plugin");
  }

  public static Path cli() {
    return file("realcluster.cli.jar");
  }

  private static List<Path> classpathFile(String property) {
    Path file = file(property);
    try {
      return Arrays.stream(Files.readString(file).trim().split(java.io.File.pathSeparator)).map(Path::of).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path file(String property) {
    String value = System.getProperty(property);
    if (value == null) {
      throw new IllegalStateException("system property " + property + " is not set: run the real-cluster tests"
          + " through Maven (mvn -B -pl real-cluster -am verify)");
    }
    Path path = Path.of(value).normalize();
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException(path + " does not exist: build it first (mvn -B -pl real-cluster -am verify)");
    }
    return path;
  }
}
