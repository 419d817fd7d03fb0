package io.workerpool.it.app;

import java.util.List;
import org.apache.hadoop.yarn.api.records.NodeReport;
import org.apache.hadoop.yarn.api.records.UpdatedContainer;
import org.apache.hadoop.yarn.client.api.async.AMRMClientAsync;

/** ResourceManager client callbacks shared by the test AMs: they report shutdown and errors, then exit. */
public abstract class ReportingRMCallbacks extends AMRMClientAsync.AbstractCallbackHandler {
  private final ReportDir report;
  private final String attemptId;

  protected ReportingRMCallbacks(ReportDir report, String attemptId) {
    this.report = report;
    this.attemptId = attemptId;
  }

  @Override
  public void onContainersUpdated(List<UpdatedContainer> containers) {
  }

  @Override
  public void onShutdownRequest() {
    report.appendAmLine(attemptId, "shutdown-requested");
    System.exit(1);
  }

  @Override
  public void onNodesUpdated(List<NodeReport> updatedNodes) {
  }

  @Override
  public float getProgress() {
    return 0.5f;
  }

  @Override
  public void onError(Throwable e) {
    report.appendAmLine(attemptId, "error " + e);
    System.exit(2);
  }
}
