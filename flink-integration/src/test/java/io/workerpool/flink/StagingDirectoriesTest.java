package io.workerpool.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.yarn.configuration.YarnConfigOptions;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagingDirectoriesTest {
  private static final ApplicationId APP = ApplicationId.newInstance(1, 7);
  private final YarnConfiguration yarn = new YarnConfiguration();

  @Test
  void eachRestartStagesUnderTheConfiguredDirectoryNotUnderThePreviousRestarts(@TempDir java.nio.file.Path dir)
      throws Exception {
    Configuration conf = new Configuration();
    conf.set(YarnConfigOptions.STAGING_DIRECTORY, dir.toUri().toString());
    Path first = StagingDirectories.fresh(conf, yarn, APP, 100);
    assertEquals(new Path(dir.toUri().toString(), ".flink-in-place/" + APP + "-100"), first);
    conf.set(YarnConfigOptions.STAGING_DIRECTORY, first.toString());
    assertEquals(new Path(dir.toUri().toString(), ".flink-in-place/" + APP + "-200"),
        StagingDirectories.fresh(conf, yarn, APP, 200));
  }

  @Test
  void theRunningJobManagersFilesComeFromItsStagingDirectory(@TempDir java.nio.file.Path dir) throws Exception {
    Path running = StagingDirectories.current(Map.of("yarn.staging-directory", dir.toUri().toString()), yarn, APP);
    assertEquals(new Path(dir.toUri().toString(), ".flink/" + APP), running);
  }

  @Test
  void deletingAFirstDeploymentsFilesKeepsTheSharedStagingDirectory(@TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path appFiles = Files.createDirectories(dir.resolve(".flink").resolve(APP.toString()));
    java.nio.file.Path other = Files.createDirectories(dir.resolve(".flink").resolve("application_1_0008"));
    StagingDirectories.delete(new Path(appFiles.toUri()), yarn);
    assertFalse(Files.exists(appFiles));
    assertTrue(Files.exists(other), "another application's files stay");
  }

  @Test
  void deletingARestartsFilesDeletesItsWholeStagingDirectory(@TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path restart = dir.resolve(".flink-in-place").resolve(APP + "-100");
    java.nio.file.Path appFiles = Files.createDirectories(restart.resolve(".flink").resolve(APP.toString()));
    Files.writeString(appFiles.resolve("flink-conf.yaml"), "x");
    StagingDirectories.delete(new Path(appFiles.toUri()), yarn);
    assertFalse(Files.exists(restart));
    assertTrue(Files.exists(dir.resolve(".flink-in-place")));
  }
}
