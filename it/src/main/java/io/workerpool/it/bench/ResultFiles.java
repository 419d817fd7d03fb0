package io.workerpool.it.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes a run's results as results.json (everything, nested) and results.csv (one number per row). */
final class ResultFiles {
  static final String JSON = "results.json";
  static final String CSV = "results.csv";

  private ResultFiles() {
  }

  static List<Path> write(BenchmarkResults results, Path outDir) throws IOException {
    Files.createDirectories(outDir);
    Path json = outDir.resolve(JSON);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), results);
    Path csv = outDir.resolve(CSV);
    StringBuilder text = new StringBuilder("section,method,size,metric,value,unit\n");
    for (Metric m : results.metrics()) {
      text.append(String.join(",", m.section(), m.method(), Integer.toString(m.size()), m.metric(),
          number(m.value()), m.unit())).append('\n');
    }
    Files.writeString(csv, text);
    return List.of(csv, json);
  }

  private static String number(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }
}
