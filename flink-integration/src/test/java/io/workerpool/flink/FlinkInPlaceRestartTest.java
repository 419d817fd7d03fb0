package io.workerpool.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.workerpool.flink.testjob.CountingJob;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.WorkerPoolSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real Flink 2.2.0 application cluster on a MiniYARNCluster with the Worker Pool, restarted in place. */
class FlinkInPlaceRestartTest {
  private static final String CLUSTER = "flink-in-place";
  private static TestCluster cluster;
  private static FlinkOnMiniYarn flink;
  private static Path work;

  @BeforeAll
  static void startCluster() throws Exception {
    TestCluster.Builder builder = TestCluster.builder(CLUSTER).nodeManagers(2).nodeMemoryMb(3072);
    WorkerPoolSettings.apply(builder, 30_000, true);
    cluster = FlinkOnMiniYarn.configure(builder, CLUSTER).start();
    work = cluster.workDir();
    flink = FlinkOnMiniYarn.prepare(work);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void flinkRuns() throws Exception {
    Path records = Files.createDirectories(work.resolve("records-smoke"));
    Configuration conf = flink.baseConfiguration(work.resolve("state-smoke"));
    Path jar = JobJars.build(work.resolve("jars"), "v1");
    long started = System.currentTimeMillis();
    ApplicationId appId = flink.deploy(conf, new YarnConfiguration(cluster.config()), cluster.client(), jar,
        CountingJob.class.getName(), records.toString());
    System.out.println("deployed " + appId + " in " + (System.currentTimeMillis() - started) + " ms");
    long deadline = System.currentTimeMillis() + Duration.ofSeconds(120).toMillis();
    List<JobRecords.Entry> entries = JobRecords.read(records);
    while (entries.size() < 50 && System.currentTimeMillis() < deadline) {
      Thread.sleep(500);
      entries = JobRecords.read(records);
    }
    System.out.println("records after " + (System.currentTimeMillis() - started) + " ms: " + entries.size());
    assertTrue(entries.size() >= 50);
    assertEquals("v1", entries.get(0).version());
  }
}
