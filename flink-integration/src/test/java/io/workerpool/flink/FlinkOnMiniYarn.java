package io.workerpool.flink;

import io.workerpool.it.cluster.TestCluster;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.client.deployment.ClusterSpecification;
import org.apache.flink.client.deployment.application.ApplicationConfiguration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.yarn.YarnClientYarnClusterInformationRetriever;
import org.apache.flink.yarn.YarnClusterClientFactory;
import org.apache.flink.yarn.YarnClusterDescriptor;
import org.apache.flink.yarn.configuration.YarnConfigOptions;
import org.apache.flink.yarn.configuration.YarnConfigOptionsInternal;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * Runs stock Flink application clusters on a {@link TestCluster} without a Flink distribution:
 * the Flink jars of the test classpath are shipped as a {@code lib/} folder, the rest of the test
 * classpath (Hadoop) plus the cluster's conf folder is the containers' YARN application classpath.
 */
final class FlinkOnMiniYarn {
  /** What flink-dist's config.yaml passes to every Flink JVM on Java 17. */
  static final String JDK_OPTIONS = String.join(" ",
      "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED",
      "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private final Path workDir;
  private final Path libDir;
  private final Path distJar;
  private final Path logConfig;

  private FlinkOnMiniYarn(Path workDir, Path libDir, Path distJar, Path logConfig) {
    this.workDir = workDir;
    this.libDir = libDir;
    this.distJar = distJar;
    this.logConfig = logConfig;
  }

  /** The cluster settings Flink's containers need: call before the cluster starts. */
  static TestCluster.Builder configure(TestCluster.Builder builder, String clusterName) {
    Path confDir = Path.of("target", clusterName, "conf").toAbsolutePath();
    List<String> classpath = new ArrayList<>();
    classpath.add(confDir.toString());
    for (String entry : testClasspath()) {
      if (!isFlink(entry) && !entry.endsWith("test-classes") && !entry.endsWith("classes")) {
        classpath.add(entry);
      }
    }
    return builder.set(YarnConfiguration.YARN_APPLICATION_CLASSPATH, String.join(",", classpath));
  }

  static FlinkOnMiniYarn prepare(Path workDir) throws IOException {
    Path libDir = workDir.resolve("flink/lib");
    Files.createDirectories(libDir);
    Path distJar = null;
    for (String entry : testClasspath()) {
      if (!isFlink(entry)) {
        continue;
      }
      Path jar = Path.of(entry);
      if (jar.getFileName().toString().startsWith("flink-yarn-")) {
        distJar = jar;
      } else {
        Files.copy(jar, libDir.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (distJar == null) {
      throw new IllegalStateException("flink-yarn is not on the test classpath");
    }
    Path logDir = workDir.resolve("flink/conf");
    Files.createDirectories(logDir);
    Path logConfig = logDir.resolve("log4j.properties");
    try (InputStream in = FlinkOnMiniYarn.class.getResourceAsStream("/flink/log4j.properties")) {
      Files.copy(in, logConfig, StandardCopyOption.REPLACE_EXISTING);
    }
    return new FlinkOnMiniYarn(workDir, libDir, distJar, logConfig);
  }

  /** A small application cluster: 1 slot per TaskManager, about 1 GB per process. */
  Configuration baseConfiguration(Path stateDir) {
    Configuration conf = new Configuration();
    conf.set(DeploymentOptions.TARGET, "yarn-application");
    conf.set(YarnConfigOptions.FLINK_DIST_JAR, distJar.toString());
    conf.set(YarnConfigOptions.SHIP_FILES, List.of(libDir.toString()));
    conf.set(YarnConfigOptionsInternal.APPLICATION_LOG_CONFIG_FILE, logConfig.toString());
    conf.set(YarnConfigOptions.STAGING_DIRECTORY, workDir.resolve("staging").toUri().toString());
    conf.set(CoreOptions.FLINK_DEFAULT_JVM_OPTIONS, JDK_OPTIONS);
    conf.set(JobManagerOptions.TOTAL_PROCESS_MEMORY, MemorySize.parse("768m"));
    conf.set(TaskManagerOptions.TOTAL_PROCESS_MEMORY, MemorySize.parse("1g"));
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, 1);
    conf.set(CoreOptions.DEFAULT_PARALLELISM, 2);
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, stateDir.resolve("checkpoints").toUri().toString());
    conf.set(CheckpointingOptions.SAVEPOINT_DIRECTORY, stateDir.resolve("savepoints").toUri().toString());
    return conf;
  }

  /** Deploys the job jar as a new application cluster, the way {@code flink run -t yarn-application} does. */
  ApplicationId deploy(Configuration conf, YarnConfiguration yarnConf, YarnClient yarn, Path jobJar, String mainClass,
      String... args) throws Exception {
    Configuration effective = new Configuration(conf);
    effective.set(PipelineOptions.JARS, List.of(jobJar.toUri().toString()));
    ClusterSpecification spec = new YarnClusterClientFactory().getClusterSpecification(effective);
    try (YarnClusterDescriptor descriptor = new YarnClusterDescriptor(effective, yarnConf, yarn,
        YarnClientYarnClusterInformationRetriever.create(yarn), true)) {
      return descriptor.deployApplicationCluster(spec, new ApplicationConfiguration(args, mainClass))
          .getClusterClient().getClusterId();
    }
  }

  private static boolean isFlink(String entry) {
    return Path.of(entry).getFileName().toString().startsWith("flink-") && entry.endsWith(".jar");
  }

  private static List<String> testClasspath() {
    return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
  }
}
