package io.workerpool.flink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped {@code bin/flink} against a stand-in Flink installation: every action but restart
 * goes to the installation's own bin/flink; restart runs this module's CliFrontend with the
 * classpath Flink's config.sh builds.
 */
class FlinkWrapperScriptTest {
  @TempDir
  Path dir;
  private Path flinkHome;
  private Path wrapper;

  @BeforeEach
  void standInFlinkAndUnpackedPackage() throws Exception {
    flinkHome = Files.createDirectories(dir.resolve("flink"));
    Path bin = Files.createDirectories(flinkHome.resolve("bin"));
    Path conf = Files.createDirectories(flinkHome.resolve("conf"));
    Files.writeString(conf.resolve("config.yaml"), "");
    executable(bin.resolve("flink"), "#!/usr/bin/env bash\necho \"stock flink: $*\"\n");
    // What Flink's config.sh provides to bin/flink, with the test classpath as Flink's lib/.
    Files.writeString(bin.resolve("config.sh"), String.join("\n",
        "constructFlinkClassPath() { echo '" + System.getProperty("java.class.path") + "'; }",
        "manglePathList() { echo \"$1\"; }",
        "JAVA_RUN=" + Path.of(System.getProperty("java.home"), "bin", "java"),
        "FLINK_CONF_DIR=" + conf,
        "FLINK_LOG_DIR=" + dir,
        "INTERNAL_HADOOP_CLASSPATHS=",
        ""));
    Path packageBin = Files.createDirectories(dir.resolve("worker-pool-flink/bin"));
    wrapper = packageBin.resolve("flink");
    Files.copy(Path.of("src/main/dist/bin/flink"), wrapper, StandardCopyOption.COPY_ATTRIBUTES);
    Files.createDirectories(dir.resolve("worker-pool-flink/lib"));
    Files.createFile(dir.resolve("worker-pool-flink/lib/flink-integration-0-restart.jar"));
  }

  @Test
  void otherActionsRunTheInstallationsOwnFlink() throws Exception {
    Result result = run("list", "-t", "yarn-application");
    assertEquals(0, result.code, result.output);
    assertEquals("stock flink: list -t yarn-application", result.output.strip());
  }

  @Test
  void restartRunsTheExtendedCliFrontend() throws Exception {
    Result result = run("restart", "-t", "yarn-application", "-Dyarn.application.id=application_1_0001", "job.jar");
    assertEquals(1, result.code, result.output);
    assertTrue(result.output.contains("error: flink restart only restarts in place: add --in-place"), result.output);
  }

  @Test
  void withoutFlinkHomeItSaysWhatIsMissing() throws Exception {
    Result result = run((Path) null, "list");
    assertEquals(1, result.code);
    assertTrue(result.output.contains("set FLINK_HOME"), result.output);
  }

  private record Result(int code, String output) {
  }

  private Result run(String... args) throws Exception {
    return run(flinkHome, args);
  }

  private Result run(Path home, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("bash", wrapper.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("FLINK_HOME");
    if (home != null) {
      builder.environment().put("FLINK_HOME", home.toString());
    }
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    return new Result(process.exitValue(), output);
  }

  private static void executable(Path file, String text) throws Exception {
    Files.writeString(file, text);
    assertTrue(file.toFile().setExecutable(true));
  }
}
