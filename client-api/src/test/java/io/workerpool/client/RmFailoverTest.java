package io.workerpool.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.workerpool.proto.GetUpdateRequest;
import io.workerpool.proto.UpdateApplicationRequest;
import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerPoolGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client against two "ResourceManagers" of an HA pair that are real gRPC servers on this machine: the
 * Worker Pool of a standby does not listen, and the active one can die in the middle of a watch.
 */
class RmFailoverTest {
  private final int port1 = freePort();
  private final int port2 = freePort();
  private final List<Server> servers = new ArrayList<>();
  private WorkerPoolClient client;

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.stop();
    }
    for (Server server : servers) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aCallGoesToTheRmWhoseWorkerPoolListens() throws Exception {
    FakeRm rm2 = new FakeRm("rm2");
    serve(port2, rm2);
    client = client(10);

    assertEquals("served by rm2", client.getUpdate("update_1").getDiagnostics());
    assertEquals("served by rm2", client.getUpdate("update_1").getDiagnostics(), "the client stays on rm2");
  }

  @Test
  void whenNoRmAnswersTheClientGivesUpAfterTheConfiguredFailovers() {
    client = client(3);

    WorkerPoolException e = assertThrows(WorkerPoolException.class, () -> client.getUpdate("update_1"));
    assertEquals(Status.Code.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("tried [rm1 (localhost:" + port1 + "), rm2 (localhost:" + port2 + ")] 4 times"),
        e.getMessage());
  }

  @Test
  void aRefusalIsNotRetried() throws Exception {
    FakeRm rm1 = new FakeRm("rm1");
    serve(port1, rm1);
    client = client(10);

    WorkerPoolException e = assertThrows(WorkerPoolException.class, () -> client.getUpdate("missing"));
    assertEquals(Status.Code.NOT_FOUND, e.code());
    assertEquals(1, rm1.getCalls.size());
  }

  @Test
  void anUpdateWithoutRequestIdGetsOneSoThatARetryOnTheOtherRmFindsIt() throws Exception {
    FakeRm rm1 = new FakeRm("rm1");
    serve(port1, rm1);
    client = client(10);

    client.updateApplication(ApplicationId.newInstance(1, 1), ContainerLaunchContext.newInstance(
        Map.of(), Map.of(), List.of("true"), null, null, null));
    client.updateApplication(ApplicationId.newInstance(1, 1), ContainerLaunchContext.newInstance(
        Map.of(), Map.of(), List.of("true"), null, null, null), null, "mine");

    assertTrue(rm1.requestIds.get(0).startsWith("client-"), rm1.requestIds.toString());
    assertEquals("mine", rm1.requestIds.get(1));
  }

  @Test
  void anUpdateCallCutByTheStoppingRmIsRepeatedOnTheOtherRmWithTheSameRequestId() throws Exception {
    FakeRm rm1 = new FakeRm("rm1");
    rm1.holdUpdates = true;
    Server dying = serve(port1, rm1);
    FakeRm rm2 = new FakeRm("rm2");
    serve(port2, rm2);
    client = client(10);
    Thread rmDies = new Thread(() -> {
      try {
        rm1.updateReceived.await();
        dying.shutdownNow();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    rmDies.start();

    UpdateHandle handle = client.updateApplication(ApplicationId.newInstance(1, 1),
        ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of("true"), null, null, null));
    rmDies.join();

    assertEquals("update_1", handle.updateId());
    assertEquals(rm1.requestIds, rm2.requestIds, "the same call, with the same request id, went to rm2");
  }

  @Test
  void awaitFollowsTheUpdateToTheRmThatBecomesActive() throws Exception {
    FakeRm rm1 = new FakeRm("rm1", UpdatePhase.ACCEPTED, UpdatePhase.POOLING);
    Server active = serve(port1, rm1);
    client = client(20);
    UpdateHandle handle = client.updateApplication(ApplicationId.newInstance(1, 1),
        ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of("true"), null, null, null));
    List<String> seen = new CopyOnWriteArrayList<>();
    CountDownLatch pooling = new CountDownLatch(1);
    Thread rmDies = new Thread(() -> {
      try {
        pooling.await();
        // rm1's Worker Pool stops (its RM dies or goes standby); rm2 becomes active a little later.
        active.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        Thread.sleep(300);
        serve(port2, new FakeRm("rm2", UpdatePhase.CONVERTING, UpdatePhase.SUCCEEDED));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    rmDies.start();

    UpdateStatus last = handle.await(Duration.ofSeconds(30), event -> {
      seen.add(event.getStatus().getPhase() + "@" + event.getStatus().getDiagnostics());
      if (event.getStatus().getPhase() == UpdatePhase.POOLING) {
        pooling.countDown();
      }
    });
    rmDies.join();

    assertEquals(UpdatePhase.SUCCEEDED, last.getPhase());
    assertEquals(List.of("ACCEPTED@served by rm1", "POOLING@served by rm1", "CONVERTING@served by rm2",
        "SUCCEEDED@served by rm2"), seen);
  }

  @Test
  void aWatchThatTheRmClosesBeforeTheEndIsOpenedAgain() throws Exception {
    FakeRm rm1 = new FakeRm("rm1", UpdatePhase.CONVERTING);
    rm1.closeEarly = true;
    serve(port1, rm1);
    client = client(20);

    Iterator<UpdateEvent> events = client.watchUpdate("update_1");
    assertEquals(UpdatePhase.CONVERTING, events.next().getStatus().getPhase());
    rm1.phases = List.of(UpdatePhase.SUCCEEDED);
    assertEquals(UpdatePhase.SUCCEEDED, events.next().getStatus().getPhase());
    assertEquals(false, events.hasNext());
    assertEquals(2, rm1.watchCalls.size(), "watched twice on rm1, the only RM that listens");
  }

  private Server serve(int port, FakeRm rm) throws IOException {
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("localhost", port)).addService(rm).build()
        .start();
    servers.add(server);
    return server;
  }

  private WorkerPoolClient client(int maxFailovers) {
    YarnConfiguration conf = new YarnConfiguration();
    conf.setBoolean(YarnConfiguration.RM_HA_ENABLED, true);
    conf.set(YarnConfiguration.RM_HA_IDS, "rm1,rm2");
    conf.set("yarn.resourcemanager.address.rm1", "localhost:" + freePort());
    conf.set("yarn.resourcemanager.address.rm2", "localhost:" + freePort());
    conf.set("yarn.resourcemanager.worker-pool.address.rm1", "localhost:" + port1);
    conf.set("yarn.resourcemanager.worker-pool.address.rm2", "localhost:" + port2);
    conf.setInt(YarnConfiguration.CLIENT_FAILOVER_MAX_ATTEMPTS, maxFailovers);
    conf.setLong(YarnConfiguration.CLIENT_FAILOVER_SLEEPTIME_BASE_MS, 50);
    conf.setLong(YarnConfiguration.CLIENT_FAILOVER_SLEEPTIME_MAX_MS, 200);
    WorkerPoolClient started = new WorkerPoolClient();
    started.init(conf);
    started.start();
    return started;
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The Worker Pool of one RM: every update it knows is in the given phases, one event each. */
  private static final class FakeRm extends WorkerPoolGrpc.WorkerPoolImplBase {
    private final String name;
    volatile List<UpdatePhase> phases;
    volatile boolean closeEarly;
    /** Update calls get no answer (until the server stops). */
    volatile boolean holdUpdates;
    final CountDownLatch updateReceived = new CountDownLatch(1);
    final List<String> requestIds = new CopyOnWriteArrayList<>();
    final List<GetUpdateRequest> getCalls = new CopyOnWriteArrayList<>();
    final List<GetUpdateRequest> watchCalls = new CopyOnWriteArrayList<>();

    FakeRm(String name, UpdatePhase... phases) {
      this.name = name;
      this.phases = List.of(phases);
    }

    @Override
    public void updateApplication(UpdateApplicationRequest request, StreamObserver<UpdateStatus> response) {
      requestIds.add(request.getClientRequestId());
      updateReceived.countDown();
      if (holdUpdates) {
        return;
      }
      response.onNext(status("update_1", UpdatePhase.ACCEPTED));
      response.onCompleted();
    }

    @Override
    public void getUpdate(GetUpdateRequest request, StreamObserver<UpdateStatus> response) {
      getCalls.add(request);
      if (request.getUpdateId().equals("missing")) {
        response.onError(Status.NOT_FOUND.withDescription("no update missing").asRuntimeException());
        return;
      }
      response.onNext(status(request.getUpdateId(), UpdatePhase.CONVERTING));
      response.onCompleted();
    }

    @Override
    public void watchUpdate(GetUpdateRequest request, StreamObserver<UpdateEvent> response) {
      watchCalls.add(request);
      for (UpdatePhase phase : phases) {
        response.onNext(UpdateEvent.newBuilder().setStatus(status(request.getUpdateId(), phase)).build());
      }
      if (closeEarly || WorkerPoolClient.isFinal(phases.get(phases.size() - 1))) {
        response.onCompleted();
      }
    }

    private UpdateStatus status(String updateId, UpdatePhase phase) {
      return UpdateStatus.newBuilder().setUpdateId(updateId).setPhase(phase).setDiagnostics("served by " + name)
          .build();
    }
  }
}
