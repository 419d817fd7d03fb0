package io.workerpool.it.nm;

import io.workerpool.it.app.ReportDir;
import io.workerpool.it.app.TestAppMaster;
import io.workerpool.it.app.TestApplication;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.exceptions.YarnException;

/** The client side of one {@link ReplacingAppMaster} application: submits it, sends commands, reads its reports. */
public final class ReplacingApplication {
  public static final int WORKER_MB = 128;

  private final ReportDir report;
  private final ApplicationId appId;
  private final String attemptId;
  private long commandsSent;

  private ReplacingApplication(ReportDir report, ApplicationId appId) {
    this.report = report;
    this.appId = appId;
    this.attemptId = ApplicationAttemptId.newInstance(appId, 1).toString();
  }

  /** Submits version 1 of the test application's files with {@link ReplacingAppMaster} as its AM. */
  public static ReplacingApplication submit(TestApplication app, YarnClient client, String name)
      throws IOException, YarnException {
    ContainerLaunchContext am = app.amLaunchContext("1", 0, WORKER_MB);
    am.setCommands(am.getCommands().stream()
        .map(c -> c.replace(TestAppMaster.class.getName(), ReplacingAppMaster.class.getName())).toList());
    YarnClientApplication created = client.createApplication();
    ApplicationSubmissionContext context = created.getApplicationSubmissionContext();
    context.setApplicationName(name);
    context.setApplicationType("WORKER-POOL-TEST");
    context.setMaxAppAttempts(1);
    context.setResource(Resource.newInstance(TestApplication.AM_MB, 1));
    context.setAMContainerSpec(am);
    client.submitApplication(context);
    return new ReplacingApplication(app.report(), context.getApplicationId());
  }

  static Path commands(ReportDir report, String attemptId) {
    return report.root().resolve("commands-" + attemptId);
  }

  /** Asks the AM to unregister and end, with its workers. */
  public void stop() throws IOException {
    Files.writeString(report.root().resolve("stop-" + attemptId), "");
  }

  public ApplicationId id() {
    return appId;
  }

  /** Sends one command to the AM; returns its request id. */
  public synchronized long command(String line) throws IOException {
    Files.writeString(commands(report, attemptId), line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    return ++commandsSent;
  }

  public List<String> amLines() throws IOException {
    return report.amLines(attemptId);
  }

  /** The AM's own container, once the AM has started. */
  public Optional<String> amContainer() throws IOException {
    return lineValue("start attempt=" + attemptId + " container=");
  }

  /** The container that answered a command, once allocated. */
  public Optional<String> containerOf(long requestId) throws IOException {
    return amLines().stream().filter(l -> l.startsWith("allocated ") && l.contains(" request=" + requestId + " "))
        .map(l -> l.split(" ")[1]).findFirst();
  }

  public boolean started(String containerId) throws IOException {
    return amLines().contains("started " + containerId);
  }

  /** What the AM was told when a container completed: "exit=N diagnostics=...". */
  public Optional<String> completion(String containerId) throws IOException {
    return lineValue("completed " + containerId + " ");
  }

  private Optional<String> lineValue(String prefix) throws IOException {
    return amLines().stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst();
  }
}
