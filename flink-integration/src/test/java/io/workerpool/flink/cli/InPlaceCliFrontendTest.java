package io.workerpool.flink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.client.cli.DefaultCLI;
import org.apache.flink.client.cli.GenericCLI;
import org.apache.flink.configuration.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The restart action's argument handling; the restart itself is tested on a cluster (FlinkInPlaceRestartTest). */
class InPlaceCliFrontendTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(Path confDir, String... args) {
    Configuration conf = new Configuration();
    InPlaceCliFrontend cli = new InPlaceCliFrontend(conf,
        List.of(new GenericCLI(conf, confDir.toString()), new DefaultCLI()), new YarnConfiguration(),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return cli.parseAndRun(args);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void restartWithoutInPlaceRefusesAndExplains(@TempDir Path conf) {
    assertEquals(1, run(conf, "restart", "-t", "yarn-application", "-Dyarn.application.id=application_1_0001",
        "job.jar"));
    assertTrue(err().contains("add --in-place"), err());
    assertTrue(err().contains("flink savepoint"), "says how to restart the ordinary way: " + err());
  }

  @Test
  void restartNeedsAnApplicationIdAndTheYarnApplicationTarget(@TempDir Path conf) {
    assertEquals(1, run(conf, "restart", "--in-place", "-t", "yarn-application", "job.jar"));
    assertTrue(err().contains("-Dyarn.application.id="), err());
    err.reset();
    assertEquals(1, run(conf, "restart", "--in-place", "-t", "yarn-session",
        "-Dyarn.application.id=application_1_0001", "job.jar"));
    assertTrue(err().contains("pass -t yarn-application (got -t yarn-session)"), err());
  }

  @Test
  void missingJarIsReportedBeforeAnythingIsContacted(@TempDir Path conf) {
    Path jar = conf.resolve("missing.jar");
    assertEquals(1, run(conf, "restart", "--in-place", "-t", "yarn-application",
        "-Dyarn.application.id=application_1_0001", jar.toString()));
    assertTrue(err().startsWith("error: the job jar " + jar + " does not exist"), err());
    assertTrue(!err().contains("\tat "), "no stack trace: " + err());
  }

  @Test
  void unknownModeIsAnArgumentError(@TempDir Path conf) throws Exception {
    Path jar = Files.createFile(conf.resolve("job.jar"));
    assertEquals(1, run(conf, "restart", "--in-place", "--mode", "fast", "-t", "yarn-application",
        "-Dyarn.application.id=application_1_0001", jar.toString()));
    assertTrue(err().contains("unknown state mode 'fast'"), err());
  }

  @Test
  void aSavepointToRestoreIsNotTakenFromTheCommandLine(@TempDir Path conf) {
    assertEquals(1, run(conf, "restart", "--in-place", "-s", "file:///savepoints/sp-1", "-t", "yarn-application",
        "-Dyarn.application.id=application_1_0001", "job.jar"));
    assertTrue(err().contains("restart does not take -s"), err());
  }

  @Test
  void otherActionsAreFlinksOwn(@TempDir Path conf) {
    assertEquals(0, run(conf, "--version"));
    assertEquals(1, run(conf, "no-such-action"));
  }
}
