package io.workerpool.flink;

import java.io.IOException;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.yarn.configuration.YarnConfigOptions;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * Each restart uploads the new JobManager's files into a staging directory of its own, so that
 * the running attempt's files stay intact until the new attempt runs. Flink keeps an
 * application's files in {@code <staging>/.flink/<appId>}.
 */
final class StagingDirectories {
  /** The folder, under the configured staging directory, that holds one staging directory per restart. */
  static final String RESTARTS = ".flink-in-place";

  private StagingDirectories() {
  }

  /** A new staging directory for this restart, under the configured one (or the file system's home). */
  static Path fresh(Configuration conf, YarnConfiguration yarnConf, ApplicationId appId, long now) throws IOException {
    String configured = conf.get(YarnConfigOptions.STAGING_DIRECTORY);
    Path base;
    if (configured == null) {
      base = FileSystem.get(yarnConf).getHomeDirectory();
    } else {
      int ours = configured.indexOf("/" + RESTARTS + "/");
      base = new Path(ours < 0 ? configured : configured.substring(0, ours));
    }
    Path fresh = new Path(base, RESTARTS + "/" + appId + "-" + now);
    return fresh.getFileSystem(yarnConf).makeQualified(fresh);
  }

  /** Where the running JobManager's files are, from its configuration. */
  static Path current(Map<String, String> jobManagerConfig, YarnConfiguration yarnConf, ApplicationId appId)
      throws IOException {
    String staging = jobManagerConfig.get(YarnConfigOptions.STAGING_DIRECTORY.key());
    Path base = staging == null ? FileSystem.get(yarnConf).getHomeDirectory() : new Path(staging);
    return applicationFiles(base, appId);
  }

  static Path applicationFiles(Path staging, ApplicationId appId) {
    return new Path(staging, ".flink/" + appId);
  }

  /** Deletes a previous attempt's files, and the restart's own staging directory around them. */
  static void delete(Path applicationFiles, YarnConfiguration yarnConf) throws IOException {
    Path files = new Path(applicationFiles.toString()); // without a trailing slash
    FileSystem fs = files.getFileSystem(yarnConf);
    Path staging = files.getParent().getParent();
    boolean ours = staging.getParent() != null && RESTARTS.equals(staging.getParent().getName());
    fs.delete(ours ? staging : files, true);
  }
}
