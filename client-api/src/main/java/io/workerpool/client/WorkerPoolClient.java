package io.workerpool.client;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
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
import io.workerpool.protocol.TlsStores;
import io.workerpool.protocol.WorkerPoolAddresses;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.security.token.TokenIdentifier;
import org.apache.hadoop.yarn.api.protocolrecords.CancelDelegationTokenRequest;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.RMProxy;
import org.apache.hadoop.yarn.client.api.impl.YarnClientImpl;
import org.apache.hadoop.yarn.conf.HAUtil;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.YarnException;
import org.apache.hadoop.yarn.security.client.RMDelegationTokenIdentifier;
import org.apache.hadoop.yarn.util.ConverterUtils;
import org.apache.hadoop.yarn.util.RMHAUtils;

/**
 * A {@link org.apache.hadoop.yarn.client.api.YarnClient} that can also update a running
 * application in place. It finds the ResourceManager from yarn-site.xml like any YARN client, and with RM HA
 * calls whichever RM is active (see {@link WorkerPoolAddresses}); an update that is followed ({@code await},
 * {@code watchUpdate}) is followed across failovers.
 */
public class WorkerPoolClient extends YarnClientImpl {
  private static final Metadata.Key<String> USER =
      Metadata.Key.of(WorkerPoolConfigKeys.USER_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TOKEN =
      Metadata.Key.of(WorkerPoolConfigKeys.DELEGATION_TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> DO_AS =
      Metadata.Key.of(WorkerPoolConfigKeys.DO_AS_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private RmFailover rms;
  /** The RM delegation token this client asked for (one per client), cancelled when it stops. */
  private org.apache.hadoop.yarn.api.records.Token ownToken;

  /**
   * Connects as the current user. A proxy user (the current user made with
   * {@link UserGroupInformation#createProxyUser}) acts as that user, as Hadoop clients do with doAs.
   */
  @Override
  protected void serviceStart() throws Exception {
    super.serviceStart();
    Configuration conf = getConfig();
    SslContext tls = tlsContext(conf);
    rms = new RmFailover(WorkerPoolAddresses.forClients(conf),
        RMProxy.createRetryPolicy(conf, HAUtil.isHAEnabled(conf)),
        address -> {
          NettyChannelBuilder builder = NettyChannelBuilder.forAddress(address.getHostString(), address.getPort());
          return (tls != null ? builder.sslContext(tls) : builder.usePlaintext()).build();
        },
        MetadataUtils.newAttachHeadersInterceptor(callerHeaders()));
  }

  /** The client's TLS context, or null for a plaintext channel (refused with Kerberos unless opted out). */
  private static SslContext tlsContext(Configuration conf) throws IOException, GeneralSecurityException,
      YarnException {
    if (TlsStores.enabled(conf)) {
      return GrpcSslContexts.forClient().trustManager(TlsStores.clientTrust(conf)).build();
    }
    if (UserGroupInformation.isSecurityEnabled() && !conf.getBoolean(
        WorkerPoolConfigKeys.SSL_ALLOW_PLAINTEXT_WITH_KERBEROS,
        WorkerPoolConfigKeys.DEFAULT_SSL_ALLOW_PLAINTEXT_WITH_KERBEROS)) {
      throw new YarnException("Kerberos is on but " + WorkerPoolConfigKeys.SSL_ENABLED + " is false: this client"
          + " will not send its delegation token in the clear; set it to true as the RM has it (truststore from "
          + WorkerPoolConfigKeys.SSL_CLIENT_CONF + " or ssl-client.xml)");
    }
    return null;
  }

  @Override
  protected void serviceStop() throws Exception {
    if (rms != null) {
      rms.close();
    }
    if (ownToken != null && rmClient != null) {
      rmClient.cancelDelegationToken(CancelDelegationTokenRequest.newInstance(ownToken));
      ownToken = null;
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

  /** The application's current AM launch context, without its tokens (the RM keeps them over an update). */
  public ContainerLaunchContext getAmLaunchContext(ApplicationId appId) throws YarnException {
    return LaunchContextCodec.decode(rms.call(stub -> stub.getLaunchContext(
        GetLaunchContextRequest.newBuilder().setApplicationId(appId.toString()).build())).getAmLaunchContext());
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
    UserGroupInformation current = UserGroupInformation.getCurrentUser();
    UserGroupInformation real = current.getRealUser();
    if (UserGroupInformation.isSecurityEnabled()) {
      // The RM makes a proxy user's token carry both users and checks the impersonation on every call.
      headers.put(TOKEN, rmDelegationToken(current).encodeToUrlString());
    } else {
      headers.put(USER, (real != null ? real : current).getShortUserName());
      if (real != null) {
        headers.put(DO_AS, current.getShortUserName());
      }
    }
    return headers;
  }

  /** The RM delegation token the user already holds (inside a container, say), else a new one of this client's. */
  private Token<? extends TokenIdentifier> rmDelegationToken(UserGroupInformation user)
      throws IOException, YarnException {
    for (Token<? extends TokenIdentifier> held : user.getCredentials().getAllTokens()) {
      if (RMDelegationTokenIdentifier.KIND_NAME.equals(held.getKind())) {
        return held;
      }
    }
    try {
      ownToken = getRMDelegationToken(new Text(user.getShortUserName()));
    } catch (IOException e) {
      throw new IOException("cannot get an RM delegation token as " + user + ": log in with Kerberos first (kinit,"
          + " or a keytab); " + e.getMessage(), e);
    }
    return ConverterUtils.convertFromYarn(ownToken, (Text) null);
  }
}
