package io.workerpool.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The benchmark's code path, one small round: 2 workers, a 4 MiB image, 100 conversions. Not a measurement. */
class BenchmarkSmokeTest {

  @Test
  void oneSmallRoundWritesTableCsvJsonAndCharts(@TempDir Path out) throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int code = new CommandLine(new Benchmark(new PrintStream(printed, true, StandardCharsets.UTF_8)))
        .execute("--workers", "2", "--image-mb", "4", "--warmup-workers", "0", "--out", out.toString(),
            "--conversion-containers", "100", "--conversion-nodes", "10");
    String table = printed.toString(StandardCharsets.UTF_8);
    System.out.println(table);
    assertEquals(0, code, table);

    Map<String, Long> csv = new HashMap<>();
    for (String line : Files.readAllLines(out.resolve(ResultFiles.CSV)).stream().skip(1).toList()) {
      String[] f = line.split(",");
      csv.put(f[1] + "/" + f[2] + "/" + f[3], (long) Double.parseDouble(f[4]));
    }
    assertEquals(0L, csv.get("in-place update/2/unchanged_bytes_downloaded"), "in place, the image stays cached");
    assertEquals(0L, csv.get("work-preserving AM restart/2/bytes_downloaded"), "the workers were not touched");
    assertTrue(csv.get("kill + resubmit/2/unchanged_bytes_downloaded") >= 4L << 20, "a new application downloads the image");
    assertTrue(csv.get("in-place update/2/downtime") > 0 && csv.get("kill + resubmit/2/downtime") > 0, csv.toString());
    assertTrue(csv.get(BenchmarkResults.BATCH_FLOOR + "/2/downtime") > 0, csv.toString());

    JsonNode json = new ObjectMapper().readTree(out.resolve(ResultFiles.JSON).toFile());
    assertEquals(3, json.get("restarts").size(), json.toPrettyString());
    assertEquals(1, json.get("swapGaps").size(), json.toPrettyString());
    assertEquals(1L, csv.get("Worker Pool conversion/100/accounting_unchanged"), "the conversion benchmark ran and"
        + " left the scheduler's accounting unchanged");
    for (String chart : List.of(Charts.DOWNTIME, Charts.DOWNLOADS, Charts.SWAP_GAP)) {
      byte[] png = Files.readAllBytes(out.resolve(chart));
      assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', chart);
    }
    assertTrue(table.contains("| 2       | in-place update "), table);
  }
}
