package io.workerpool.it.security;

import static io.workerpool.it.Workers.assertEachNewWorkerStartedAfterItsOldOne;
import static io.workerpool.it.Workers.attempt;
import static io.workerpool.it.Workers.awaitRunning;
import static io.workerpool.it.Workers.containerIds;
import static io.workerpool.it.security.SecurityFixture.submit;
import static io.workerpool.it.security.SecurityFixture.tokens;
import static io.workerpool.it.security.SecurityFixture.withClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.workerpool.client.WorkerPoolException;
import io.workerpool.it.LogCapture;
import io.workerpool.it.app.TestAppMaster;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.TestCluster;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.proto.UpdateApplicationRequest;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerPoolGrpc;
import io.workerpool.protocol.LaunchContextCodec;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.token.TokenIdentifier;
import org.apache.hadoop.yarn.api.records.ContainerId;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.authorize.ProxyUsers;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.yarn.api.records.ApplicationAccessType;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.security.client.RMDelegationTokenIdentifier;
import org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.util.ConverterUtils;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may update with ACLs on: alice owns the application, bob has MODIFY_APP on it, dave VIEW_APP, charlie
 * administers its queue, mallory has nothing; flinkop is a proxy user allowed to act as alice, rogueop is not.
 */
class UpdateAuthorizationTest {
  private static final int WORKER_MB = 128;
  private static final long TOKEN_RENEW_INTERVAL_MS = 3_000;
  private static final UserGroupInformation ALICE = UserGroupInformation.createRemoteUser("alice");
  private static final UserGroupInformation FLINKOP = UserGroupInformation.createRemoteUser("flinkop");
  private static final Map<ApplicationAccessType, String> ACLS =
      Map.of(ApplicationAccessType.MODIFY_APP, "bob", ApplicationAccessType.VIEW_APP, "dave");

  private static UpdateFixture fixture;
  private static TestCluster cluster;
  private static TestApplication app;

  @BeforeAll
  static void startCluster() throws Exception {
    TestCluster.Builder builder = TestCluster.builder("update-authorization").nodeManagers(1)
        .set("yarn.acl.enable", "true")
        // The test's own client reads application reports (attempt ids) as the cluster's admin.
        .set("yarn.admin.acl", UserGroupInformation.getCurrentUser().getShortUserName())
        .set("yarn.scheduler.capacity.root.acl_administer_queue", " ")
        .set("yarn.scheduler.capacity.root.default.acl_administer_queue", "charlie")
        .set("hadoop.proxyuser.flinkop.hosts", "*")
        .set("hadoop.proxyuser.flinkop.users", "alice")
        // Short-lived RM delegation tokens, to see an expired one refused.
        .set("yarn.resourcemanager.delegation.token.renew-interval", Long.toString(TOKEN_RENEW_INTERVAL_MS));
    fixture = UpdateFixture.start(builder, 30_000, 1L << 20);
    cluster = fixture.cluster();
    app = fixture.app();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    ProxyUsers.refreshSuperUserGroupsConfiguration(new Configuration(false));
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void onlyTheOwnerOrAProxyUserActingAsTheOwnerMayUpdate() throws Exception {
    ApplicationId appId = submit(ALICE, conf(), app, "owner-only", 2, WORKER_MB, ACLS);
    List<String> workers = containerIds(awaitRunning(cluster.report(), attempt(appId, 1), 2));
    ContainerLaunchContext v2 = app.amLaunchContext("2", 2, WORKER_MB);
    LogCapture audit = LogCapture.start(RMAuditLogger.class);

    for (String user : List.of("bob", "charlie", "mallory", "flinkop")) {
      WorkerPoolException refused = assertThrows(WorkerPoolException.class,
          () -> withClient(UserGroupInformation.createRemoteUser(user), conf(), c -> c.updateApplication(appId, v2)));
      assertEquals(Status.Code.PERMISSION_DENIED, refused.code(), user + ": " + refused.getMessage());
      assertTrue(refused.getMessage().contains("user " + user + " may not update " + appId + ": an update runs the new"
          + " AM as the application's owner alice"), refused.getMessage());
      assertTrue(refused.getMessage().contains("MODIFY_APP and queue administration are not enough"));
    }
    WorkerPoolException rogue = assertThrows(WorkerPoolException.class, () -> withClient(proxy("rogueop"), conf(),
        c -> c.updateApplication(appId, v2)));
    assertEquals(Status.Code.PERMISSION_DENIED, rogue.code());
    assertTrue(rogue.getMessage().contains("user rogueop may not act as alice"), rogue.getMessage());
    assertTrue(rogue.getMessage().contains("hadoop.proxyuser.rogueop.hosts"), rogue.getMessage());
    assertUnchanged(appId, 1, workers);

    UpdateStatus byProxy = withClient(proxy("flinkop"), conf(),
        c -> c.updateApplication(appId, v2).await(Duration.ofMinutes(2)));
    assertEquals(UpdatePhase.SUCCEEDED, byProxy.getPhase());
    assertEquals(2, assertEachNewWorkerStartedAfterItsOldOne(byProxy, cluster.report()));
    workers = containerIds(awaitRunning(cluster.report(), attempt(appId, 2), 2));

    // The same proxy user once the RM no longer has the rule (what yarn rmadmin -refreshSuperUserGroupsConfiguration
    // does after the rule is removed from the RM's configuration).
    Configuration withoutRule = new Configuration(conf());
    withoutRule.unset("hadoop.proxyuser.flinkop.users");
    ProxyUsers.refreshSuperUserGroupsConfiguration(withoutRule);
    try {
      ContainerLaunchContext v3 = app.amLaunchContext("3", 2, WORKER_MB);
      WorkerPoolException noRule = assertThrows(WorkerPoolException.class, () -> withClient(proxy("flinkop"), conf(),
          c -> c.updateApplication(appId, v3)));
      assertEquals(Status.Code.PERMISSION_DENIED, noRule.code());
      assertTrue(noRule.getMessage().contains("user flinkop may not act as alice"), noRule.getMessage());
    } finally {
      ProxyUsers.refreshSuperUserGroupsConfiguration(conf());
    }
    assertUnchanged(appId, 2, workers);

    UpdateStatus byOwner = withClient(ALICE, conf(), c -> c.updateApplication(appId, app.amLaunchContext("3", 2,
        WORKER_MB)).await(Duration.ofMinutes(2)));
    assertEquals(UpdatePhase.SUCCEEDED, byOwner.getPhase());
    assertEquals(2, assertEachNewWorkerStartedAfterItsOldOne(byOwner, cluster.report()));
    awaitRunning(cluster.report(), attempt(appId, 3), 2);

    // Reading: VIEW_APP or queue administration; cancelling: the owner or whoever started the update.
    for (String reader : List.of("dave", "charlie", "alice")) {
      UpdateStatus seen = withClient(UserGroupInformation.createRemoteUser(reader), conf(), c -> c.latestUpdate(appId));
      assertEquals(byOwner.getUpdateId(), seen.getUpdateId(), reader);
    }
    WorkerPoolException blind = assertThrows(WorkerPoolException.class, () -> withClient(
        UserGroupInformation.createRemoteUser("mallory"), conf(), c -> c.getUpdate(byOwner.getUpdateId())));
    assertEquals(Status.Code.PERMISSION_DENIED, blind.code());
    assertTrue(blind.getMessage().contains("needs VIEW_APP on the application or ADMINISTER_QUEUE on queue"),
        blind.getMessage());
    WorkerPoolException foreignCancel = assertThrows(WorkerPoolException.class, () -> withClient(
        UserGroupInformation.createRemoteUser("bob"), conf(), c -> c.cancelUpdate(byProxy.getUpdateId())));
    assertEquals(Status.Code.PERMISSION_DENIED, foreignCancel.code());
    WorkerPoolException starterCancel = assertThrows(WorkerPoolException.class, () -> withClient(FLINKOP, conf(),
        c -> c.cancelUpdate(byProxy.getUpdateId())));
    assertEquals(Status.Code.FAILED_PRECONDITION, starterCancel.code(), "the starter may cancel; this update ended: "
        + starterCancel.getMessage());

    List<String> lines = audit.stop();
    lines.forEach(System.out::println);
    for (String user : List.of("bob", "charlie", "mallory", "flinkop", "alice via rogueop")) {
      assertAudited(lines, user, "Worker Pool Update Application", "FAILURE", appId, "PERMISSION_DENIED");
    }
    assertAudited(lines, "alice via flinkop", "Worker Pool Update Application", "SUCCESS", appId, null);
    assertAudited(lines, "alice", "Worker Pool Update Application", "SUCCESS", appId, null);
    assertAudited(lines, "dave", "Worker Pool Get Update", "SUCCESS", appId, null);
    assertAudited(lines, "mallory", "Worker Pool Get Update", "FAILURE", appId, "PERMISSION_DENIED");
    assertAudited(lines, "bob", "Worker Pool Cancel Update", "FAILURE", appId, "PERMISSION_DENIED");
    assertAudited(lines, "flinkop", "Worker Pool Cancel Update", "FAILURE", appId, "FAILED_PRECONDITION");
    app.stopAttempt(attempt(appId, 3).toString());
  }

  @Test
  void badTokensAreUnauthenticatedAuditedAndChangeNothing() throws Exception {
    ApplicationId appId = submit(ALICE, conf(), app, "bad-tokens", 1, WORKER_MB, ACLS);
    List<String> workers = containerIds(awaitRunning(cluster.report(), attempt(appId, 1), 1));
    UpdateApplicationRequest update = UpdateApplicationRequest.newBuilder().setApplicationId(appId.toString())
        .setAmLaunchContext(LaunchContextCodec.encode(app.amLaunchContext("2", 1, WORKER_MB))).build();
    Token<RMDelegationTokenIdentifier> valid = aliceToken();
    Token<RMDelegationTokenIdentifier> cancelled = aliceToken();
    rm().getRMContext().getRMDelegationTokenSecretManager().cancelToken(cancelled, "alice");
    Token<RMDelegationTokenIdentifier> expired = aliceToken();
    Token<?> otherKind = new Token<>(valid.getIdentifier(), valid.getPassword(), new Text("HDFS_DELEGATION_TOKEN"),
        valid.getService());
    Token<RMDelegationTokenIdentifier> forged = new Token<>(valid.getIdentifier(), "guessed".getBytes(),
        valid.getKind(), valid.getService());
    LogCapture audit = LogCapture.start(RMAuditLogger.class);

    ManagedChannel channel = plaintextChannel();
    try {
      // A valid token authenticates: the call gets past it to "no update yet".
      StatusRuntimeException passed = assertThrows(StatusRuntimeException.class, () -> stub(channel, null,
          valid.encodeToUrlString()).getUpdate(io.workerpool.proto.GetUpdateRequest.newBuilder()
              .setApplicationId(appId.toString()).build()));
      assertEquals(Status.Code.NOT_FOUND, passed.getStatus().getCode(), passed.getStatus().toString());

      assertUnauthenticated(channel, null, "garbage!", update, "does not hold a Hadoop token");
      assertUnauthenticated(channel, null, otherKind.encodeToUrlString(), update,
          "the token is a HDFS_DELEGATION_TOKEN, not an RM delegation token");
      assertUnauthenticated(channel, null, forged.encodeToUrlString(), update, "was not accepted");
      assertUnauthenticated(channel, null, cancelled.encodeToUrlString(), update, "was not accepted");
      assertUnauthenticated(channel, "bob", valid.encodeToUrlString(), update,
          "the RM delegation token belongs to alice, not to bob");
      long expiry = expired.decodeIdentifier().getIssueDate() + TOKEN_RENEW_INTERVAL_MS;
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> System.currentTimeMillis() > expiry + 500);
      assertUnauthenticated(channel, null, expired.encodeToUrlString(), update, "is expired");
    } finally {
      channel.shutdownNow();
    }
    List<String> lines = audit.stop();
    lines.forEach(System.out::println);
    assertEquals(6, lines.stream().filter(l -> l.contains("OPERATION=Worker Pool Update Application")
        && l.contains("RESULT=FAILURE") && l.contains("PERMISSIONS=UNAUTHENTICATED") && l.contains("\tIP=")
        && l.contains("APPID=" + appId)).count(), "every refused token is audited: " + lines);
    assertUnchanged(appId, 1, workers);
    app.stopAttempt(attempt(appId, 1).toString());
  }

  @Test
  void tokensOfTheNewLaunchContextReachTheNewAmBesideTheApplicationsOwn() throws Exception {
    Credentials submitted = new Credentials();
    submitted.addToken(new Text("kept"), testToken("submitted"));
    ByteBuffer submittedTokens = tokens(submitted);
    ApplicationId appId = submit(ALICE, conf(), app, "tokens", 1, WORKER_MB, ACLS,
        launchContext -> launchContext.setTokens(submittedTokens));
    awaitRunning(cluster.report(), attempt(appId, 1), 1);
    Credentials sent = new Credentials();
    sent.addToken(new Text("kept"), testToken("sent again under the same alias"));
    sent.addToken(new Text("added"), testToken("for a new file"));
    ContainerLaunchContext v2 = app.amLaunchContext("2", 1, WORKER_MB);
    v2.setTokens(tokens(sent));

    UpdateStatus status = withClient(ALICE, conf(), c -> c.updateApplication(appId, v2).await(Duration.ofMinutes(2)));
    assertEquals(UpdatePhase.SUCCEEDED, status.getPhase(), status.toString());
    awaitRunning(cluster.report(), attempt(appId, 2), 1);

    // What the NodeManager handed AM2's process (HADOOP_TOKEN_FILE_LOCATION).
    ContainerId am2 = cluster.client().getApplicationAttemptReport(attempt(appId, 2)).getAMContainerId();
    Credentials received = Credentials.readTokenStorageFile(containerTokens(am2).toFile(), conf());
    assertEquals("submitted", new String(received.getToken(new Text("kept")).getIdentifier()),
        "the application's own token stays");
    assertEquals("for a new file", new String(received.getToken(new Text("added")).getIdentifier()),
        "the new launch context's token is added");
    app.stopAttempt(attempt(appId, 2).toString());
  }

  private static Token<TokenIdentifier> testToken(String identifier) {
    return new Token<>(identifier.getBytes(), "secret".getBytes(), new Text("WP_TEST_TOKEN"), new Text("test"));
  }

  private static Path containerTokens(ContainerId container) throws IOException {
    for (String dir : cluster.yarn().getNodeManager(0).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOCAL_DIRS)) {
      try (Stream<Path> files = Files.walk(Path.of(new org.apache.hadoop.fs.Path(dir).toUri().getPath()))) {
        var found = files.filter(f -> f.getFileName().toString().equals("container_tokens")
            && f.getParent().getFileName().toString().equals(container.toString())).findFirst();
        if (found.isPresent()) {
          return found.get();
        }
      }
    }
    throw new AssertionError("no container_tokens of " + container + " on the NodeManager");
  }

  private static void assertUnauthenticated(ManagedChannel channel, String user, String token,
      UpdateApplicationRequest request, String expected) {
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> stub(channel, user, token).updateApplication(request));
    assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode(), refused.getStatus().toString());
    assertTrue(refused.getStatus().getDescription().contains(expected), refused.getStatus().getDescription());
  }

  /** Same attempt, same workers running, launch context and update record untouched. */
  private static void assertUnchanged(ApplicationId appId, int attempt, List<String> workers) throws Exception {
    assertEquals(attempt(appId, attempt), cluster.client().getApplicationReport(appId).getCurrentApplicationAttemptId());
    assertEquals(workers, containerIds(cluster.report().running(attempt(appId, attempt))));
    assertEquals(Integer.toString(attempt), rm().getRMContext().getRMApps().get(appId).getApplicationSubmissionContext()
        .getAMContainerSpec().getEnvironment().get(TestAppMaster.ENV_VERSION));
  }

  private static void assertAudited(List<String> lines, String user, String operation, String result,
      ApplicationId appId, String reason) {
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("USER=" + user + "\tIP=") && l.contains("OPERATION=" + operation)
        && l.contains("RESULT=" + result) && l.contains("APPID=" + appId)
        && (reason == null || l.contains("PERMISSIONS=" + reason))), user + " " + operation + " " + result + " " + reason
        + " in the RM audit log: " + lines);
  }

  private static Token<RMDelegationTokenIdentifier> aliceToken() throws Exception {
    return SecurityFixture.as(ALICE, () -> {
      try (YarnClient yarn = YarnClient.createYarnClient()) {
        yarn.init(conf());
        yarn.start();
        return ConverterUtils.convertFromYarn(yarn.getRMDelegationToken(new Text("alice")), (Text) null);
      }
    });
  }

  private static WorkerPoolGrpc.WorkerPoolBlockingStub stub(ManagedChannel channel, String user, String token) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(WorkerPoolConfigKeys.DELEGATION_TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER), token);
    if (user != null) {
      headers.put(Metadata.Key.of(WorkerPoolConfigKeys.USER_HEADER, Metadata.ASCII_STRING_MARSHALLER), user);
    }
    return WorkerPoolGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static ManagedChannel plaintextChannel() {
    var address = conf().getSocketAddr(WorkerPoolConfigKeys.ADDRESS, "", 0);
    return NettyChannelBuilder.forAddress(address.getHostString(), address.getPort()).usePlaintext().build();
  }

  private static UserGroupInformation proxy(String realUser) {
    return UserGroupInformation.createProxyUser("alice", UserGroupInformation.createRemoteUser(realUser));
  }

  private static Configuration conf() {
    return cluster.config();
  }

  private static ResourceManager rm() {
    return cluster.yarn().getResourceManager();
  }
}
