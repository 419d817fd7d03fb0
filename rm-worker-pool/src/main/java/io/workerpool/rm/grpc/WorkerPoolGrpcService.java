package io.workerpool.rm.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.workerpool.proto.CancelUpdateRequest;
import io.workerpool.proto.GetLaunchContextRequest;
import io.workerpool.proto.GetUpdateRequest;
import io.workerpool.proto.LaunchContextReply;
import io.workerpool.proto.UpdateApplicationRequest;
import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerPoolGrpc;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.rm.update.Caller;
import io.workerpool.rm.update.ResourceManagerDriver;
import io.workerpool.rm.update.Update;
import io.workerpool.rm.update.UpdateLifecycle;
import io.workerpool.rm.update.UpdateManager;
import io.workerpool.rm.update.UpdateRefusedException;
import io.workerpool.rm.update.UpdateRefusedException.Reason;
import java.util.function.Consumer;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger;

/** The gRPC edge: decodes requests, checks the caller, audits, and maps refusals to status codes. */
public final class WorkerPoolGrpcService extends WorkerPoolGrpc.WorkerPoolImplBase {
  static final String AUDIT_UPDATE = "Worker Pool Update Application";
  static final String AUDIT_CANCEL = "Worker Pool Cancel Update";
  private static final String AUDIT_TARGET = "WorkerPoolService";

  private final UpdateManager updates;
  private final ResourceManagerDriver driver;

  public WorkerPoolGrpcService(UpdateManager updates, ResourceManagerDriver driver) {
    this.updates = updates;
    this.driver = driver;
  }

  public static CallerInterceptor interceptor(ResourceManagerDriver driver) {
    return new CallerInterceptor(driver);
  }

  @Override
  public void updateApplication(UpdateApplicationRequest request, StreamObserver<UpdateStatus> response) {
    Caller caller = CallerInterceptor.CALLER.get();
    ApplicationId appId = null;
    try {
      appId = parseApplicationId(request.getApplicationId());
      ContainerLaunchContext launchContext = decodeLaunchContext(request);
      Resource amResource = request.hasAmResource() ? LaunchContextCodec.decode(request.getAmResource()) : null;
      Update update = updates.start(caller, appId, launchContext, amResource, request.getClientRequestId());
      RMAuditLogger.logSuccess(caller.user(), AUDIT_UPDATE, AUDIT_TARGET, appId);
      response.onNext(update.snapshot());
      response.onCompleted();
    } catch (UpdateRefusedException e) {
      RMAuditLogger.logFailure(caller.user(), AUDIT_UPDATE, e.reason().name(), AUDIT_TARGET, e.getMessage(), appId);
      response.onError(toStatus(e).asRuntimeException());
    }
  }

  @Override
  public void getUpdate(GetUpdateRequest request, StreamObserver<UpdateStatus> response) {
    try {
      response.onNext(find(request).snapshot());
      response.onCompleted();
    } catch (UpdateRefusedException e) {
      response.onError(toStatus(e).asRuntimeException());
    }
  }

  @Override
  public void watchUpdate(GetUpdateRequest request, StreamObserver<UpdateEvent> response) {
    Update update;
    try {
      update = find(request);
    } catch (UpdateRefusedException e) {
      response.onError(toStatus(e).asRuntimeException());
      return;
    }
    ServerCallStreamObserver<UpdateEvent> stream = (ServerCallStreamObserver<UpdateEvent>) response;
    Consumer<UpdateEvent> watcher = new Consumer<>() {
      private boolean done;

      @Override
      public synchronized void accept(UpdateEvent event) {
        if (done || stream.isCancelled()) {
          return;
        }
        stream.onNext(event);
        if (UpdateLifecycle.isFinal(event.getStatus().getPhase())) {
          done = true;
          stream.onCompleted();
        }
      }
    };
    stream.setOnCancelHandler(() -> update.unwatch(watcher));
    update.watch(watcher, stream::isReady);
  }

  @Override
  public void cancelUpdate(CancelUpdateRequest request, StreamObserver<UpdateStatus> response) {
    Caller caller = CallerInterceptor.CALLER.get();
    ApplicationId appId = null;
    try {
      Update update = updates.get(request.getUpdateId());
      appId = update.applicationId();
      driver.authorize(appId, caller, true);
      updates.cancel(request.getUpdateId());
      RMAuditLogger.logSuccess(caller.user(), AUDIT_CANCEL, AUDIT_TARGET, appId);
      response.onNext(update.snapshot());
      response.onCompleted();
    } catch (UpdateRefusedException e) {
      RMAuditLogger.logFailure(caller.user(), AUDIT_CANCEL, e.reason().name(), AUDIT_TARGET, e.getMessage(), appId);
      response.onError(toStatus(e).asRuntimeException());
    }
  }

  @Override
  public void getLaunchContext(GetLaunchContextRequest request, StreamObserver<LaunchContextReply> response) {
    try {
      ApplicationId appId = parseApplicationId(request.getApplicationId());
      driver.authorize(appId, CallerInterceptor.CALLER.get(), true);
      response.onNext(LaunchContextReply.newBuilder().setApplicationId(appId.toString())
          .setAmLaunchContext(LaunchContextCodec.encode(driver.currentAmLaunchContext(appId))).build());
      response.onCompleted();
    } catch (UpdateRefusedException e) {
      response.onError(toStatus(e).asRuntimeException());
    }
  }

  private Update find(GetUpdateRequest request) throws UpdateRefusedException {
    Update update = switch (request.getTargetCase()) {
      case UPDATE_ID -> updates.get(request.getUpdateId());
      case APPLICATION_ID -> updates.latest(parseApplicationId(request.getApplicationId()));
      default -> throw new UpdateRefusedException(Reason.INVALID_ARGUMENT, "give an update id or an application id");
    };
    driver.authorize(update.applicationId(), CallerInterceptor.CALLER.get(), false);
    return update;
  }

  private static ApplicationId parseApplicationId(String id) throws UpdateRefusedException {
    try {
      return ApplicationId.fromString(id);
    } catch (IllegalArgumentException e) {
      throw new UpdateRefusedException(Reason.INVALID_ARGUMENT,
          "'" + id + "' is not an application id (application_<clusterTimestamp>_<sequence>)");
    }
  }

  private static ContainerLaunchContext decodeLaunchContext(UpdateApplicationRequest request)
      throws UpdateRefusedException {
    ContainerLaunchContext launchContext;
    try {
      launchContext = LaunchContextCodec.decode(request.getAmLaunchContext());
    } catch (IllegalArgumentException e) {
      throw new UpdateRefusedException(Reason.INVALID_ARGUMENT, e.getMessage());
    }
    if (launchContext.getCommands() == null || launchContext.getCommands().isEmpty()) {
      throw new UpdateRefusedException(Reason.INVALID_ARGUMENT, "the AM launch context has no command to run");
    }
    return launchContext;
  }

  private static Status toStatus(UpdateRefusedException e) {
    Status status = switch (e.reason()) {
      case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
      case NOT_FOUND -> Status.NOT_FOUND;
      case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
      case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
      case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
      case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
      case INTERNAL -> Status.INTERNAL;
    };
    return status.withDescription(e.getMessage());
  }
}
