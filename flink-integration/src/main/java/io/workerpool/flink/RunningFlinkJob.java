package io.workerpool.flink;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.util.ExceptionUtils;
import org.apache.hadoop.yarn.api.records.ApplicationId;

/** The running job of a Flink application cluster, reached through its JobManager's REST API. */
final class RunningFlinkJob {
  private RunningFlinkJob() {
  }

  /** The application's one RUNNING job. */
  static JobID find(ClusterClient<ApplicationId> client, ApplicationId appId, Duration timeout) throws Exception {
    Collection<JobStatusMessage> jobs = client.listJobs().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    List<JobStatusMessage> running = jobs.stream().filter(j -> j.getJobState() == JobStatus.RUNNING).toList();
    if (running.size() != 1) {
      throw new RestartException(appId + " must run exactly one RUNNING job to be restarted in place; its jobs: "
          + jobs.stream().map(j -> j.getJobId() + " " + j.getJobState()).toList());
    }
    return running.get(0).getJobId();
  }

  /** Takes a savepoint while the job keeps running. */
  static String savepoint(ClusterClient<ApplicationId> client, JobID job, String directory, Duration timeout) {
    try {
      return client.triggerSavepoint(job, directory, SavepointFormatType.CANONICAL)
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      Throwable root = ExceptionUtils.stripCompletionException(e);
      String reason = ExceptionUtils.findThrowable(root, t -> t.getCause() == null).map(Throwable::getMessage)
          .orElse(String.valueOf(root.getMessage()));
      throw new RestartException("the savepoint of job " + job + " into " + directory + " failed: " + reason
          + ". Nothing was changed: the job keeps running. Pass a writable --savepoint-dir", e);
    }
  }

  /** Whether the job is RUNNING with every task RUNNING, or false while it is still starting. */
  static JobID runningWithAllTasks(RestClusterClient<ApplicationId> client, Duration requestTimeout) {
    try {
      for (JobStatusMessage job : client.listJobs().get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        if (job.getJobState() != JobStatus.RUNNING) {
          continue;
        }
        JobDetailsInfo details = client.getJobDetails(job.getJobId())
            .get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        boolean allRunning = details.getJobVertexInfos().stream()
            .allMatch(v -> v.getExecutionState() == ExecutionState.RUNNING);
        if (allRunning) {
          return job.getJobId();
        }
      }
    } catch (Exception e) {
      // the new JobManager is not answering yet
    }
    return null;
  }

  /** The running JobManager's configuration (REST {@code /jobmanager/config}). */
  static Map<String, String> jobManagerConfiguration(ClusterClient<ApplicationId> client, Duration timeout)
      throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(client.getWebInterfaceURL() + "/jobmanager/config"))
        .timeout(timeout).build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new RestartException("the JobManager at " + client.getWebInterfaceURL() + " answered "
          + response.statusCode() + " for its configuration");
    }
    Map<String, String> config = new HashMap<>();
    for (JsonNode entry : new ObjectMapper().readTree(response.body())) {
      config.put(entry.get("key").asText(), entry.get("value").asText());
    }
    return config;
  }
}
