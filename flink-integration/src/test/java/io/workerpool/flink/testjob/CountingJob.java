package io.workerpool.flink.testjob;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * The test's streaming job: numbers at a fixed rate, keyed into {@value #KEYS} keys, a per-key
 * counter in keyed state, and every counted record appended to a file with its time and the
 * job version. The version comes from {@value #VERSION_RESOURCE} inside the job jar.
 *
 * <p>Arguments: the folder the records go to.
 */
public final class CountingJob {
  public static final int KEYS = 4;
  public static final String VERSION_RESOURCE = "job-version.txt";
  static final double RECORDS_PER_SECOND = 40;

  private CountingJob() {
  }

  public static void main(String[] args) throws Exception {
    String recordDir = args[0];
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.enableCheckpointing(1000);
    DataGeneratorSource<Long> numbers = new DataGeneratorSource<>(n -> n, Long.MAX_VALUE,
        RateLimiterStrategy.perSecond(RECORDS_PER_SECOND), Types.LONG);
    env.fromSource(numbers, WatermarkStrategy.noWatermarks(), "numbers").uid("numbers")
        .keyBy(n -> "k" + (n % KEYS))
        .process(new CountingFunction(recordDir, version())).uid("counter")
        .sinkTo(new DiscardingSink<>()).uid("discard");
    env.execute("counting-job");
  }

  private static String version() throws IOException {
    try (InputStream in = CountingJob.class.getClassLoader().getResourceAsStream(VERSION_RESOURCE)) {
      return in == null ? "none" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
  }
}
