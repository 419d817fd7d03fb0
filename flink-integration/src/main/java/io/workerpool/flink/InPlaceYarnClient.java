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
  private final String requestId;
  private volatile Resource amResource;
  private volatile UpdateHandle update;

  /** @param requestId the update's client request id (a retried restart returns the same update) */
  InPlaceYarnClient(ApplicationId appId, String requestId) {
    this.appId = appId;
    this.requestId = requestId;
  }

  /** The running JobManager container's resource, which the update cannot change. */
  void expectJobManagerResource(Resource resource) {
    this.amResource = resource;
  }

  @Override
  public YarnClientApplication createApplication() throws YarnException, IOException {
    // The descriptor takes the application id from the submission context for everything it
    // builds, and from the new-application response only to kill the application when its
    // deployment fails, in a JVM shutdown hook with a YarnClient of its own. That response keeps
    // the fresh id the RM just handed out, which names no application: no failure, and no
    // Ctrl-C, can make the descriptor kill the running application.
    GetNewApplicationResponse fresh = super.createApplication().getNewApplicationResponse();
    ApplicationSubmissionContext context = Records.newRecord(ApplicationSubmissionContext.class);
    context.setApplicationId(appId);
    return new YarnClientApplication(fresh, context);
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
