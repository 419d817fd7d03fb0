package io.workerpool.it.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.cluster.WorkerPoolSettings;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import io.workerpool.proto.WorkerState;
import io.workerpool.protocol.ReplacementContract;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import io.workerpool.rm.hadoop.ConversionTimings;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerExitStatus;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.ResourceRequest;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.MockAM;
import org.apache.hadoop.yarn.server.resourcemanager.MockNM;
import org.apache.hadoop.yarn.server.resourcemanager.MockRM;
import org.apache.hadoop.yarn.server.resourcemanager.MockRMAppSubmissionData;
import org.apache.hadoop.yarn.server.resourcemanager.MockRMAppSubmitter;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttemptState;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerState;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacitySchedulerConfiguration;
import org.apache.hadoop.yarn.server.utils.BuilderUtils;
import org.apache.log4j.Level;
import org.apache.log4j.LogManager;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The ResourceManager's cost of converting pooled containers, at scale, against the cost of
 * allocating the same containers normally.
 *
 * <p>One real ResourceManager with the Worker Pool scheduler and the stock CapacityScheduler
 * configuration; {@code nodes} simulated NodeManagers register and heartbeat through the real
 * ResourceTrackerService, and simulated AMs register and allocate through the real
 * ApplicationMasterService ({@link MockRM}, {@link MockNM}, {@link MockAM}). AM1 asks for
 * {@code containers} workers, which the CapacityScheduler places as the nodes heartbeat; the
 * nodes report them RUNNING. The application is updated through the Worker Pool gRPC client;
 * AM2 asks for the same workers in one allocate call and gets them converted. The nodes then
 * report each old container replaced and its new one running, as the NodeManager hook does.
 */
@CommandLine.Command(name = "bench-conversion", mixinStandardHelpOptions = true,
    description = "RM conversion cost per container vs CapacityScheduler allocation, on simulated nodes.")
public final class ConversionBenchmark implements Callable<Integer> {
  private static final int WORKER_MB = 1024;
  private static final int AM_MB = 1024;
  private static final int PRIORITY = 1;
  private static final String QUEUE = "default";

  // Defaults from the environment, so that the Maven exec execution can be sized without editing it.
  @Option(names = "--containers", defaultValue = "${env:BENCH_CONTAINERS:-10000}",
      description = "Pooled containers (default ${DEFAULT-VALUE}, or BENCH_CONTAINERS).")
  int containers;

  @Option(names = "--nodes", defaultValue = "${env:BENCH_NODES:-1000}",
      description = "Simulated NodeManagers (default ${DEFAULT-VALUE}, or BENCH_NODES).")
  int nodes;

  @Option(names = "--async-scheduling", defaultValue = "${env:BENCH_ASYNC_SCHEDULING:-false}",
      description = "Run the CapacityScheduler asynchronously (Hadoop 3.5's default). Off by default: then every"
          + " allocation happens in a node heartbeat, where its time is measured per container.")
  boolean asyncScheduling;

  @Option(names = "--conversions-per-lock", defaultValue = "500",
      description = "The RM's yarn.resourcemanager.worker-pool.conversions-per-lock (default ${DEFAULT-VALUE}).")
  int conversionsPerLock;

  @Option(names = "--json", defaultValue = "${env:BENCH_JSON:-target/bench-conversion.json}",
      description = "Where the result is written as JSON (default ${DEFAULT-VALUE}, or BENCH_JSON).")
  File json;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ConversionBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (containers < 1 || nodes < 1 || containers < nodes) {
      System.err.println("--containers and --nodes must be positive, with at least one container per node");
      return 2;
    }
    ConversionResult result = run(containers, nodes, asyncScheduling, conversionsPerLock, System.out);
    result.print(System.out);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json, result);
    System.out.printf("written to %s%n", json);
    return result.correct() ? 0 : 1;
  }

  /**
   * {@link #run(int, int, boolean, int, PrintStream)} with the CapacityScheduler allocating in node heartbeats and
   * the RM's default conversions per lock hold.
   */
  public static ConversionResult run(int containers, int nodes, PrintStream progress) throws Exception {
    return run(containers, nodes, false, WorkerPoolConfigKeys.DEFAULT_CONVERSIONS_PER_LOCK, progress);
  }

  /**
   * Runs the benchmark once, in this JVM (it starts and stops its own ResourceManager).
   *
   * @param containers worker containers of the application, spread evenly over the nodes
   * @param asyncScheduling whether the CapacityScheduler allocates in its own threads (Hadoop 3.5's
   *     default) instead of in node heartbeats; allocation is then timed only from ask to all allocated
   * @param conversionsPerLock pooled containers the RM converts under one hold of the scheduler's write lock
   * @param progress where to print what it does
   */
  public static ConversionResult run(int containers, int nodes, boolean asyncScheduling, int conversionsPerLock,
      PrintStream progress) throws Exception {
    int perNode = (containers + nodes - 1) / nodes;
    Configuration conf = new YarnConfiguration();
    conf.set(WorkerPoolSettings.SCHEDULER_CLASS, WorkerPoolSettings.RM_SCHEDULER);
    conf.set(WorkerPoolSettings.ADDRESS, "localhost:" + WorkerPoolSettings.freePort());
    conf.set(WorkerPoolSettings.CLAIM_TIMEOUT_MS, Long.toString(30 * 60_000));
    conf.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, 2);
    conf.setInt(WorkerPoolConfigKeys.CONVERSIONS_PER_LOCK, conversionsPerLock);
    conf.setBoolean(CapacitySchedulerConfiguration.SCHEDULE_ASYNCHRONOUSLY_ENABLE, asyncScheduling);
    double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();

    // MockRM turns the root logger to DEBUG; that would measure logging. Keep the caller's level.
    Level logLevel = LogManager.getRootLogger().getLevel();
    SimulatedResourceManager rm = new SimulatedResourceManager(conf);
    LogManager.getRootLogger().setLevel(logLevel);
    WorkerPoolClient client = new WorkerPoolClient();
    try {
      rm.start();
      CapacityScheduler scheduler = (CapacityScheduler) rm.getResourceScheduler();

      progress.printf("registering %d simulated NodeManagers (%d workers of %d MB each)...%n", nodes, perNode,
          WORKER_MB);
      List<MockNM> nms = new ArrayList<>(nodes);
      for (int i = 0; i < nodes; i++) {
        // The first node also has room for the AM (AM1, then AM2).
        int memory = perNode * WORKER_MB + (i == 0 ? AM_MB : 0);
        // Loopback IP literals: distinct hosts that resolve without DNS (container tokens name the node's address).
        int n = i + 1;
        String host = "127." + (n >> 16 & 0xff) + "." + (n >> 8 & 0xff) + "." + (n & 0xff);
        nms.add(rm.registerNode(host + ":8041", memory, perNode + (i == 0 ? 1 : 0)));
      }
      List<NodeId> nodeIds = nms.stream().map(MockNM::getNodeId).toList();
      Map<NodeId, MockNM> nmOf = nms.stream().collect(Collectors.toMap(MockNM::getNodeId, nm -> nm));

      RMApp app = MockRMAppSubmitter.submit(rm, MockRMAppSubmissionData.Builder.createWithMemory(AM_MB, rm)
          .withAppName("conversion-benchmark").withQueue(QUEUE).withKeepContainers(true).withMaxAppAttempts(2)
          .build());
      MockAM am1 = MockRM.launchAndRegisterAM(app, rm, nms.get(0));
      ContainerId am1Container = app.getCurrentAppAttempt().getMasterContainer().getId();
      report(nms.get(0), List.of(running(am1Container)));
      rm.drainEvents();

      progress.printf("AM1 asks for %d containers; the CapacityScheduler places them as the nodes heartbeat...%n",
          containers);
      rm.takeNodeUpdates();
      long askedAt = System.nanoTime();
      am1.allocate(List.of(anyAsk(am1, containers)), List.of());
      List<Container> allocated = new ArrayList<>(containers);
      int rounds = 0;
      while (allocated.size() < containers) {
        if (++rounds > 10 * perNode + 10) {
          throw new IllegalStateException("the CapacityScheduler placed only " + allocated.size() + " of "
              + containers + " containers in " + rounds + " heartbeat rounds");
        }
        for (MockNM nm : nms) {
          nm.nodeHeartbeat(true);
        }
        rm.drainEvents();
        allocated.addAll(am1.allocate(List.of(), List.of()).getAllocatedContainers());
      }
      long scheduleWall = System.nanoTime() - askedAt;
      // Asynchronous scheduling commits on its own threads, also while a heartbeat is handled: no per-heartbeat share.
      List<SimulatedResourceManager.NodeUpdate> placing = asyncScheduling ? List.of() : rm.takeNodeUpdates().stream()
          .filter(u -> u.allocated() > 0).toList();
      long[] scheduleSamples = perContainer(placing, SimulatedResourceManager.NodeUpdate::nanos);
      long[] scheduleCpuSamples = perContainer(placing, SimulatedResourceManager.NodeUpdate::cpuNanos);
      long scheduleTotal = placing.stream().mapToLong(SimulatedResourceManager.NodeUpdate::nanos).sum();
      progress.printf("placed %d containers in %d heartbeat rounds (%.1f s)%n", allocated.size(), rounds,
          scheduleWall / 1e9);

      Map<NodeId, List<Container>> byNode = allocated.stream().collect(Collectors.groupingBy(Container::getNodeId));
      for (Map.Entry<NodeId, List<Container>> e : byNode.entrySet()) {
        report(nmOf.get(e.getKey()), e.getValue().stream().map(c -> running(c.getId())).toList());
      }
      rm.drainEvents();
      long notRunning = allocated.stream()
          .filter(c -> scheduler.getRMContainer(c.getId()).getState() != RMContainerState.RUNNING).count();
      if (notRunning > 0) {
        throw new IllegalStateException(notRunning + " containers did not reach RUNNING in the ResourceManager");
      }
      ResourceUsage before = ResourceUsage.read(scheduler, QUEUE, app.getUser(), nodeIds);
      progress.printf("all RUNNING; usage: %s%n", before.summary());

      client.init(conf);
      client.start();
      ContainerLaunchContext v2 = ContainerLaunchContext.newInstance(Map.of(), Map.of("VERSION", "2"),
          List.of("sleep 3600"), null, null, null);
      String updateId = client.updateApplication(app.getApplicationId(), v2).updateId();
      progress.printf("update %s accepted; launching AM2...%n", updateId);
      rm.drainEvents();
      // AM1's container ends as the NodeManager would report it after the RM's kill.
      report(nms.get(0), List.of(ContainerStatus.newInstance(am1Container, ContainerState.COMPLETE, "killed",
          ContainerExitStatus.ABORTED)));
      MockAM am2 = launchNextAM(rm, app, am1.getApplicationAttemptId(), nms.get(0));
      ApplicationAttemptId attempt2 = am2.getApplicationAttemptId();
      long poolFormation = rm.lastAttemptAddedNanos();
      int transferred = am2.registerAppAttempt().getContainersFromPreviousAttempts().size();
      if (transferred != 0) {
        throw new IllegalStateException("AM2 was handed " + transferred + " containers from the previous attempt;"
            + " pooled containers must not be");
      }
      ContainerId am2Container = app.getCurrentAppAttempt().getMasterContainer().getId();
      report(nms.get(0), List.of(running(am2Container)));
      rm.drainEvents();
      ResourceUsage beforeConversion = ResourceUsage.read(scheduler, QUEUE, app.getUser(), nodeIds);

      progress.printf("AM2 (%s) asks for %d containers...%n", attempt2, containers);
      // MockAM calls the ApplicationMasterService in this thread: its CPU time is the RM's for this call.
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long convertCpuStart = threads.getCurrentThreadCpuTime();
      long convertStart = System.nanoTime();
      List<Container> converted = am2.allocate(List.of(anyAsk(am2, containers)), List.of()).getAllocatedContainers();
      long convertCall = System.nanoTime() - convertStart;
      long convertCallCpu = threads.getCurrentThreadCpuTime() - convertCpuStart;
      ConversionTimings timings = ConversionTimings.instance();
      long longestHold = timings.lastLongestHoldNanos();
      long outOfLock = timings.lastOutOfLockNanos();
      long lockHold = timings.lastLockHoldNanos();
      rm.drainEvents();
      ResourceUsage afterConversion = ResourceUsage.read(scheduler, QUEUE, app.getUser(), nodeIds);

      UpdateStatus status = client.getUpdate(updateId);
      long[] conversionSamples = status.getWorkersList().stream()
          .filter(w -> !w.getNewContainerId().isEmpty()).mapToLong(WorkerRecord::getConversionNanos).toArray();
      int ofAttempt2 = (int) converted.stream()
          .filter(c -> c.getId().getApplicationAttemptId().equals(attempt2)).count();
      boolean sameNodes = nodeCounts(converted).equals(nodeCounts(allocated));
      int batchTagged = batchTagged(converted);
      progress.printf("AM2 got %d containers of %s in one allocate call (%.1f ms); update %s%n", ofAttempt2,
          attempt2, convertCall / 1e6, status.getPhase());

      // The NodeManager hook stops each old container (exit -120) and runs its replacement.
      Map<String, String> oldOfNew = status.getWorkersList().stream().filter(w -> !w.getNewContainerId().isEmpty())
          .collect(Collectors.toMap(WorkerRecord::getNewContainerId, WorkerRecord::getOldContainerId));
      Map<NodeId, List<ContainerStatus>> swaps = new HashMap<>();
      for (Container c3 : converted) {
        ContainerId c1 = ContainerId.fromString(oldOfNew.get(c3.getId().toString()));
        List<ContainerStatus> statuses = swaps.computeIfAbsent(c3.getNodeId(), n -> new ArrayList<>());
        statuses.add(ContainerStatus.newInstance(c1, ContainerState.COMPLETE,
            ReplacementContract.replacedDiagnostic(c1.toString(), c3.getId().toString()),
            ReplacementContract.REPLACED_EXIT_STATUS));
        statuses.add(running(c3.getId()));
      }
      for (Map.Entry<NodeId, List<ContainerStatus>> e : swaps.entrySet()) {
        report(nmOf.get(e.getKey()), e.getValue());
      }
      rm.drainEvents();
      ResourceUsage afterSwaps = ResourceUsage.read(scheduler, QUEUE, app.getUser(), nodeIds);
      UpdateStatus end = client.getUpdate(updateId);
      int replaced = (int) end.getWorkersList().stream().filter(w -> w.getState() == WorkerState.REPLACED).count();
      Map<String, Long> changedNodes = ResourceUsage.difference(before, afterSwaps);
      if (!changedNodes.isEmpty()) {
        progress.printf("nodes whose allocation changed (MB): %s%n", changedNodes);
      }

      Percentiles convert = new Percentiles(conversionSamples);
      Percentiles schedule = scheduleSamples.length == 0 ? null : new Percentiles(scheduleSamples);
      Percentiles scheduleCpu = scheduleSamples.length == 0 ? null : new Percentiles(scheduleCpuSamples);
      return new ConversionResult(containers, nodes, asyncScheduling, loadAtStart,
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
          convert.median(), convert.p99(), convert.max(), convertCall, convertCallCpu, longestHold, outOfLock, lockHold,
          batchTagged, poolFormation,
          schedule == null ? -1 : schedule.median(), schedule == null ? -1 : schedule.p99(),
          schedule == null ? -1 : schedule.max(), scheduleCpu == null ? -1 : scheduleCpu.median(),
          scheduleCpu == null ? -1 : scheduleCpu.p99(), scheduleTotal,
          placing.stream().mapToLong(SimulatedResourceManager.NodeUpdate::cpuNanos).sum(), placing.size(),
          scheduleWall,
          ofAttempt2, sameNodes, replaced, end.getPhase().name(),
          before, beforeConversion, afterConversion, afterSwaps);
    } finally {
      client.stop();
      rm.stop();
    }
  }

  /**
   * Launches the attempt after {@code previous} once its AM container is allocated on {@code nm}.
   * (MockRM.launchAM expects to see the attempt waiting for its container, which a heartbeat or the
   * asynchronous scheduler may already have allocated.)
   */
  private static MockAM launchNextAM(MockRM rm, RMApp app, ApplicationAttemptId previous, MockNM nm)
      throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (app.getCurrentAppAttempt().getAppAttemptId().equals(previous)
        || app.getCurrentAppAttempt().getAppAttemptState() != RMAppAttemptState.ALLOCATED) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("the next AM attempt of " + app.getApplicationId()
            + " got no container within 60 s: " + app.getCurrentAppAttempt().getAppAttemptState() + ", "
            + nm.getNodeId() + " has " + rm.getResourceScheduler().getNodeReport(nm.getNodeId()).getAvailableResource()
            + " free");
      }
      nm.nodeHeartbeat(true);
      rm.drainEvents();
      Thread.sleep(10);
    }
    ApplicationAttemptId next = app.getCurrentAppAttempt().getAppAttemptId();
    MockAM am = rm.sendAMLaunched(next);
    rm.waitForState(next, RMAppAttemptState.LAUNCHED);
    return am;
  }

  /** Each heartbeat's time shared among the containers it placed: one sample per container. */
  private static long[] perContainer(List<SimulatedResourceManager.NodeUpdate> updates,
      ToLongFunction<SimulatedResourceManager.NodeUpdate> time) {
    return updates.stream()
        .flatMapToLong(u -> LongStream.generate(() -> time.applyAsLong(u) / u.allocated()).limit(u.allocated()))
        .toArray();
  }

  private static ResourceRequest anyAsk(MockAM am, int count) throws Exception {
    return am.createResourceReq(ResourceRequest.ANY, WORKER_MB, PRIORITY, count);
  }

  private static ContainerStatus running(ContainerId id) {
    return ContainerStatus.newInstance(id, ContainerState.RUNNING, "", 0);
  }

  private static void report(MockNM nm, List<ContainerStatus> statuses) throws Exception {
    nm.nodeHeartbeat(statuses, true);
  }

  /** Containers whose RM-signed token names a batch of as many containers as the list has on their node. */
  private static int batchTagged(List<Container> converted) throws IOException {
    Map<NodeId, Long> perNode = nodeCounts(converted);
    int tagged = 0;
    for (Container c3 : converted) {
      Set<String> tags = BuilderUtils.newContainerTokenIdentifier(c3.getContainerToken()).getAllcationTags();
      if (ReplacementContract.batchOf(tags).map(b -> b.size() == perNode.get(c3.getNodeId())).orElse(false)) {
        tagged++;
      }
    }
    return tagged;
  }

  private static Map<NodeId, Long> nodeCounts(List<Container> containers) {
    return containers.stream().collect(Collectors.groupingBy(Container::getNodeId, Collectors.counting()));
  }
}
