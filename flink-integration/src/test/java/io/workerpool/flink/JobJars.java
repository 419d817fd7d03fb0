package io.workerpool.flink;

import io.workerpool.flink.testjob.CountingJob;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/** Builds versions of the test job's jar: the same classes, a different {@code job-version.txt}. */
final class JobJars {
  private JobJars() {
  }

  static Path build(Path dir, String version) throws IOException, URISyntaxException {
    Path classes = Path.of(CountingJob.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    String packageDir = CountingJob.class.getPackageName().replace('.', '/');
    List<Path> classFiles;
    try (Stream<Path> files = Files.list(classes.resolve(packageDir))) {
      classFiles = files.filter(f -> f.toString().endsWith(".class")).sorted().toList();
    }
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, CountingJob.class.getName());
    Files.createDirectories(dir);
    Path jar = dir.resolve("counting-job-" + version + ".jar");
    try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
      for (Path classFile : classFiles) {
        out.putNextEntry(new JarEntry(packageDir + "/" + classFile.getFileName()));
        Files.copy(classFile, out);
        out.closeEntry();
      }
      out.putNextEntry(new JarEntry(CountingJob.VERSION_RESOURCE));
      out.write(version.getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    return jar;
  }
}
