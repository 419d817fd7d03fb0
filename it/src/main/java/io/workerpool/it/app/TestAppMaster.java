package io.workerpool.it.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.net.NetUtils;
import org.apache.hadoop.yarn.api.ApplicationConstants;
import org.apache.hadoop.yarn.api.ApplicationConstants.Environment;
import org.apache.hadoop.yarn.api.protocolrecords.RegisterApplicationMasterResponse;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.api.AMRMClient.ContainerRequest;
import org.apache.hadoop.yarn.client.api.async.AMRMClientAsync;
import org.apache.hadoop.yarn.client.api.async.NMClientAsync;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * A plain YARN ApplicationMaster that knows nothing of the Worker Pool: it keeps
 * {@code WP_WORKERS} workers running, adopts containers from previous attempts like a
 * work-preserving AM, replaces workers that fail, and reports what it sees to the report dir.
 */
public final class TestAppMaster {
  public static final String ENV_VERSION = "WP_VERSION";
  public static final String ENV_WORKERS = "WP_WORKERS";
  public static final String ENV_WORKER_MB = "WP_WORKER_MB";
  /** When set, workers exit with this code right after they start. */
  public static final String ENV_EXIT_AT_START = "WP_WORKER_EXIT_AT_START";
  /** Passed to the workers: they log SIGTERM and keep running. */
  public static final String ENV_IGNORE_TERM = "WP_WORKER_IGNORE_TERM";
  /** The AM waits this long before it registers (tests hold an attempt in its launch). */
  public static final String ENV_REGISTER_DELAY_MS = "WP_REGISTER_DELAY_MS";
  /** The AM asks for half of its workers at once and for the rest this much later (tests hold an update mid-way). */
  public static final String ENV_LATE_ASK_DELAY_MS = "WP_LATE_ASK_DELAY_MS";
  /**
   * The AM asks for this many workers first and for the rest when the first arrive, in the same callback that takes
   * the served asks off (an AM that grows as its first workers come up).
   */
  public static final String ENV_FIRST_ASKS = "WP_FIRST_ASKS";
  static final Priority WORKER_PRIORITY = Priority.newInstance(1);

  private final ReportDir report;
  private final String attemptId;
  private final int targetWorkers;
  private final Resource workerResource;
  private final Map<String, String> env;
  private final Set<ContainerId> workers = ConcurrentHashMap.newKeySet();
  private final AtomicInteger workerFailures = new AtomicInteger();
  private final AtomicInteger asksAfterFirstWorkers = new AtomicInteger();
  private AMRMClientAsync<ContainerRequest> amrm;
  private NMClientAsync nm;

  private TestAppMaster(Map<String, String> env) {
    report = new ReportDir(Path.of(env.get(ReportDir.ENV)));
    attemptId = ContainerId.fromString(env.get(Environment.CONTAINER_ID.name()))
        .getApplicationAttemptId().toString();
    targetWorkers = Integer.parseInt(env.get(ENV_WORKERS));
    workerResource = Resource.newInstance(Long.parseLong(env.get(ENV_WORKER_MB)), 1);
    this.env = env;
  }

  /** A new record per container: launch context records are not safe to share between NM client threads. */
  private ContainerLaunchContext workerContext() {
    String log = ApplicationConstants.LOG_DIR_EXPANSION_VAR;
    return ContainerLaunchContext.newInstance(
        new HashMap<>(WorkerResources.decode(env.get(WorkerResources.ENV))),
        workerEnvironment(),
        new ArrayList<>(List.of("exec bash worker.sh 1>>" + log + "/stdout 2>>" + log + "/stderr")),
        null, null, null);
  }

  private Map<String, String> workerEnvironment() {
    Map<String, String> workerEnv = new HashMap<>(Map.of(ENV_VERSION, env.get(ENV_VERSION),
        ReportDir.ENV, env.get(ReportDir.ENV)));
    if (env.containsKey(ENV_EXIT_AT_START)) {
      workerEnv.put(ENV_EXIT_AT_START, env.get(ENV_EXIT_AT_START));
    }
    if (env.containsKey(ENV_IGNORE_TERM)) {
      workerEnv.put(ENV_IGNORE_TERM, env.get(ENV_IGNORE_TERM));
    }
    return workerEnv;
  }

  public static void main(String[] args) throws Exception {
    new TestAppMaster(System.getenv()).run();
  }

  private void run() throws Exception {
    YarnConfiguration conf = new YarnConfiguration();
    nm = NMClientAsync.createNMClientAsync(new NMCallbacks());
    nm.init(conf);
    nm.start();
    // As stock AMs do (Flink's JobManager too): a stopped JVM stops its NM client, and the client stops
    // every container it started. An AM ended with a grace period would stop its workers this way.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      report.appendAmLine(attemptId, "shutdown");
      nm.stop();
    }));
    amrm = AMRMClientAsync.createAMRMClientAsync(200, new RMCallbacks());
    amrm.init(conf);
    amrm.start();
    Thread.sleep(Long.parseLong(env.getOrDefault(ENV_REGISTER_DELAY_MS, "0")));
    RegisterApplicationMasterResponse registration =
        amrm.registerApplicationMaster(NetUtils.getHostname(), -1, "");
    report.appendAmLine(attemptId, "start version=" + System.getenv(ENV_VERSION) + " attempt=" + attemptId);
    for (Container previous : registration.getContainersFromPreviousAttempts()) {
      workers.add(previous.getId());
      report.appendAmLine(attemptId, "previous " + previous.getId() + " " + previous.getNodeId());
    }
    long lateAskDelayMs = Long.parseLong(env.getOrDefault(ENV_LATE_ASK_DELAY_MS, "0"));
    int missing = targetWorkers - workers.size();
    int lateAsks = lateAskDelayMs > 0 ? missing / 2 : 0;
    int firstAsks = Math.min(missing - lateAsks, Integer.parseInt(env.getOrDefault(ENV_FIRST_ASKS, String.valueOf(missing))));
    asksAfterFirstWorkers.set(missing - lateAsks - firstAsks);
    askWorkers(firstAsks);
    long lateAskAt = System.currentTimeMillis() + lateAskDelayMs;
    while (report.leaseHeld() && !java.nio.file.Files.exists(report.root().resolve("stop-" + attemptId))) {
      if (lateAsks > 0 && System.currentTimeMillis() >= lateAskAt) {
        report.appendAmLine(attemptId, "late asks " + lateAsks);
        askWorkers(lateAsks);
        lateAsks = 0;
      }
      if (java.nio.file.Files.exists(report.root().resolve("crash-" + attemptId))) {
        report.appendAmLine(attemptId, "crash");
        Runtime.getRuntime().halt(3);
      }
      Thread.sleep(200);
    }
    report.appendAmLine(attemptId, "finish failures=" + workerFailures.get());
    amrm.unregisterApplicationMaster(FinalApplicationStatus.SUCCEEDED, "stopped by the test", "");
    amrm.stop();
    nm.stop();
  }

  private void askWorkers(int count) {
    for (int i = 0; i < count; i++) {
      amrm.addContainerRequest(new ContainerRequest(workerResource, null, null, WORKER_PRIORITY));
    }
  }

  /**
   * As stock AMs do (Flink's YarnResourceManagerDriver too): a container that its node refuses to start (for
   * example one allocated by an RM that failed over before the start) is released and asked for again.
   */
  private final class NMCallbacks extends ReportingNMCallbacks {
    NMCallbacks() {
      super(report, attemptId);
    }

    @Override
    public void onStartContainerError(ContainerId containerId, Throwable t) {
      super.onStartContainerError(containerId, t);
      if (workers.remove(containerId)) {
        amrm.releaseAssignedContainer(containerId);
        askWorkers(1);
      }
    }
  }

  private final class RMCallbacks extends ReportingRMCallbacks {
    RMCallbacks() {
      super(report, attemptId);
    }

    @Override
    public void onContainersAllocated(List<Container> containers) {
      for (Container container : containers) {
        amrm.removeContainerRequest(new ContainerRequest(workerResource, null, null, container.getPriority()));
        if (workers.size() >= targetWorkers) {
          report.appendAmLine(attemptId, "surplus " + container.getId() + " " + container.getNodeId());
          amrm.releaseAssignedContainer(container.getId());
          continue;
        }
        workers.add(container.getId());
        report.appendAmLine(attemptId, "allocated " + container.getId() + " " + container.getNodeId()
            + " priority=" + container.getPriority().getPriority() + " memory=" + container.getResource().getMemorySize());
        nm.startContainerAsync(container, workerContext());
      }
      int more = asksAfterFirstWorkers.getAndSet(0);
      if (more > 0) {
        report.appendAmLine(attemptId, "asks after first workers " + more);
        askWorkers(more);
      }
    }

    @Override
    public void onContainersCompleted(List<ContainerStatus> statuses) {
      for (ContainerStatus status : statuses) {
        boolean mine = workers.remove(status.getContainerId());
        report.appendAmLine(attemptId, "completed " + status.getContainerId() + " exit=" + status.getExitStatus()
            + " known=" + mine + " diagnostics=" + status.getDiagnostics().replace('\n', ' '));
        if (mine) {
          workerFailures.incrementAndGet();
          amrm.addContainerRequest(new ContainerRequest(workerResource, null, null, WORKER_PRIORITY));
        }
      }
    }
  }
}
