package io.workerpool.flink;

import io.workerpool.client.UpdateHandle;
import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import java.io.File;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.util.ExceptionUtils;
import org.apache.flink.yarn.YarnClientYarnClusterInformationRetriever;
import org.apache.flink.yarn.YarnClusterClientFactory;
import org.apache.flink.yarn.YarnClusterDescriptor;
import org.apache.flink.yarn.YarnClusterInformationRetriever;
import org.apache.flink.yarn.configuration.YarnConfigOptions;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.YarnApplicationAttemptState;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException;

/**
 * Restarts a running Flink application cluster on YARN in place: Flink's own
 * {@link YarnClusterDescriptor} builds the new JobManager's launch context for the existing
 * application id (through {@link InPlaceYarnClient}), the Worker Pool replaces the JobManager and
 * hands the TaskManager containers to it on their nodes, and the restart waits until the job
 * runs again.
 */
public final class InPlaceRestart {
  private static final Duration POLL = Duration.ofMillis(200);
  /** What Flink's YarnClusterDescriptor submits when yarn.application.type is not set. */
  private static final String FLINK_APPLICATION_TYPE = "Apache Flink";

  private final YarnConfiguration yarnConf;
  private final Consumer<String> progress;

  /**
   * @param yarnConf the cluster's YARN configuration (with the Worker Pool address)
   * @param progress receives one line per step
   */
  public InPlaceRestart(YarnConfiguration yarnConf, Consumer<String> progress) {
    this.yarnConf = yarnConf;
    this.progress = progress;
  }

  public RestartReport restart(RestartRequest request) throws Exception {
    Configuration conf = new Configuration(request.flinkConfiguration());
    conf.set(DeploymentOptions.TARGET, "yarn-application");
    checkJobJar(conf);
    var appId = request.applicationId();
    long restartId = System.currentTimeMillis();
    List<RestartReport.Phase> phases = new ArrayList<>();

    try (InPlaceYarnClient yarn = new InPlaceYarnClient(appId, "flink-restart-" + restartId)) {
      yarn.init(yarnConf);
      yarn.start();
      ApplicationAttemptId oldAttempt = runningFlinkApplication(yarn, request).getCurrentApplicationAttemptId();
      yarn.expectJobManagerResource(jobManagerResource(yarn, oldAttempt));
      YarnClusterInformationRetriever clusterInfo = YarnClientYarnClusterInformationRetriever.create(yarn);
      OldAttempt old = prepareState(yarn, clusterInfo, request, conf, oldAttempt, restartId, phases);

      Path staging = StagingDirectories.fresh(conf, yarnConf, appId, restartId);
      conf.set(YarnConfigOptions.STAGING_DIRECTORY, staging.toString());
      UpdateStatus status = update(yarn, clusterInfo, request, conf, old, staging, phases);

      ApplicationAttemptId newAttempt = awaitNewAttempt(yarn, request, oldAttempt);
      JobID newJob = awaitJobRunning(yarn, conf, clusterInfo, request);
      long runningAt = System.currentTimeMillis();
      long jobManagerEnded = enteredAt(status, UpdatePhase.POOLING).orElse(restartId);
      phases.add(new RestartReport.Phase("job running on new attempt", jobManagerEnded, runningAt - jobManagerEnded));
      progress.accept("job " + newJob + " RUNNING in " + newAttempt);

      if (old.executionPlans() != null) {
        LastStateRecovery.dropOldExecutionPlans(conf, old.executionPlans());
      }
      String deleted = null;
      if (!old.files().equals(StagingDirectories.applicationFiles(staging, appId))) {
        StagingDirectories.delete(old.files(), yarnConf);
        deleted = old.files().toString();
      }
      List<RestartReport.TaskManagerMove> moves = status.getWorkersList().stream()
          .map(w -> new RestartReport.TaskManagerMove(w.getOldContainerId(), w.getNewContainerId(), w.getNodeId(),
              state(w)))
          .toList();
      return new RestartReport(appId.toString(), request.mode(), oldAttempt.toString(), newAttempt.toString(),
          old.job().toString(), newJob.toString(), old.savepoint(), status.getUpdateId(), moves, phases,
          runningAt - jobManagerEnded, staging.toString(), deleted);
    }
  }

  /**
   * What the restart keeps of the running attempt: its job, its staging files, and what the mode
   * prepared (a savepoint, or the execution-plans path of the old JobManager).
   */
  private record OldAttempt(JobID job, Path files, String savepoint, String executionPlans) {
  }

  /** Reads the running job and its files, and takes the mode's state step (the job keeps running). */
  private OldAttempt prepareState(InPlaceYarnClient yarn, YarnClusterInformationRetriever clusterInfo,
      RestartRequest request, Configuration conf, ApplicationAttemptId oldAttempt, long restartId,
      List<RestartReport.Phase> phases) throws Exception {
    var appId = request.applicationId();
    try (YarnClusterDescriptor running = new YarnClusterDescriptor(new Configuration(conf), yarnConf, yarn,
        clusterInfo, true);
        ClusterClient<org.apache.hadoop.yarn.api.records.ApplicationId> client =
            running.retrieve(appId).getClusterClient()) {
      JobID job = RunningFlinkJob.find(client, appId, request.timeout());
      Map<String, String> runningConfig = RunningFlinkJob.jobManagerConfiguration(client, request.timeout());
      Path files = StagingDirectories.current(runningConfig, yarnConf, appId);
      progress.accept("job " + job + " runs in " + oldAttempt + " (JobManager " + client.getWebInterfaceURL() + ")");
      conf.removeConfig(StateRecoveryOptions.SAVEPOINT_PATH);
      switch (request.mode()) {
        case SAVEPOINT -> {
          String directory = savepointDirectory(request, conf);
          long started = System.currentTimeMillis();
          progress.accept("taking a savepoint into " + directory + " (the job keeps running)");
          String savepoint = RunningFlinkJob.savepoint(client, job, directory, request.timeout());
          phases.add(new RestartReport.Phase("savepoint", started, System.currentTimeMillis() - started));
          progress.accept("savepoint " + savepoint);
          conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
          return new OldAttempt(job, files, savepoint, null);
        }
        case LAST_STATE -> {
          return new OldAttempt(job, files, null, LastStateRecovery.prepare(conf, appId, runningConfig, restartId));
        }
        default -> {
          return new OldAttempt(job, files, null, null);
        }
      }
    }
  }

  /**
   * Lets Flink's descriptor build and upload the new JobManager for the running application (its
   * submission is the update), then follows the update until it ends.
   */
  private UpdateStatus update(InPlaceYarnClient yarn, YarnClusterInformationRetriever clusterInfo,
      RestartRequest request, Configuration conf, OldAttempt old, Path staging, List<RestartReport.Phase> phases)
      throws Exception {
    var appId = request.applicationId();
    long prepareStarted = System.currentTimeMillis();
    progress.accept("uploading the new JobManager's files to " + staging);
    try (YarnClusterDescriptor next = new YarnClusterDescriptor(conf, yarnConf, yarn, clusterInfo, true)) {
      next.deployApplicationCluster(new YarnClusterClientFactory().getClusterSpecification(conf), request.program());
    } catch (Exception e) {
      if (yarn.update() == null) {
        throw new RestartException("the new JobManager could not be set up: " + rootMessage(e) + ". " + appId
            + " was not changed and keeps running"
            + (old.savepoint() == null ? "" : " (savepoint " + old.savepoint() + " was taken)"), e);
      }
      throw new RestartException("the update of " + appId + " started but the application did not come back: "
          + rootMessage(e) + ". Staging directories kept: " + staging + " and " + old.files(), e);
    }
    UpdateHandle update = yarn.update();
    progress.accept("update " + update.updateId() + " started");
    UpdateStatus status = update.await(request.timeout(), event -> progress.accept("  "
        + event.getStatus().getPhase() + " " + event.getMessage()));
    long accepted = enteredAt(status, UpdatePhase.ACCEPTED).orElse(prepareStarted);
    phases.add(new RestartReport.Phase("prepare new JobManager", prepareStarted, accepted - prepareStarted));
    addUpdatePhases(status, phases);
    if (status.getPhase() != UpdatePhase.SUCCEEDED) {
      throw new RestartException("update " + status.getUpdateId() + " of " + appId + " ended " + status.getPhase()
          + ": " + status.getDiagnostics() + ". Staging directories kept: " + staging + " and " + old.files());
    }
    return status;
  }

  private static String state(WorkerRecord worker) {
    return worker.getReason().isEmpty() ? worker.getState().name() : worker.getState() + " (" + worker.getReason() + ")";
  }

  private static void checkJobJar(Configuration conf) {
    List<String> jars = conf.getOptional(PipelineOptions.JARS).orElse(List.of());
    if (jars.size() != 1) {
      throw new RestartException("exactly one job jar is needed (pipeline.jars), got " + jars);
    }
    URI jar = URI.create(jars.get(0));
    if (jar.getScheme() == null || "file".equals(jar.getScheme())) {
      File file = jar.getScheme() == null ? new File(jars.get(0)) : new File(jar);
      if (!file.isFile()) {
        throw new RestartException("the job jar " + file + " does not exist; nothing was changed");
      }
    }
  }

  private ApplicationReport runningFlinkApplication(InPlaceYarnClient yarn, RestartRequest request) throws Exception {
    var appId = request.applicationId();
    ApplicationReport app;
    try {
      app = yarn.getApplicationReport(appId);
    } catch (ApplicationNotFoundException e) {
      throw new RestartException("the ResourceManager does not know " + appId);
    }
    String flinkType = request.flinkConfiguration().getOptional(YarnConfigOptions.APPLICATION_TYPE)
        .orElse(FLINK_APPLICATION_TYPE);
    if (!flinkType.equals(app.getApplicationType())) {
      throw new RestartException(appId + " is not a Flink application: its type is '" + app.getApplicationType()
          + "', Flink's is '" + flinkType + "' (yarn.application.type)");
    }
    if (app.getYarnApplicationState() != YarnApplicationState.RUNNING) {
      throw new RestartException(appId + " is not running: it is " + app.getYarnApplicationState()
          + "; only a RUNNING application can be restarted in place (deploy it with flink run instead)");
    }
    return app;
  }

  private static Resource jobManagerResource(InPlaceYarnClient yarn, ApplicationAttemptId attempt) throws Exception {
    var amContainer = yarn.getApplicationAttemptReport(attempt).getAMContainerId();
    return amContainer == null ? null : yarn.getContainerReport(amContainer).getAllocatedResource();
  }

  private static String savepointDirectory(RestartRequest request, Configuration conf) {
    if (request.savepointDirectory() != null) {
      return request.savepointDirectory();
    }
    return conf.getOptional(CheckpointingOptions.SAVEPOINT_DIRECTORY).orElseThrow(() -> new RestartException(
        "no savepoint directory: pass --savepoint-dir or set " + CheckpointingOptions.SAVEPOINT_DIRECTORY.key()));
  }

  private ApplicationAttemptId awaitNewAttempt(InPlaceYarnClient yarn, RestartRequest request,
      ApplicationAttemptId oldAttempt) throws Exception {
    return poll(deadlineAfter(request.timeout()), "the new JobManager of " + request.applicationId()
        + " did not register within " + request.timeout(), () -> {
          ApplicationReport app = yarn.getApplicationReport(request.applicationId());
          ApplicationAttemptId current = app.getCurrentApplicationAttemptId();
          if (!current.equals(oldAttempt)
              && yarn.getApplicationAttemptReport(current).getYarnApplicationAttemptState()
                  == YarnApplicationAttemptState.RUNNING) {
            return current;
          }
          if (app.getYarnApplicationState().ordinal() > YarnApplicationState.RUNNING.ordinal()) {
            throw new RestartException(request.applicationId() + " ended (" + app.getYarnApplicationState() + "): "
                + app.getDiagnostics());
          }
          return null;
        });
  }

  private JobID awaitJobRunning(InPlaceYarnClient yarn, Configuration conf, YarnClusterInformationRetriever info,
      RestartRequest request) throws Exception {
    long deadline = deadlineAfter(request.timeout());
    try (YarnClusterDescriptor descriptor = new YarnClusterDescriptor(new Configuration(conf), yarnConf, yarn, info,
        true);
        ClusterClient<org.apache.hadoop.yarn.api.records.ApplicationId> client =
            descriptor.retrieve(request.applicationId()).getClusterClient()) {
      return poll(deadline, "the job of " + request.applicationId() + " is not RUNNING on the new JobManager "
          + client.getWebInterfaceURL() + " after " + request.timeout() + "; see its log",
          () -> RunningFlinkJob.runningWithAllTasks(
              (RestClusterClient<org.apache.hadoop.yarn.api.records.ApplicationId>) client, Duration.ofSeconds(5)));
    }
  }

  private static long deadlineAfter(Duration timeout) {
    return System.currentTimeMillis() + timeout.toMillis();
  }

  /** Calls {@code check} every {@link #POLL} until it answers (not null); gives up after {@code deadline}. */
  private static <T> T poll(long deadline, String timedOut, Callable<T> check) throws Exception {
    while (true) {
      T answer = check.call();
      if (answer != null) {
        return answer;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new RestartException(timedOut);
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  private static void addUpdatePhases(UpdateStatus status, List<RestartReport.Phase> phases) {
    List<PhaseTime> times = status.getPhaseTimesList();
    for (int i = 0; i < times.size(); i++) {
      long start = times.get(i).getEnteredAtMs();
      long end = i + 1 < times.size() ? times.get(i + 1).getEnteredAtMs() : start;
      phases.add(new RestartReport.Phase("update " + times.get(i).getPhase(), start, end - start));
    }
  }

  private static Optional<Long> enteredAt(UpdateStatus status, UpdatePhase phase) {
    return status.getPhaseTimesList().stream().filter(p -> p.getPhase() == phase).map(PhaseTime::getEnteredAtMs)
        .findFirst();
  }

  private static String rootMessage(Throwable e) {
    Throwable restart = ExceptionUtils.findThrowable(e, RestartException.class).orElse(null);
    if (restart != null) {
      return restart.getMessage();
    }
    Throwable root = ExceptionUtils.findThrowable(e, t -> t.getCause() == null).orElse(e);
    return root.getMessage();
  }
}
