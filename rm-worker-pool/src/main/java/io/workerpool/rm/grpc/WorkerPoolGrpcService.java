package io.workerpool.rm.grpc;

import io.grpc.ServerInterceptor;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;

/** The gRPC edge: decodes requests, checks the caller, audits every decision, and maps refusals to status codes. */
public final class WorkerPoolGrpcService extends WorkerPoolGrpc.WorkerPoolImplBase {
  static final String AUDIT_UPDATE = "Worker Pool Update Application";
  static final String AUDIT_GET = "Worker Pool Get Update";
  static final String AUDIT_WATCH = "Worker Pool Watch Update";
  static final String AUDIT_CANCEL = "Worker Pool Cancel Update";
  static final String AUDIT_LAUNCH_CONTEXT = "Worker Pool Get Launch Context";

  private final UpdateManager updates;
  private final ResourceManagerDriver driver;
  /** Who started each update (the authenticated user, a proxy user for one it acted for): they may cancel it. */
  private final Map<String, String> starters;

  public WorkerPoolGrpcService(UpdateManager updates, ResourceManagerDriver driver, int historySize) {
    this.updates = updates;
    this.driver = driver;
    this.starters = Collections.synchronizedMap(new LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
        return size() > historySize;
      }
    });
  }

  public static ServerInterceptor interceptor() {
    return new CallerInterceptor();
  }

  @Override
  public void updateApplication(UpdateApplicationRequest request, StreamObserver<UpdateStatus> response) {
    AuditedCall call = new AuditedCall(AUDIT_UPDATE);
    try {
      call.concerns(applicationIdOrNull(request.getApplicationId()));
      Caller caller = call.authenticate(driver);
      ApplicationId appId = parseApplicationId(request.getApplicationId());
      driver.authorize(appId, caller, true);
      ContainerLaunchContext launchContext = decodeLaunchContext(request);
      Resource amResource = request.hasAmResource() ? LaunchContextCodec.decode(request.getAmResource()) : null;
      Update update = updates.start(caller, appId, launchContext, amResource, request.getClientRequestId());
      starters.putIfAbsent(update.id(), caller.loginUser());
      call.allowed();
      response.onNext(update.snapshot());
      response.onCompleted();
    } catch (UpdateRefusedException e) {
      call.refused(e);
      response.onError(toStatus(e).asRuntimeException());
    }
  }

  @Override
  public void getUpdate(GetUpdateRequest request, StreamObserver<UpdateStatus> response) {
    AuditedCall call = new AuditedCall(AUDIT_GET);
    try {
      Update update = find(request, call);
      call.allowed();
      response.onNext(update.snapshot());
      response.onCompleted();
    } catch (UpdateRefusedException e) {
      call.refused(e);
      response.onError(toStatus(e).asRuntimeException());
    }
  }

  @Override
  public void watchUpdate(GetUpdateRequest request, StreamObserver<UpdateEvent> response) {
    AuditedCall call = new AuditedCall(AUDIT_WATCH);
    Update update;
    try {
      update = find(request, call);
      call.allowed();
    } catch (UpdateRefusedException e) {
      call.refused(e);
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
    AuditedCall call = new AuditedCall(AUDIT_CANCEL);
    try {
      Caller caller = call.authenticate(driver);
      Update update = updates.get(request.getUpdateId());
      call.concerns(update.applicationId());
      if (caller.impersonates() || !caller.user().equals(starters.get(update.id()))) {
        driver.authorize(update.applicationId(), caller, true);
      }
      updates.cancel(request.getUpdateId());
      call.allowed();
      response.onNext(update.snapshot());
      response.onCompleted();
    } catch (UpdateRefusedException e) {
      call.refused(e);
      response.onError(toStatus(e).asRuntimeException());
    }
  }

  @Override
  public void getLaunchContext(GetLaunchContextRequest request, StreamObserver<LaunchContextReply> response) {
    AuditedCall call = new AuditedCall(AUDIT_LAUNCH_CONTEXT);
    try {
      call.concerns(applicationIdOrNull(request.getApplicationId()));
      Caller caller = call.authenticate(driver);
      ApplicationId appId = parseApplicationId(request.getApplicationId());
      driver.authorize(appId, caller, true);
      response.onNext(LaunchContextReply.newBuilder().setApplicationId(appId.toString())
          .setAmLaunchContext(LaunchContextCodec.encode(driver.currentAmLaunchContext(appId))).build());
      call.allowed();
      response.onCompleted();
    } catch (UpdateRefusedException e) {
      call.refused(e);
      response.onError(toStatus(e).asRuntimeException());
    }
  }

  private Update find(GetUpdateRequest request, AuditedCall call) throws UpdateRefusedException {
    call.concerns(applicationIdOrNull(request.getApplicationId()));
    Caller caller = call.authenticate(driver);
    Update update = switch (request.getTargetCase()) {
      case UPDATE_ID -> updates.get(request.getUpdateId());
      case APPLICATION_ID -> updates.latest(parseApplicationId(request.getApplicationId()));
      default -> throw new UpdateRefusedException(Reason.INVALID_ARGUMENT, "give an update id or an application id");
    };
    call.concerns(update.applicationId());
    driver.authorize(update.applicationId(), caller, false);
    return update;
  }

  /** The application a request names, for its audit line even when the call is refused before it is parsed. */
  private static ApplicationId applicationIdOrNull(String id) {
    try {
      return id.isEmpty() ? null : ApplicationId.fromString(id);
    } catch (IllegalArgumentException e) {
      return null;
    }
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
      case UNAVAILABLE -> Status.UNAVAILABLE;
      case INTERNAL -> Status.INTERNAL;
    };
    return status.withDescription(e.getMessage());
  }
}
