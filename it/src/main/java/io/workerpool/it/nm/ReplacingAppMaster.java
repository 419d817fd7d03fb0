package io.workerpool.it.nm;

import io.workerpool.it.app.ReportDir;
import io.workerpool.it.app.ReportingNMCallbacks;
import io.workerpool.it.app.ReportingRMCallbacks;
import io.workerpool.it.app.TestAppMaster;
import io.workerpool.it.app.WorkerResources;
import io.workerpool.protocol.ReplacementContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.net.NetUtils;
import org.apache.hadoop.yarn.api.ApplicationConstants;
import org.apache.hadoop.yarn.api.ApplicationConstants.Environment;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.api.records.ExecutionTypeRequest;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.ResourceSizing;
import org.apache.hadoop.yarn.api.records.SchedulingRequest;
import org.apache.hadoop.yarn.client.api.AMRMClient.ContainerRequest;
import org.apache.hadoop.yarn.client.api.async.AMRMClientAsync;
import org.apache.hadoop.yarn.client.api.async.NMClientAsync;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * A test ApplicationMaster that marks containers itself, standing in for the Worker Pool's RM side:
 * it runs the commands the test appends to {@link ReplacingApplication#commands}, one per line,
 * line N answered by the container with allocation request id N:
 * <ul>
 * <li>{@code worker}: a plain worker;</li>
 * <li>{@code stubborn}: a plain worker that ignores SIGTERM, so only SIGKILL stops it;</li>
 * <li>{@code replace <container> [<size>/<key>]}: a worker asked with a SchedulingRequest whose allocation
 *     tag is the replacement mark (and, if given, the batch tag), so the RM signs them into its container
 *     token;</li>
 * <li>{@code claim <container>}: a plain worker whose launch context, not its token, names the
 *     container it claims to replace;</li>
 * <li>{@code stop <container>}: stops one of its containers.</li>
 * </ul>
 * Workers run the test application's worker.sh and report themselves to the report dir; this AM
 * reports "start", "allocated &lt;container&gt; request=N", "started", and "completed" lines.
 */
public final class ReplacingAppMaster {
  static final String CLAIM_ENV = "WP_CLAIMS_TO_REPLACE";
  private static final Priority PRIORITY = Priority.newInstance(1);

  private final ReportDir report;
  private final String attemptId;
  private final Resource workerResource;
  private final Map<String, String> workerEnv;
  private final Map<Long, ContainerRequest> plainRequests = new ConcurrentHashMap<>();
  private final Map<Long, String> claims = new ConcurrentHashMap<>();
  private final Set<Long> stubborn = ConcurrentHashMap.newKeySet();
  private final Map<ContainerId, NodeId> nodes = new ConcurrentHashMap<>();
  private AMRMClientAsync<ContainerRequest> amrm;
  private NMClientAsync nm;

  private ReplacingAppMaster(Map<String, String> env) {
    report = new ReportDir(Path.of(env.get(ReportDir.ENV)));
    attemptId = ContainerId.fromString(env.get(Environment.CONTAINER_ID.name())).getApplicationAttemptId().toString();
    workerResource = Resource.newInstance(Long.parseLong(env.get(TestAppMaster.ENV_WORKER_MB)), 1);
    workerEnv = Map.of(TestAppMaster.ENV_VERSION, env.get(TestAppMaster.ENV_VERSION), ReportDir.ENV,
        env.get(ReportDir.ENV), WorkerResources.ENV, env.get(WorkerResources.ENV));
  }

  public static void main(String[] args) throws Exception {
    new ReplacingAppMaster(System.getenv()).run();
  }

  private void run() throws Exception {
    YarnConfiguration conf = new YarnConfiguration();
    nm = NMClientAsync.createNMClientAsync(new ReportingNMCallbacks(report, attemptId));
    nm.init(conf);
    nm.start();
    amrm = AMRMClientAsync.createAMRMClientAsync(100, new RMCallbacks());
    amrm.init(conf);
    amrm.start();
    amrm.registerApplicationMaster(NetUtils.getHostname(), -1, "");
    report.appendAmLine(attemptId, "start attempt=" + attemptId + " container=" + System.getenv(
        Environment.CONTAINER_ID.name()));
    Path commands = ReplacingApplication.commands(report, attemptId);
    long done = 0;
    while (report.leaseHeld() && !Files.exists(report.root().resolve("stop-" + attemptId))) {
      List<String> lines = completeLines(commands);
      while (done < lines.size()) {
        done++;
        ask(done, lines.get((int) done - 1).trim().split(" "));
      }
      Thread.sleep(100);
    }
    amrm.unregisterApplicationMaster(FinalApplicationStatus.SUCCEEDED, "stopped by the test", "");
    amrm.stop();
    nm.stop();
  }

  /** The lines of a file that the test may be appending to, without a last line still being written. */
  private static List<String> completeLines(Path file) throws IOException {
    String text = Files.exists(file) ? Files.readString(file) : "";
    String complete = text.substring(0, text.lastIndexOf('\n') + 1);
    return complete.isEmpty() ? List.of() : List.of(complete.split("\n"));
  }

  private void ask(long requestId, String[] command) {
    switch (command[0]) {
      case "worker", "stubborn", "claim" -> {
        if (command[0].equals("claim")) {
          claims.put(requestId, command[1]);
        }
        if (command[0].equals("stubborn")) {
          stubborn.add(requestId);
        }
        ContainerRequest request = ContainerRequest.newBuilder().capability(workerResource).priority(PRIORITY)
            .allocationRequestId(requestId).build();
        plainRequests.put(requestId, request);
        amrm.addContainerRequest(request);
      }
      case "replace" -> amrm.addSchedulingRequests(List.of(SchedulingRequest.newBuilder()
          .allocationRequestId(requestId).priority(PRIORITY)
          .executionType(ExecutionTypeRequest.newInstance(ExecutionType.GUARANTEED))
          .allocationTags(command.length > 2
              ? Set.of(ReplacementContract.replacesTag(command[1]), ReplacementContract.BATCH_TAG_PREFIX + command[2])
              : Set.of(ReplacementContract.replacesTag(command[1])))
          .resourceSizing(ResourceSizing.newInstance(1, workerResource)).build()));
      case "stop" -> {
        ContainerId id = ContainerId.fromString(command[1]);
        nm.stopContainerAsync(id, nodes.get(id));
      }
      default -> report.appendAmLine(attemptId, "unknown-command " + String.join(" ", command));
    }
  }

  private ContainerLaunchContext workerContext(long requestId) {
    Map<String, String> env = new HashMap<>(workerEnv);
    String claimed = claims.get(requestId);
    if (claimed != null) {
      env.put(CLAIM_ENV, claimed);
    }
    String log = ApplicationConstants.LOG_DIR_EXPANSION_VAR;
    // exec: worker.sh is the container's process, so the container exits 0 when the worker handles
    // SIGTERM, and no orphaned child waits for this machine's init to reap it. A signal ignored on
    // entry cannot be trapped by bash: the stubborn worker's SIGTERM trap has no effect.
    String ignoreTerm = stubborn.contains(requestId) ? "trap '' TERM; " : "";
    return ContainerLaunchContext.newInstance(WorkerResources.decode(env.remove(WorkerResources.ENV)), env,
        List.of(ignoreTerm + "exec bash worker.sh 1>>" + log + "/stdout 2>>" + log + "/stderr"), null, null, null);
  }

  private final class RMCallbacks extends ReportingRMCallbacks {
    RMCallbacks() {
      super(report, attemptId);
    }

    @Override
    public void onContainersAllocated(List<Container> containers) {
      for (Container container : containers) {
        ContainerRequest plain = plainRequests.remove(container.getAllocationRequestId());
        if (plain != null) {
          amrm.removeContainerRequest(plain);
        }
        nodes.put(container.getId(), container.getNodeId());
        report.appendAmLine(attemptId, "allocated " + container.getId() + " request="
            + container.getAllocationRequestId() + " node=" + container.getNodeId());
        nm.startContainerAsync(container, workerContext(container.getAllocationRequestId()));
      }
    }

    @Override
    public void onContainersCompleted(List<ContainerStatus> statuses) {
      for (ContainerStatus status : statuses) {
        report.appendAmLine(attemptId, "completed " + status.getContainerId() + " exit=" + status.getExitStatus()
            + " diagnostics=" + status.getDiagnostics().replace('\n', ' '));
      }
    }
  }
}
