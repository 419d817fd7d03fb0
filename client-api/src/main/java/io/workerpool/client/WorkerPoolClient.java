package io.workerpool.client;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.workerpool.proto.CancelUpdateRequest;
import io.workerpool.proto.GetLaunchContextRequest;
import io.workerpool.proto.GetUpdateRequest;
import io.workerpool.proto.UpdateApplicationRequest;
import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerPoolGrpc;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CommonConfigurationKeysPublic;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.api.impl.YarnClientImpl;
import org.apache.hadoop.yarn.conf.HAUtil;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.YarnException;
import org.apache.hadoop.yarn.util.ConverterUtils;
import org.apache.hadoop.yarn.util.RMHAUtils;

/**
 * A {@link org.apache.hadoop.yarn.client.api.YarnClient} that can also update a running
 * application in place. It finds the ResourceManager from yarn-site.xml like any YARN client.
 */
public class WorkerPoolClient extends YarnClientImpl {
  private ManagedChannel channel;
  private WorkerPoolGrpc.WorkerPoolBlockingStub stub;

  @Override
  protected void serviceStart() throws Exception {
    super.serviceStart();
    InetSocketAddress address = workerPoolAddress(getConfig());
    channel = NettyChannelBuilder.forAddress(address.getHostString(), address.getPort()).usePlaintext().build();
    stub = WorkerPoolGrpc.newBlockingStub(channel).withInterceptors(
        MetadataUtils.newAttachHeadersInterceptor(callerHeaders()));
  }

  @Override
  protected void serviceStop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
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
        .setClientRequestId(clientRequestId);
    if (amResource != null) {
      request.setAmResource(LaunchContextCodec.encode(amResource));
    }
    UpdateStatus started = call(() -> stub.updateApplication(request.build()));
    return new UpdateHandle(this, started.getUpdateId());
  }

  public UpdateStatus getUpdate(String updateId) throws YarnException {
    return call(() -> stub.getUpdate(GetUpdateRequest.newBuilder().setUpdateId(updateId).build()));
  }

  public UpdateStatus latestUpdate(ApplicationId appId) throws YarnException {
    return call(() -> stub.getUpdate(GetUpdateRequest.newBuilder().setApplicationId(appId.toString()).build()));
  }

  /** The application's current AM launch context, without its tokens (the RM keeps them over an update). */
  public ContainerLaunchContext getAmLaunchContext(ApplicationId appId) throws YarnException {
    return LaunchContextCodec.decode(call(() -> stub.getLaunchContext(
        GetLaunchContextRequest.newBuilder().setApplicationId(appId.toString()).build())).getAmLaunchContext());
  }

  public UpdateStatus cancelUpdate(String updateId) throws YarnException {
    return call(() -> stub.cancelUpdate(CancelUpdateRequest.newBuilder().setUpdateId(updateId).build()));
  }

  /** Progress events of an update until it ends; the first one is its current status. */
  public Iterator<UpdateEvent> watchUpdate(String updateId) throws YarnException {
    return call(() -> stub.watchUpdate(GetUpdateRequest.newBuilder().setUpdateId(updateId).build()));
  }

  UpdateStatus awaitUpdate(String updateId, Duration timeout, Consumer<UpdateEvent> progress)
      throws YarnException, TimeoutException {
    try {
      Iterator<UpdateEvent> events = stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .watchUpdate(GetUpdateRequest.newBuilder().setUpdateId(updateId).build());
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

  /**
   * The Worker Pool's address: from {@code yarn.resourcemanager.worker-pool.address}, on the RM's host when
   * that is a wildcard. With RM HA only the active RM serves it: its id suffixes both keys when set
   * ({@code yarn.resourcemanager.worker-pool.address.rm1}, {@code yarn.resourcemanager.address.rm1}).
   */
  static InetSocketAddress workerPoolAddress(Configuration conf) throws IOException {
    String suffix = HAUtil.isHAEnabled(conf) ? "." + activeResourceManagerId(conf) : "";
    String addressKey = conf.get(WorkerPoolConfigKeys.ADDRESS + suffix) != null
        ? WorkerPoolConfigKeys.ADDRESS + suffix : WorkerPoolConfigKeys.ADDRESS;
    InetSocketAddress address = conf.getSocketAddr(addressKey,
        WorkerPoolConfigKeys.DEFAULT_ADDRESS, WorkerPoolConfigKeys.DEFAULT_PORT);
    if (address.getAddress() != null && address.getAddress().isAnyLocalAddress()) {
      String rmHost = conf.get(YarnConfiguration.RM_ADDRESS + suffix) == null && !suffix.isEmpty()
          ? conf.get(YarnConfiguration.RM_HOSTNAME + suffix)
          : conf.getSocketAddr(YarnConfiguration.RM_ADDRESS + suffix, YarnConfiguration.DEFAULT_RM_ADDRESS,
              YarnConfiguration.DEFAULT_RM_PORT).getHostString();
      return InetSocketAddress.createUnresolved(rmHost, address.getPort());
    }
    return address;
  }

  private static String activeResourceManagerId(Configuration conf) throws IOException {
    YarnConfiguration probe = new YarnConfiguration(conf);
    // A ResourceManager that is down must not cost the connection retries of a normal RPC.
    probe.setInt(CommonConfigurationKeysPublic.IPC_CLIENT_CONNECT_MAX_RETRIES_KEY, 0);
    probe.setInt(CommonConfigurationKeysPublic.IPC_CLIENT_CONNECT_MAX_RETRIES_ON_SOCKET_TIMEOUTS_KEY, 0);
    String rmId = RMHAUtils.findActiveRMHAId(probe);
    if (rmId == null) {
      throw new IOException("no ResourceManager of " + conf.get(YarnConfiguration.RM_HA_IDS)
          + " is active; retry once one is");
    }
    return rmId;
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

  private interface Call<T> {
    T run();
  }

  private static <T> T call(Call<T> call) throws WorkerPoolException {
    try {
      return call.run();
    } catch (StatusRuntimeException e) {
      throw new WorkerPoolException(e);
    }
  }
}
