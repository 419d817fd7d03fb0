package io.workerpool.flink;

import java.time.Duration;
import java.util.Objects;
import org.apache.flink.client.deployment.application.ApplicationConfiguration;
import org.apache.flink.configuration.Configuration;
import org.apache.hadoop.yarn.api.records.ApplicationId;

/**
 * One in-place restart.
 *
 * @param flinkConfiguration the new application's whole Flink configuration, as {@code flink run -t yarn-application}
 *     would deploy it ({@code pipeline.jars} names the new job jar)
 * @param program the new job's entry class and arguments
 * @param savepointDirectory where the savepoint goes (SAVEPOINT mode), or null for
 *     {@code execution.checkpointing.savepoint-dir}
 * @param timeout how long the savepoint, the update and the job's start may take, each
 */
public record RestartRequest(ApplicationId applicationId, Configuration flinkConfiguration,
    ApplicationConfiguration program, StateMode mode, String savepointDirectory, Duration timeout) {

  public RestartRequest {
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(flinkConfiguration, "flinkConfiguration");
    Objects.requireNonNull(program, "program");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(timeout, "timeout");
  }
}
