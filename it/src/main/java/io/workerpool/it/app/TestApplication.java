package io.workerpool.it.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.hadoop.yarn.api.ApplicationConstants;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.LocalResource;
import org.apache.hadoop.yarn.api.records.LocalResourceType;
import org.apache.hadoop.yarn.api.records.LocalResourceVisibility;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.URL;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.exceptions.YarnException;

/**
 * The client side of the test application: stages its files and builds the AM launch context
 * of a version. Version N differs from the others by the {@code WP_VERSION} environment value
 * and by the {@code version.txt} local resource; the image and worker script stay the same.
 */
public final class TestApplication {
  public static final int AM_MB = 512;
  public static final String IMAGE = "image.bin";
  public static final String WORKER_SCRIPT = "worker.sh";
  /** The staged files every version uses, by file name; each version has its own version-N.txt besides. */
  public static final Set<String> SHARED_FILES = Set.of(IMAGE, WORKER_SCRIPT);
  private static final String VERSION_FILE = "version.txt";

  private final Path stagingDir;
  private final ReportDir report;
  private final String amClasspath;

  private TestApplication(Path stagingDir, ReportDir report, String amClasspath) {
    this.stagingDir = stagingDir;
    this.report = report;
    this.amClasspath = amClasspath;
  }

  /**
   * @param confDir a folder with the cluster's yarn-site.xml: the AM finds the RM through it
   * @param imageBytes the size of the image resource that stands for a container image
   */
  public static TestApplication stage(Path stagingDir, ReportDir report, Path confDir, long imageBytes)
      throws IOException {
    Files.createDirectories(stagingDir);
    writeImage(stagingDir.resolve(IMAGE), imageBytes);
    try (InputStream script = TestApplication.class.getResourceAsStream("/" + WORKER_SCRIPT)) {
      Files.write(stagingDir.resolve(WORKER_SCRIPT), script.readAllBytes());
    }
    String testClasspath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return new TestApplication(stagingDir, report, confDir.toAbsolutePath() + ":" + testClasspath);
  }

  public ReportDir report() {
    return report;
  }

  /** What goes wrong with (or is special about) the workers of a version, to test how failures are handled. */
  public enum WorkerFault {
    NONE,
    /** The workers' version.txt resource names a file that does not exist: they fail to localize. */
    FILES_MISSING,
    /** The workers exit with code 3 right after they start. */
    EXIT_AT_START,
    /** The workers log SIGTERM ("term" lines) and go on: only SIGKILL, at the end of a stop's grace, ends them. */
    IGNORE_TERM,
    /**
     * Not a fault: the workers get a file of their own that the AM does not have, so that a new worker's
     * localization runs a localizer process instead of finding every file in the application's cache.
     */
    OWN_FILE
  }

  public ContainerLaunchContext amLaunchContext(String version, int workers, int workerMb) throws IOException {
    return amLaunchContext(version, workers, workerMb, WorkerFault.NONE);
  }

  public ContainerLaunchContext amLaunchContext(String version, int workers, int workerMb, WorkerFault fault)
      throws IOException {
    Map<String, LocalResource> workerResources = new LinkedHashMap<>();
    workerResources.put(IMAGE, localResource(stagingDir.resolve(IMAGE)));
    workerResources.put(WORKER_SCRIPT, localResource(stagingDir.resolve(WORKER_SCRIPT)));
    LocalResource versionFile = localResource(versionFile(version));
    if (fault == WorkerFault.FILES_MISSING) {
      versionFile.setResource(URL.fromPath(new org.apache.hadoop.fs.Path(
          stagingDir.resolve("missing-" + version + ".txt").toUri())));
    }
    workerResources.put(VERSION_FILE, versionFile);
    if (fault == WorkerFault.OWN_FILE) {
      Path own = stagingDir.resolve("worker-" + version + ".txt");
      Files.writeString(own, version + "\n");
      workerResources.put("worker.txt", localResource(own));
    }

    Map<String, String> env = new LinkedHashMap<>();
    env.put(TestAppMaster.ENV_VERSION, version);
    env.put(TestAppMaster.ENV_WORKERS, Integer.toString(workers));
    env.put(TestAppMaster.ENV_WORKER_MB, Integer.toString(workerMb));
    env.put(ReportDir.ENV, report.root().toAbsolutePath().toString());
    env.put(WorkerResources.ENV, WorkerResources.encode(workerResources));
    if (fault == WorkerFault.EXIT_AT_START) {
      env.put(TestAppMaster.ENV_EXIT_AT_START, "3");
    }
    if (fault == WorkerFault.IGNORE_TERM) {
      env.put(TestAppMaster.ENV_IGNORE_TERM, "1");
    }

    String log = ApplicationConstants.LOG_DIR_EXPANSION_VAR;
    String command = ApplicationConstants.Environment.JAVA_HOME.$$() + "/bin/java -Xmx192m -cp " + amClasspath
        + " " + TestAppMaster.class.getName() + " 1>" + log + "/stdout 2>" + log + "/stderr";
    return ContainerLaunchContext.newInstance(Map.of(VERSION_FILE, localResource(versionFile(version))), env,
        List.of(command), null, null, null);
  }

  public ApplicationId submit(YarnClient client, String version, int workers, int workerMb,
      SubmitOptions options) throws IOException, YarnException {
    return submit(client, amLaunchContext(version, workers, workerMb), options);
  }

  public ApplicationId submit(YarnClient client, ContainerLaunchContext amLaunchContext, SubmitOptions options)
      throws IOException, YarnException {
    YarnClientApplication app = client.createApplication();
    ApplicationSubmissionContext context = app.getApplicationSubmissionContext();
    context.setApplicationName(options.name());
    context.setApplicationType("WORKER-POOL-TEST");
    context.setKeepContainersAcrossApplicationAttempts(options.keepContainers());
    context.setMaxAppAttempts(options.maxAttempts());
    context.setQueue(options.queue());
    context.setPriority(Priority.newInstance(options.priority()));
    context.setResource(Resource.newInstance(AM_MB, 1));
    context.setAMContainerSpec(amLaunchContext);
    return client.submitApplication(context);
  }

  /** Makes the AM of one attempt exit with a failure, without unregistering. */
  public void crashAttempt(String attemptId) throws IOException {
    Files.writeString(report.root().resolve("crash-" + attemptId), "");
  }

  /** Asks the AM of one attempt to unregister. */
  public void stopAttempt(String attemptId) throws IOException {
    Files.writeString(report.root().resolve("stop-" + attemptId), "");
  }

  private Path versionFile(String version) throws IOException {
    Path file = stagingDir.resolve("version-" + version + ".txt");
    if (!Files.exists(file)) {
      Files.writeString(file, version + "\n");
    }
    return file;
  }

  private static LocalResource localResource(Path file) throws IOException {
    return LocalResource.newInstance(URL.fromPath(new org.apache.hadoop.fs.Path(file.toUri())),
        LocalResourceType.FILE, LocalResourceVisibility.APPLICATION, Files.size(file),
        Files.getLastModifiedTime(file).toMillis());
  }

  private static void writeImage(Path file, long bytes) throws IOException {
    if (Files.exists(file) && Files.size(file) == bytes) {
      return;
    }
    SplittableRandom random = new SplittableRandom(42);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long written = 0; written < bytes; written += chunk.length) {
        for (int i = 0; i < chunk.length; i += 8) {
          long value = random.nextLong();
          for (int b = 0; b < 8; b++) {
            chunk[i + b] = (byte) (value >>> (8 * b));
          }
        }
        out.write(chunk, 0, (int) Math.min(chunk.length, bytes - written));
      }
    }
  }

  /** @param priority the application's priority (YARN's default 0; the cluster must allow it) */
  public record SubmitOptions(String name, boolean keepContainers, int maxAttempts, String queue, int priority) {
    public static SubmitOptions defaults(String name) {
      return new SubmitOptions(name, true, 4, "default", 0);
    }

    public SubmitOptions keepContainers(boolean keep) {
      return new SubmitOptions(name, keep, maxAttempts, queue, priority);
    }

    public SubmitOptions maxAttempts(int attempts) {
      return new SubmitOptions(name, keepContainers, attempts, queue, priority);
    }

    public SubmitOptions queue(String queueName) {
      return new SubmitOptions(name, keepContainers, maxAttempts, queueName, priority);
    }

    public SubmitOptions priority(int appPriority) {
      return new SubmitOptions(name, keepContainers, maxAttempts, queue, appPriority);
    }
  }
}
