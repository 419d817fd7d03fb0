package io.workerpool.it.app;

import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.api.async.NMClientAsync;

/** NodeManager client callbacks of the test AMs: they report container starts to the report dir. */
public class ReportingNMCallbacks extends NMClientAsync.AbstractCallbackHandler {
  private final ReportDir report;
  private final String attemptId;

  public ReportingNMCallbacks(ReportDir report, String attemptId) {
    this.report = report;
    this.attemptId = attemptId;
  }

  @Override
  public void onStartContainerError(ContainerId containerId, Throwable t) {
    report.appendAmLine(attemptId, "start-error " + containerId + " " + t.getMessage());
  }

  @Override
  public void onContainerStarted(ContainerId containerId, Map<String, ByteBuffer> allServiceResponse) {
    report.appendAmLine(attemptId, "started " + containerId);
  }

  @Override
  public void onContainerStatusReceived(ContainerId containerId, ContainerStatus containerStatus) {
  }

  @Override
  public void onContainerStopped(ContainerId containerId) {
  }

  @Override
  public void onGetContainerStatusError(ContainerId containerId, Throwable t) {
  }

  @Override
  public void onContainerResourceIncreased(ContainerId containerId, Resource resource) {
  }

  @Override
  public void onContainerResourceUpdated(ContainerId containerId, Resource resource) {
  }

  @Override
  public void onIncreaseContainerResourceError(ContainerId containerId, Throwable t) {
  }

  @Override
  public void onUpdateContainerResourceError(ContainerId containerId, Throwable t) {
  }

  @Override
  public void onStopContainerError(ContainerId containerId, Throwable t) {
  }
}
