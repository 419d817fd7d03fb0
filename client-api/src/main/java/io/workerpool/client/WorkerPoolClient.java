package io.workerpool.client;

import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.workerpool.proto.CancelUpdateRequest;
import io.workerpool.proto.GetUpdateRequest;
import io.workerpool.proto.UpdateApplicationRequest;
import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.protocol.WorkerPoolAddresses;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.RMProxy;
import org.apache.hadoop.yarn.client.api.impl.YarnClientImpl;
import org.apache.hadoop.yarn.conf.HAUtil;
import org.apache.hadoop.yarn.exceptions.YarnException;
import org.apache.hadoop.yarn.util.ConverterUtils;

/**
 * A {@link org.apache.hadoop.yarn.client.api.YarnClient} that can also update a running
 * application in place. It finds the ResourceManager from yarn-site.xml like any YARN client, and with RM HA
 * calls whichever RM is active (see {@link WorkerPoolAddresses}); an update that is followed ({@code await},
 * {@code watchUpdate}) is followed across failovers.
 */
public class WorkerPoolClient extends YarnClientImpl {
  private RmFailover rms;

  @Override
  protected void serviceStart() throws Exception {
    super.serviceStart();
    rms = new RmFailover(WorkerPoolAddresses.forClients(getConfig()),
        RMProxy.createRetryPolicy(getConfig(), HAUtil.isHAEnabled(getConfig())),
        address -> NettyChannelBuilder.forAddress(address.getHostString(), address.getPort()).usePlaintext().build(),
        MetadataUtils.newAttachHeadersInterceptor(callerHeaders()));
  }

  @Override
  protected void serviceStop() throws Exception {
    if (rms != null) {
      rms.close();
    }
    super.serviceStop();
  }

  /** Replaces the application's AM with a new attempt that runs {@code amLaunchContext}. */
  public UpdateHandle updateApplication(ApplicationId appId, ContainerLaunchContext amLaunchContext)
      throws YarnException {
    return updateApplication(appId, amLaunchContext, null, "");
  }

  /**
   * @param amResource a new AM container resource, or null to keep the current one
   * @param clientRequestId a retry with the same id returns the update already started, or ""
   */
  public UpdateHandle updateApplication(ApplicationId appId, ContainerLaunchContext amLaunchContext,
      Resource amResource, String clientRequestId) throws YarnException {
    UpdateApplicationRequest.Builder request = UpdateApplicationRequest.newBuilder()
        .setApplicationId(appId.toString())
        .setAmLaunchContext(LaunchContextCodec.encode(amLaunchContext))
        // With an id, a call retried on another RM after a failover returns the update the first one started.
        .setClientRequestId(clientRequestId.isEmpty() ? "client-" + UUID.randomUUID() : clientRequestId);
    if (amResource != null) {
      request.setAmResource(LaunchContextCodec.encode(amResource));
    }
    UpdateStatus started = rms.call(stub -> stub.updateApplication(request.build()));
    return new UpdateHandle(this, started.getUpdateId());
  }

  public UpdateStatus getUpdate(String updateId) throws YarnException {
    return rms.call(stub -> stub.getUpdate(GetUpdateRequest.newBuilder().setUpdateId(updateId).build()));
  }

  public UpdateStatus latestUpdate(ApplicationId appId) throws YarnException {
    return rms.call(stub -> stub.getUpdate(GetUpdateRequest.newBuilder().setApplicationId(appId.toString()).build()));
  }

  public UpdateStatus cancelUpdate(String updateId) throws YarnException {
    return rms.call(stub -> stub.cancelUpdate(CancelUpdateRequest.newBuilder().setUpdateId(updateId).build()));
  }

  /**
   * Progress events of an update until it ends; the first one is its current status. The watch follows the
   * update to another RM after a failover.
   */
  public Iterator<UpdateEvent> watchUpdate(String updateId) throws YarnException {
    return new FollowedUpdate(rms, GetUpdateRequest.newBuilder().setUpdateId(updateId).build(), null);
  }

  UpdateStatus awaitUpdate(String updateId, Duration timeout, Consumer<UpdateEvent> progress)
      throws YarnException, TimeoutException {
    try {
      Iterator<UpdateEvent> events = new FollowedUpdate(rms, GetUpdateRequest.newBuilder().setUpdateId(updateId)
          .build(), Deadline.after(timeout.toMillis(), TimeUnit.MILLISECONDS));
      UpdateStatus last = null;
      while (events.hasNext()) {
        UpdateEvent event = events.next();
        progress.accept(event);
        last = event.getStatus();
        if (isFinal(last.getPhase())) {
          return last;
        }
      }
      return last != null ? last : getUpdate(updateId);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        throw new TimeoutException("update " + updateId + " has not ended within " + timeout
            + "; it goes on in the ResourceManager: follow it with 'worker-pool watch " + updateId + "'");
      }
      throw new WorkerPoolException(e);
    }
  }

  public static boolean isFinal(UpdatePhase phase) {
    return phase == UpdatePhase.SUCCEEDED || phase == UpdatePhase.FAILED || phase == UpdatePhase.CANCELLED;
  }

  private Metadata callerHeaders() throws IOException, YarnException {
    Metadata headers = new Metadata();
    if (UserGroupInformation.isSecurityEnabled()) {
      String renewer = UserGroupInformation.getCurrentUser().getShortUserName();
      org.apache.hadoop.yarn.api.records.Token token = getRMDelegationToken(new org.apache.hadoop.io.Text(renewer));
      headers.put(Metadata.Key.of(WorkerPoolConfigKeys.DELEGATION_TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER),
          ConverterUtils.convertFromYarn(token, (org.apache.hadoop.io.Text) null).encodeToUrlString());
    } else {
      headers.put(Metadata.Key.of(WorkerPoolConfigKeys.USER_HEADER, Metadata.ASCII_STRING_MARSHALLER),
          UserGroupInformation.getCurrentUser().getShortUserName());
    }
    return headers;
  }
}
