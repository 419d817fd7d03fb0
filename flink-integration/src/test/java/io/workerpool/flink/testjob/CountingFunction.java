package io.workerpool.flink.testjob;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/** Counts records per key in keyed state and appends "millis key count version" per record to a file of its own. */
final class CountingFunction extends KeyedProcessFunction<String, Long, String> {
  private final String recordDir;
  private final String version;
  private transient ValueState<Long> count;
  private transient Writer out;

  CountingFunction(String recordDir, String version) {
    this.recordDir = recordDir;
    this.version = version;
  }

  @Override
  public void open(OpenContext context) throws Exception {
    count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
    Path file = Path.of(recordDir, "records-" + UUID.randomUUID() + ".txt");
    out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
  }

  @Override
  public void processElement(Long number, Context context, Collector<String> collector) throws Exception {
    long next = count.value() == null ? 1 : count.value() + 1;
    count.update(next);
    String record = System.currentTimeMillis() + " " + context.getCurrentKey() + " " + next + " " + version;
    out.write(record + "\n");
    out.flush();
    collector.collect(record);
  }

  @Override
  public void close() throws Exception {
    if (out != null) {
      out.close();
    }
  }
}
