package io.workerpool.flink;

import io.workerpool.client.UpdateHandle;
import io.workerpool.client.WorkerPoolClient;
import java.io.IOException;
import org.apache.hadoop.yarn.api.protocolrecords.GetNewApplicationResponse;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.exceptions.YarnException;
import org.apache.hadoop.yarn.util.Records;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The YARN client handed to Flink's own {@code YarnClusterDescriptor} so that its deployment
 * builds the new JobManager launch context for an application that already runs: the
 * "new" application is the running one, "submitting" it updates it in place, and the
 * descriptor's clean-up kill after a failed deployment is ignored so that the job keeps running.
 */
class InPlaceYarnClient extends WorkerPoolClient {
  private static final Logger LOG = LoggerFactory.getLogger(InPlaceYarnClient.class);

  private final ApplicationId appId;
  private final Resource amResource;
  private final String requestId;
  private volatile UpdateHandle update;

  /**
   * @param amResource the running JobManager container's resource: the update cannot change it
   * @param requestId the update's client request id (a retried restart returns the same update)
   */
  InPlaceYarnClient(ApplicationId appId, Resource amResource, String requestId) {
    this.appId = appId;
    this.amResource = amResource;
    this.requestId = requestId;
  }

  @Override
  public YarnClientApplication createApplication() throws YarnException, IOException {
    // Asked only for the cluster's maximum container size, which the descriptor checks against.
    GetNewApplicationResponse fresh = super.createApplication().getNewApplicationResponse();
    GetNewApplicationResponse response = Records.newRecord(GetNewApplicationResponse.class);
    response.setApplicationId(appId);
    response.setMaximumResourceCapability(fresh.getMaximumResourceCapability());
    ApplicationSubmissionContext context = Records.newRecord(ApplicationSubmissionContext.class);
    context.setApplicationId(appId);
    return new YarnClientApplication(response, context);
  }

  @Override
  public ApplicationId submitApplication(ApplicationSubmissionContext context) throws YarnException, IOException {
    if (!appId.equals(context.getApplicationId())) {
      throw new IllegalStateException("asked to submit " + context.getApplicationId() + " while restarting " + appId);
    }
    Resource asked = context.getResource();
    if (amResource != null && asked != null && asked.getMemorySize() != amResource.getMemorySize()) {
      throw new RestartException("the new configuration asks for a JobManager container of " + asked.getMemorySize()
          + " MB but " + appId + " runs with " + amResource.getMemorySize() + " MB: an in-place restart cannot"
          + " change the JobManager container size yet; keep jobmanager.memory.process.size as it is");
    }
    update = updateApplication(appId, context.getAMContainerSpec(), null, requestId);
    LOG.info("Update {} of {} started", update.updateId(), appId);
    return appId;
  }

  @Override
  public void killApplication(ApplicationId applicationId) {
    LOG.warn("Not killing {}: the restart failed before the update, the application keeps running", applicationId);
  }

  @Override
  public void killApplication(ApplicationId applicationId, String diagnostics) {
    killApplication(applicationId);
  }

  /** The update started by the descriptor's submission, or null if it did not get that far. */
  UpdateHandle update() {
    return update;
  }
}
