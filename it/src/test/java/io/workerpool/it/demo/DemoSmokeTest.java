package io.workerpool.it.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The README's main command still works: the demo, with 2 workers to keep it short. */
class DemoSmokeTest {

  @Test
  void demoPrintsBothRestartsSideBySide() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int code = new CommandLine(new Demo(new PrintStream(printed, true, StandardCharsets.UTF_8)))
        .execute("--workers", "2", "--image-mb", "8");
    String out = printed.toString(StandardCharsets.UTF_8);
    System.out.println(out);

    assertEquals(0, code, out);
    assertTrue(out.contains(" SUCCEEDED "), out);
    Matcher inPlace = Pattern.compile("in-place update +2 +(\\d+) +\\S+ +\\S+ +(\\d+)").matcher(out);
    Matcher resubmit = Pattern.compile("kill \\+ resubmit +2 +(\\d+) +\\S+ +\\S+ +(\\d+)").matcher(out);
    assertTrue(inPlace.find() && resubmit.find(), out);
    assertTrue(Long.parseLong(inPlace.group(2)) < (1 << 20), "in place, the image is not downloaded again");
    assertTrue(Long.parseLong(resubmit.group(2)) >= 8L << 20, "kill + resubmit downloads the image again");
  }
}
