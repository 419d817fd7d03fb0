package io.workerpool.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.LocalResource;
import org.apache.hadoop.yarn.api.records.LocalResourceType;
import org.apache.hadoop.yarn.api.records.LocalResourceVisibility;
import org.apache.hadoop.yarn.api.records.URL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** launch-context → edit → update --launch-context changes exactly the edit, for the AM contexts of real apps. */
class LaunchContextFileTest {
  private static final Configuration CONF = new Configuration();

  @TempDir
  Path dir;

  @Test
  void flinkApplicationMasterContextRoundTripsExceptTheEdit() throws Exception {
    ContainerLaunchContext flink = context(List.of("$JAVA_HOME/bin/java -Xmx1073741824 -Xms1073741824"
            + " -XX:MaxMetaspaceSize=268435456 -Dlog.file=\"<LOG_DIR>/jobmanager.log\""
            + " -Dlog4j.configurationFile=file:log4j.properties"
            + " org.apache.flink.yarn.entrypoint.YarnApplicationClusterEntryPoint -D jobmanager.memory.off-heap.size="
            + "134217728b 1> <LOG_DIR>/jobmanager.out 2> <LOG_DIR>/jobmanager.err"),
        Map.of("_FLINK_CLASSPATH", ":lib/flink-dist-2.2.0.jar:lib/flink-yarn-2.2.0.jar:job.jar:config.yaml:",
            "_CLIENT_HOME_DIR", "file:/home/alice", "HADOOP_USER_NAME", "alice",
            "_FLINK_YARN_FILES", "file:/home/alice/.flink/application_1_0001",
            "CLASSPATH", "{{CLASSPATH}}<CPS>./*<CPS>{{HADOOP_CONF_DIR}}"),
        List.of("config.yaml", "log4j.properties", "lib/flink-dist-2.2.0.jar", "lib/flink-yarn-2.2.0.jar", "job.jar"));
    assertRoundTripChangesOnlyTheEdit(flink);
  }

  @Test
  void distributedShellApplicationMasterContextRoundTripsExceptTheEdit() throws Exception {
    ContainerLaunchContext dshell = context(List.of("{{JAVA_HOME}}/bin/java -Xmx256m"
            + " org.apache.hadoop.yarn.applications.distributedshell.ApplicationMaster --container_memory 128"
            + " --num_containers 4 --priority 0 --shell_env WP_VERSION=1 1><LOG_DIR>/AppMaster.stdout"
            + " 2><LOG_DIR>/AppMaster.stderr "),
        Map.of("DISTRIBUTEDSHELLSCRIPTLEN", "0", "DISTRIBUTEDSHELLSCRIPTLOCATION", "",
            "CLASSPATH", "{{CLASSPATH}}<CPS>./*<CPS>./log4j.properties"),
        List.of("AppMaster.jar", "shellCommands", "shellArgs"));
    assertRoundTripChangesOnlyTheEdit(dshell);
  }

  @Test
  void secretEnvironmentValuesAreNotPrintedButKept() throws Exception {
    ContainerLaunchContext current = context(List.of("run"),
        Map.of("AWS_SECRET_ACCESS_KEY", "s3cr3t", "DB_PASSWORD", "hunter2", "MODE", "prod"), List.of());
    String printed = LaunchContextFile.of(current).toJson();
    assertFalse(printed.contains("s3cr3t") || printed.contains("hunter2"), printed);

    Path file = Files.writeString(dir.resolve("am.json"), printed.replace("prod", "test"));
    ContainerLaunchContext updated = LaunchContextFile.parse(file.toFile()).toLaunchContext(CONF, current);
    assertEquals(Map.of("AWS_SECRET_ACCESS_KEY", "s3cr3t", "DB_PASSWORD", "hunter2", "MODE", "test"),
        updated.getEnvironment());
  }

  @Test
  void wrongInputIsRefusedWithOneLine() throws Exception {
    ContainerLaunchContext current = context(List.of("run"), Map.of(), List.of());
    LaunchContextEdits noEquals = new LaunchContextEdits();
    noEquals.setEnv = List.of("VERSION");
    assertEquals("--set-env takes KEY=VALUE; 'VERSION' has no key before '='",
        assertThrows(IllegalArgumentException.class, () -> noEquals.applyTo(LaunchContextFile.of(current)))
            .getMessage());

    LaunchContextEdits badType = new LaunchContextEdits();
    badType.setResource = List.of("a.jar=file:///a.jar,JAR");
    assertEquals("--set-resource a.jar=file:///a.jar,JAR: 'JAR' is not one of [ARCHIVE, FILE, PATTERN]",
        assertThrows(IllegalArgumentException.class, () -> badType.applyTo(LaunchContextFile.of(current)))
            .getMessage());

    LaunchContextEdits missing = new LaunchContextEdits();
    missing.setResource = List.of("a.jar=" + dir.resolve("missing.jar").toUri());
    LaunchContextFile spec = LaunchContextFile.of(current);
    missing.applyTo(spec);
    IOException refused = assertThrows(IOException.class, () -> spec.toLaunchContext(CONF, current));
    assertEquals("local resource \"a.jar\": cannot read " + dir.resolve("missing.jar").toUri() + ": File "
        + "file:" + dir.resolve("missing.jar") + " does not exist", refused.getMessage());
  }

  /** JSON before and after an edit differ in the edited line only, and the resources are the same records. */
  private void assertRoundTripChangesOnlyTheEdit(ContainerLaunchContext current) throws Exception {
    String printed = LaunchContextFile.of(current).toJson();
    LaunchContextEdits edit = new LaunchContextEdits();
    edit.setEnv = List.of("LOG_LEVEL=debug");
    LaunchContextFile spec = LaunchContextFile.parse(Files.writeString(dir.resolve("am.json"), printed).toFile());
    edit.applyTo(spec);
    ContainerLaunchContext updated = spec.toLaunchContext(CONF, current);

    assertEquals(current.getCommands(), updated.getCommands());
    assertEquals(current.getLocalResources(), updated.getLocalResources());
    Map<String, String> expectedEnv = new LinkedHashMap<>(current.getEnvironment());
    expectedEnv.put("LOG_LEVEL", "debug");
    assertEquals(expectedEnv, updated.getEnvironment());
    // The printed file after the update is the edited file: one added line (and JSON's comma before it).
    String after = LaunchContextFile.of(updated).toJson();
    List<String> added = ContextDiff.unified(printed, after).stream()
        .filter(l -> l.startsWith("+") && !l.startsWith("+++")).toList();
    assertEquals(List.of("+    \"LOG_LEVEL\" : \"debug\""),
        added.stream().filter(l -> l.contains("LOG_LEVEL")).map(l -> l.replaceAll(",$", "")).toList());
    assertEquals(withoutCommas(printed), withoutCommas(after.replace("    \"LOG_LEVEL\" : \"debug\",\n", "")
        .replace(",\n    \"LOG_LEVEL\" : \"debug\"\n", "\n")));
  }

  private static String withoutCommas(String json) {
    return json.replaceAll(",\n", "\n");
  }

  private ContainerLaunchContext context(List<String> commands, Map<String, String> env, List<String> files)
      throws IOException {
    Map<String, LocalResource> resources = new LinkedHashMap<>();
    for (String name : files) {
      Path file = dir.resolve("staging").resolve(name);
      Files.createDirectories(file.getParent());
      Files.writeString(file, "content of " + name);
      resources.put(name, LocalResource.newInstance(
          URL.fromPath(new org.apache.hadoop.fs.Path(file.toUri())), LocalResourceType.FILE,
          LocalResourceVisibility.APPLICATION, Files.size(file), Files.getLastModifiedTime(file).toMillis()));
    }
    return ContainerLaunchContext.newInstance(resources, new LinkedHashMap<>(env), new ArrayList<>(commands), null,
        ByteBuffer.allocate(0), Map.of());
  }
}
