package io.workerpool.rm.hadoop;

import io.workerpool.protocol.ReplacementContract;
import io.workerpool.protocol.WorkerPoolConfigKeys;
import io.workerpool.rm.WorkerPoolService;
import io.workerpool.rm.pool.HandOverOrder;
import io.workerpool.rm.pool.PoolMatch;
import io.workerpool.rm.pool.PoolMatcher;
import io.workerpool.rm.pool.PooledWorker;
import io.workerpool.rm.pool.ServedAsks;
import io.workerpool.rm.pool.WorkerAsk;
import io.workerpool.rm.update.RecoveryRule;
import io.workerpool.rm.update.ReportedContainer;
import io.workerpool.rm.update.UpdateManager;
import io.workerpool.rm.update.UpdateRecovery;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.ResourceRequest;
import org.apache.hadoop.yarn.api.records.SchedulingRequest;
import org.apache.hadoop.yarn.server.api.protocolrecords.NMContainerStatus;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.attempt.RMAppAttemptState;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerEventType;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainerState;
import org.apache.hadoop.yarn.server.resourcemanager.rmnode.RMNode;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.Allocation;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.ContainerUpdates;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerApp;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.common.fica.FiCaSchedulerNode;
import org.apache.hadoop.yarn.util.resource.Resources;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.event.AppAddedSchedulerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.event.AppAttemptAddedSchedulerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.event.AppAttemptRemovedSchedulerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.event.SchedulerEvent;
import org.apache.hadoop.yarn.server.scheduler.SchedulerRequestKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CapacityScheduler with a Worker Pool: set {@code yarn.resourcemanager.scheduler.class} to
 * this class. It is the only place that touches scheduler internals; it hosts the Worker Pool
 * service, which therefore runs on the active ResourceManager only.
 *
 * <p>Hooks: attempt events (keep an updated application's workers and hand them to the new
 * attempt), {@code allocate} (answer the new attempt's asks from its pool), transferred
 * containers (pooled ones are not the new AM's yet) and container completion (follow swaps).
 */
public class WorkerPoolScheduler extends CapacityScheduler {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPoolScheduler.class);
  static final String AUTOCORRECT_KEY = "yarn.resourcemanager.scheduler.autocorrect.container.allocation";

  private final MaxAttemptsOverride maxAttempts = new MaxAttemptsOverride();
  private final ContainerConversion conversion = new ContainerConversion(this);
  private final UserUsageCarryOver userUsage = new UserUsageCarryOver(this);
  private final Map<ApplicationAttemptId, ServedAsks<AskKey, ResourceRequest>> servedAsks = new ConcurrentHashMap<>();
  private final AwaitedWorkerAsks awaitedAsks =
      new AwaitedWorkerAsks(capability -> getNormalizedResource(capability, getMaximumResourceCapability()));
  /** New AM containers converted from AM1's place, handed over at the attempt's next allocate. */
  private final Map<ApplicationAttemptId, RMContainer> amContainersToHandOver = new ConcurrentHashMap<>();
  /** Containers whose process ended but whose place the pool holds: their node will not report them again. */
  private final Set<ContainerId> heldPlaces = ConcurrentHashMap.newKeySet();
  private final ReadLockGuard readLockGuard = new ReadLockGuard(readLock);
  private ResourceManagerAdapter adapter;
  private WorkerPoolService service;
  private int conversionsPerLock;
  private long swapAlignmentMs;
  private long pauseAfterAmPlaceHeldMs;

  @Override
  public void serviceInit(Configuration conf) throws Exception {
    MaxAttemptsOverride.selfCheck();
    if (conf.getBoolean(AUTOCORRECT_KEY, false)) {
      throw new IllegalStateException(AUTOCORRECT_KEY + "=true would expire containers converted by the"
          + " Worker Pool; set it to false to use " + getClass().getName());
    }
    conversionsPerLock = conf.getInt(WorkerPoolConfigKeys.CONVERSIONS_PER_LOCK,
        WorkerPoolConfigKeys.DEFAULT_CONVERSIONS_PER_LOCK);
    if (conversionsPerLock < 1) {
      throw new IllegalArgumentException(WorkerPoolConfigKeys.CONVERSIONS_PER_LOCK + " must be at least 1, not "
          + conversionsPerLock);
    }
    swapAlignmentMs = conf.getLong(WorkerPoolConfigKeys.SWAP_ALIGNMENT_MS,
        WorkerPoolConfigKeys.DEFAULT_SWAP_ALIGNMENT_MS);
    if (swapAlignmentMs < 0) {
      throw new IllegalArgumentException(WorkerPoolConfigKeys.SWAP_ALIGNMENT_MS + " must be 0 or more, not "
          + swapAlignmentMs);
    }
    pauseAfterAmPlaceHeldMs = conf.getLong(WorkerPoolConfigKeys.TEST_PAUSE_AFTER_AM_PLACE_HELD_MS, 0);
    super.serviceInit(conf);
    adapter = new ResourceManagerAdapter(this, maxAttempts);
    service = new WorkerPoolService(adapter, UpdateJournals.forStateStore(conf, getRMContext()));
    service.init(conf);
  }

  @Override
  public void serviceStart() throws Exception {
    super.serviceStart();
    service.start();
  }

  @Override
  public void serviceStop() throws Exception {
    if (service != null) {
      service.stop();
    }
    super.serviceStop();
  }

  private UpdateManager updates() {
    return service.updates();
  }

  /**
   * Runs {@code action} under the write lock.
   *
   * @throws IllegalStateException when the calling thread holds the read lock: a read holder that asks for the
   *     write lock waits for ever, and with it every node heartbeat
   */
  <T> T underWriteLock(Supplier<T> action) {
    if (!writeLock.isHeldByCurrentThread() && readLockGuard.currentThreadHoldsReadLock()) {
      throw new IllegalStateException("the Worker Pool asked for the scheduler's write lock in "
          + Thread.currentThread().getName() + ", which holds the read lock: " + StackWalker.getInstance()
          .walk(frames -> frames.skip(1).limit(6).map(Object::toString).toList()));
    }
    writeLock.lock();
    try {
      return action.get();
    } finally {
      writeLock.unlock();
    }
  }

  /** Containers of the attempt that are allocated but not yet RUNNING (a work-preserving AM end kills them). */
  long notRunningContainers(ApplicationAttemptId attemptId) {
    FiCaSchedulerApp app = getApplicationAttempt(attemptId);
    return app == null ? 0 : app.getLiveContainers().stream()
        .filter(c -> c.getState() != RMContainerState.RUNNING).count();
  }

  void checkWriteLockHeld(String what) {
    if (!writeLock.isHeldByCurrentThread()) {
      throw new IllegalStateException(what + " needs the scheduler's write lock");
    }
  }

  @Override
  protected void nodeUpdate(RMNode rmNode) {
    readLockGuard.enterReadRegion();
    try {
      super.nodeUpdate(HeldPlacesFilter.withoutHeldCompletions(rmNode, this::holdsPlaceOf));
    } finally {
      readLockGuard.exitReadRegion();
    }
  }

  @Override
  public void handle(SchedulerEvent event) {
    switch (event.getType()) {
      case APP_ADDED -> {
        AppAddedSchedulerEvent added = (AppAddedSchedulerEvent) event;
        if (added.getIsAppRecovering()) {
          // Recovery runs before this service starts: the journal is read at the first recovered application.
          UpdateRecovery recovery = updates().recovery();
          recovery.recover();
          recovery.appRecovered(added.getApplicationId(), adapter.storedAttempts(added.getApplicationId()));
          if (recovery.needsExtraAttempt(added.getApplicationId())) {
            adapter.raiseMaxAttempts(added.getApplicationId());
          }
        }
        super.handle(event);
      }
      case APP_ATTEMPT_REMOVED -> {
        AppAttemptRemovedSchedulerEvent removed = (AppAttemptRemovedSchedulerEvent) event;
        ApplicationAttemptId attemptId = removed.getApplicationAttemptID();
        // A killed application takes its containers along, even in the middle of an update.
        boolean handedOver = updates().isBeingReplaced(attemptId)
            && removed.getFinalAttemptState() != RMAppAttemptState.KILLED;
        if (handedOver && !removed.getKeepContainersAcrossAppAttempts()) {
          event = new AppAttemptRemovedSchedulerEvent(attemptId, removed.getFinalAttemptState(), true);
        }
        FiCaSchedulerApp old = getApplicationAttempt(attemptId);
        updates().attemptEnding(attemptId);
        super.handle(event);
        if (handedOver) {
          userUsage.attemptRemoved(old);
        }
        servedAsks.remove(attemptId);
        awaitedAsks.forget(attemptId);
        amContainersToHandOver.remove(attemptId);
        updates().attemptEnded(attemptId, removed.getFinalAttemptState().name());
      }
      case APP_ATTEMPT_ADDED -> {
        AppAttemptAddedSchedulerEvent added = (AppAttemptAddedSchedulerEvent) event;
        ApplicationAttemptId attemptId = added.getApplicationAttemptId();
        if (added.getIsAttemptRecovering()) {
          super.handle(event);
          attemptRecovered(attemptId);
          return;
        }
        boolean replacement = updates().awaitsNewAttempt(attemptId.getApplicationId());
        if (replacement && !added.getTransferStateFromPreviousAttempt()) {
          event = new AppAttemptAddedSchedulerEvent(attemptId, true, false);
        }
        super.handle(event);
        if (replacement) {
          adapter.newAttemptAdded(attemptId.getApplicationId());
          underWriteLock(() -> {
            userUsage.attemptAdded(getApplicationAttempt(attemptId));
            updates().newAttemptAdded(attemptId, runningWorkers(getApplicationAttempt(attemptId)));
            return null;
          });
        }
      }
      default -> super.handle(event);
    }
  }

  private void attemptRecovered(ApplicationAttemptId attemptId) {
    UpdateRecovery recovery = updates().recovery();
    ContainerId killedAm = recovery.killedAmOf(attemptId);
    if (killedAm != null && recovery.oldAmSeenGone(attemptId.getApplicationId())) {
      adapter.endRecoveredAttempt(attemptId, killedAm, "AM stopped for in-place update");
    } else if (killedAm != null) {
      adapter.rememberKilledAm(killedAm, "AM stopped for in-place update");
    }
    recovery.attemptRecovered(attemptId);
    if (!updates().awaitsNewAttempt(attemptId.getApplicationId())) {
      adapter.newAttemptAdded(attemptId.getApplicationId());
    }
  }

  /**
   * A NodeManager registers with this (restarted or newly active) RM: the containers of updates in flight
   * are pooled again, left to the node's swap or stopped, as the journal says, instead of stock recovery
   * killing the old attempt's containers.
   */
  @Override
  public void recoverContainersOnNode(List<NMContainerStatus> nodeReports, RMNode node) {
    UpdateRecovery recovery = updates().recovery();
    recovery.recover();
    if ((nodeReports == null || nodeReports.isEmpty()) && !recovery.holdsPlacesOn(node.getNodeID())) {
      super.recoverContainersOnNode(nodeReports, node);
      return;
    }
    List<NMContainerStatus> reports = nodeReports == null ? List.of() : nodeReports;
    List<ReportedContainer> reported = new ArrayList<>(reports.size());
    for (NMContainerStatus report : reports) {
      reported.add(new ReportedContainer(report.getContainerId(),
          report.getContainerState() == ContainerState.RUNNING, report.getAllocatedResource()));
    }
    Map<ContainerId, RecoveryRule.Outcome> outcomes = recovery.nodeRecovered(node.getNodeID(), reported);
    List<NMContainerStatus> stock = new ArrayList<>(reports.size());
    List<PooledWorker> repool = new ArrayList<>();
    List<PooledWorker> holdAgain = new ArrayList<>();
    outcomes.forEach((id, outcome) -> {
      if (outcome == RecoveryRule.Outcome.HOLD_AGAIN) {
        holdAgain.add(recovery.journaledPlace(id));
      }
    });
    for (NMContainerStatus report : reports) {
      RecoveryRule.Outcome outcome = outcomes.get(report.getContainerId());
      if (outcome == null) {
        stock.add(adapter.recoveredStatus(report));
        adapter.killAgain(report.getContainerId(), node.getNodeID());
      } else if (outcome == RecoveryRule.Outcome.REPOOL) {
        repool.add(new PooledWorker(report.getContainerId(), node.getNodeID(), report.getAllocatedResource(),
            report.getCreationTime()));
      } else if (outcome == RecoveryRule.Outcome.STOP) {
        adapter.stopOnNode(node.getNodeID(), report.getContainerId());
      }
    }
    Set<ContainerId> onNode = new HashSet<>();
    reports.forEach(r -> onNode.add(r.getContainerId()));
    for (ApplicationAttemptId waiting : recovery.newAttemptsNotYetRegistered()) {
      Container master = adapter.neverLaunchedAm(waiting, node.getNodeID(), onNode);
      if (master != null) {
        recovery.newAmNeverLaunched(waiting, master.getId());
        adapter.raiseMaxAttempts(waiting.getApplicationId());
        adapter.endNeverLaunchedAttempt(waiting, master);
      }
    }
    underWriteLock(() -> {
      super.recoverContainersOnNode(stock, node);
      for (PooledWorker worker : repool) {
        FiCaSchedulerApp current = getCurrentAttemptForContainer(worker.containerId());
        if (current != null && current.getApplicationAttemptId().equals(worker.containerId().getApplicationAttemptId())
            && !current.isStopped()) {
          // The old attempt is still current (its end is being recorded): it keeps the container like any
          // other, and the new attempt's pool takes it over when it is added.
          super.recoverContainersOnNode(List.of(reportOf(reports, worker.containerId())), node);
        } else if (adapter.takeBack(worker)) {
          recovery.repooled(worker);
        } else {
          recovery.notRepooled(worker.containerId(), "the restarted ResourceManager could not charge it to the"
              + " application again (application or node gone, or the node full); its node stops it");
          adapter.stopOnNode(node.getNodeID(), worker.containerId());
        }
      }
      for (PooledWorker place : holdAgain) {
        if (adapter.takeBack(place)) {
          heldPlaces.add(place.containerId());
          recovery.heldAgain(place);
        } else {
          recovery.notRepooled(place.containerId(), "the restarted ResourceManager could not charge its held place"
              + " to the application again (application or node gone, or the node full)");
        }
      }
      for (PooledWorker amPlace : recovery.amPlacesToRecoverOn(node.getNodeID())) {
        recoverAmPlace(recovery, amPlace);
      }
      return null;
    });
  }

  /**
   * Under the write lock, when AM1's node registers with a restarted RM: charges AM1's journaled place to the
   * application again while the new AM still waits for its container, and answers that AM's ask (which the RM made
   * before the node was back, and which waits in the scheduler) from it, so that an application waiting for
   * resources cannot take the place first.
   */
  private void recoverAmPlace(UpdateRecovery recovery, PooledWorker place) {
    FiCaSchedulerApp current = getCurrentAttemptForContainer(place.containerId());
    boolean oldAttemptCurrent = current != null
        && current.getApplicationAttemptId().equals(place.containerId().getApplicationAttemptId());
    if (current == null || current.isStopped()) {
      recovery.amPlaceNotRecovered(place, "the application's attempt was ending when " + place.nodeId()
          + " registered again");
      return;
    }
    if (!oldAttemptCurrent && !current.isWaitingForAMContainer()) {
      recovery.amPlaceNotRecovered(place, null);
      return;
    }
    if (!adapter.takeBackAmPlace(place)) {
      recovery.amPlaceNotRecovered(place, "the restarted ResourceManager could not charge AM1's place on "
          + place.nodeId() + " to the application again (node gone or full)");
      return;
    }
    heldPlaces.add(place.containerId());
    recovery.amPlaceRecovered(place);
    if (!oldAttemptCurrent) {
      // The old attempt has ended: the new one asked for its AM container already and waits in the scheduler.
      ApplicationAttemptId attemptId = current.getApplicationAttemptId();
      List<ResourceRequest> amAsks = adapter.amAsks(attemptId.getApplicationId());
      List<ResourceRequest> rest = serveAmFromHeldPlace(attemptId, amAsks);
      if (rest != null && rest != amAsks) {
        current.updateResourceRequests(rest);
      }
    }
  }

  private static NMContainerStatus reportOf(List<NMContainerStatus> reports, ContainerId id) {
    return reports.stream().filter(r -> r.getContainerId().equals(id)).findFirst().orElseThrow();
  }

  private static List<PooledWorker> runningWorkers(FiCaSchedulerApp app) {
    long now = System.currentTimeMillis();
    List<PooledWorker> workers = new ArrayList<>();
    for (RMContainer container : app.getLiveContainers()) {
      if (container.getState() == RMContainerState.RUNNING && !container.isAMContainer()) {
        workers.add(new PooledWorker(container.getContainerId(), container.getNodeId(),
            container.getAllocatedResource(), now));
      }
    }
    return workers;
  }

  @Override
  public List<Container> getTransferredContainers(ApplicationAttemptId attemptId) {
    List<Container> transferred = super.getTransferredContainers(attemptId);
    Set<ContainerId> pooled = updates().pooledContainers(attemptId.getApplicationId());
    transferred.removeIf(c -> pooled.contains(c.getId()));
    return transferred;
  }

  @Override
  public Allocation allocate(ApplicationAttemptId attemptId, List<ResourceRequest> ask,
      List<SchedulingRequest> schedulingRequests, List<ContainerId> release, List<String> blacklistAdditions,
      List<String> blacklistRemovals, ContainerUpdates updateRequests) {
    RMContainer newAm = amContainersToHandOver.remove(attemptId);
    if (newAm != null) {
      underWriteLock(() -> {
        conversion.handOver(getApplicationAttempt(attemptId), List.of(newAm));
        return null;
      });
    }
    List<ResourceRequest> rest = awaitedAsks.withRemembered(attemptId, withoutServedCounts(attemptId, ask));
    if (!rest.isEmpty() && (updates().hasPool(attemptId) || updates().amPlace().waitsFor(attemptId))) {
      rest = serveFromPool(attemptId, rest);
      // Journaled before the new attempt receives them (this call's response), out of the write lock.
      updates().conversionsDone(attemptId);
    }
    if (!rest.isEmpty()) {
      // Nothing is remembered for an attempt whose asks are empty here: remembered asks were added to them.
      rest = awaitedAsks.holdBack(attemptId, rest, updates().awaitedWorkers(attemptId));
    }
    return super.allocate(attemptId, rest, withoutReservedTags(attemptId, schedulingRequests), release,
        blacklistAdditions, blacklistRemovals, updateRequests);
  }

  /**
   * Converts pooled containers for the asks they answer, {@code conversionsPerLock} at a time (whole nodes) under
   * one hold of the write lock each, so that node heartbeats and other applications' calls get the lock in between;
   * returns the asks reduced by what was served.
   */
  private List<ResourceRequest> serveFromPool(ApplicationAttemptId attemptId, List<ResourceRequest> ask) {
    ConversionTimings.AllocateHolds holds = ConversionTimings.instance().allocate();
    // Wall-clock time: every node of the call compares it with its own clock.
    long swapAt = swapAlignmentMs > 0 ? System.currentTimeMillis() + swapAlignmentMs : 0;
    List<ResourceRequest> amServed = underWriteLock(() -> holds.held(() -> serveAmFromHeldPlace(attemptId, ask)));
    if (amServed != null) {
      holds.done();
      return amServed;
    }
    Map<ResourceRequest, Integer> served = new IdentityHashMap<>();
    List<RMContainer> converted = new ArrayList<>();
    boolean again = serveRound(attemptId, ask, served, swapAt, holds, true, converted);
    while (again) {
      again = serveRound(attemptId, ask, served, swapAt, holds, false, converted);
    }
    if (!converted.isEmpty()) {
      List<RMContainer> inTurn = HandOverOrder.interleaved(converted, RMContainer::getNodeId);
      underWriteLock(() -> holds.held(() -> {
        FiCaSchedulerApp app = liveAttempt(attemptId);
        if (app != null) {
          conversion.handOver(app, inTurn);
        }
        return null;
      }));
    }
    holds.done();
    if (served.isEmpty()) {
      return ask;
    }
    ServedAsks<AskKey, ResourceRequest> ledger = servedAsks.computeIfAbsent(attemptId, id -> new ServedAsks<>());
    List<ResourceRequest> rest = new ArrayList<>(ask.size());
    for (ResourceRequest request : ask) {
      int count = served.getOrDefault(request, 0);
      if (count == 0) {
        rest.add(request);
      } else {
        ledger.served(AskKey.of(request), request, request.getNumContainers(), count);
        rest.add(AskKey.withCount(request, request.getNumContainers() - count));
      }
    }
    return rest;
  }

  /**
   * Matches the pool once (out of the write lock) against what is still asked, then claims and converts the plan in
   * parts, adding the new containers to {@code converted}. Returns whether to match again: only when part of the
   * plan could not be converted (an old container ended, a release came between two parts), since other pooled
   * workers may answer those asks.
   *
   * @param first the first round claims even when nothing matches: the claim records that the new attempt asks
   */
  private boolean serveRound(ApplicationAttemptId attemptId, List<ResourceRequest> ask,
      Map<ResourceRequest, Integer> served, long swapAt, ConversionTimings.AllocateHolds holds, boolean first,
      List<RMContainer> converted) {
    Map<WorkerAsk, ResourceRequest> requestOf = new IdentityHashMap<>();
    List<WorkerAsk> asks = workerAsks(ask, served, requestOf);
    List<PoolMatch> plan = asks.isEmpty() ? List.of() : updates().plan(attemptId, asks);
    FiCaSchedulerApp app = liveAttempt(attemptId);
    if (app == null || asks.isEmpty() || plan.isEmpty() && !first) {
      return false;
    }
    int convertedBefore = converted.size();
    for (List<PoolMatch> part : plan.isEmpty() ? List.of(plan) : PoolMatcher.inParts(plan, conversionsPerLock)) {
      Map<PooledWorker, ContainerConversion.Prepared> prepared = holds.outOfLock(() -> prepare(app, part,
          requestOf));
      List<Conversion> inPart = underWriteLock(() -> holds.held(() -> convertPart(attemptId, part, prepared,
          requestOf, served)));
      if (inPart == null) {
        return false;
      }
      holds.outOfLock(() -> {
        for (Conversion done : inPart) {
          updates().recordConversion(done.match(), done.converted().c3().getContainerId(), done.nanos(), swapAt);
        }
        conversion.finish(app, inPart.stream().map(Conversion::converted).toList(), swapAt);
        return null;
      });
      inPart.forEach(done -> converted.add(done.converted().c3()));
    }
    int convertedNow = converted.size() - convertedBefore;
    return convertedNow > 0 && convertedNow < plan.size();
  }

  /** Out of the write lock: a new container for each planned worker of the part that still runs. */
  private Map<PooledWorker, ContainerConversion.Prepared> prepare(FiCaSchedulerApp app, List<PoolMatch> part,
      Map<WorkerAsk, ResourceRequest> requestOf) {
    Map<PooledWorker, ContainerConversion.Prepared> prepared = new IdentityHashMap<>();
    Map<ResourceRequest, SchedulerRequestKey> keys = new IdentityHashMap<>();
    String by = "attempt " + app.getApplicationAttemptId();
    for (PoolMatch match : part) {
      ContainerConversion.Prepared c3 = conversion.prepare(app, match.worker().containerId(),
          keys.computeIfAbsent(requestOf.get(match.ask()), SchedulerRequestKey::create), by, null);
      if (c3 != null) {
        prepared.put(match.worker(), c3);
      }
    }
    return prepared;
  }

  /**
   * The AM's asks that pooled workers can answer (GUARANTEED, any location), less what was {@code served}, each
   * mapped to its request in {@code requestOf}.
   */
  private List<WorkerAsk> workerAsks(List<ResourceRequest> ask, Map<ResourceRequest, Integer> served,
      Map<WorkerAsk, ResourceRequest> requestOf) {
    List<WorkerAsk> asks = new ArrayList<>();
    Resource maximum = getMaximumResourceCapability();
    for (ResourceRequest request : ask) {
      int wanted = request.getNumContainers() - served.getOrDefault(request, 0);
      if (ResourceRequest.isAnyLocation(request.getResourceName()) && wanted > 0
          && request.getExecutionTypeRequest().getExecutionType() == ExecutionType.GUARANTEED) {
        // Pooled containers have the normalized size the scheduler gave them: compare with the ask as the
        // scheduler will normalize it (super.allocate does that only after the pool has served).
        WorkerAsk workerAsk = new WorkerAsk(request.getPriority(), request.getAllocationRequestId(),
            getNormalizedResource(request.getCapability(), maximum), wanted, onlyNodes(request, ask));
        asks.add(workerAsk);
        requestOf.put(workerAsk, request);
      }
    }
    return asks;
  }

  /** A worker converted under a hold of the write lock, and how long its conversion took. */
  private record Conversion(PoolMatch match, ContainerConversion.Converted converted, long nanos) {
  }

  /**
   * Under the write lock: claims the planned part's workers still pooled and converts them into their prepared
   * containers; returns the conversions, or null when the attempt is no longer the application's live one (the rest
   * of the plan stays pooled).
   */
  private List<Conversion> convertPart(ApplicationAttemptId attemptId, List<PoolMatch> part,
      Map<PooledWorker, ContainerConversion.Prepared> prepared, Map<WorkerAsk, ResourceRequest> requestOf,
      Map<ResourceRequest, Integer> served) {
    FiCaSchedulerApp app = liveAttempt(attemptId);
    if (app == null) {
      return null;
    }
    List<PoolMatch> matches = updates().claim(attemptId, part);
    List<Conversion> converted = new ArrayList<>(matches.size());
    for (PoolMatch match : matches) {
      long started = System.nanoTime();
      ContainerConversion.Prepared c3 = prepared.get(match.worker());
      ContainerConversion.Converted done = c3 == null ? null : conversion.convert(app, c3);
      if (done == null) {
        updates().conversionFailed(match, "the container ended before it could be converted");
        continue;
      }
      long nanos = System.nanoTime() - started;
      updates().converted(match, done.c3().getContainerId());
      heldPlaces.remove(match.worker().containerId());
      converted.add(new Conversion(match, done, nanos));
      served.merge(requestOf.get(match.ask()), 1, Integer::sum);
    }
    return converted;
  }

  /** The attempt's scheduler app while it is the application's current, running attempt; else null. */
  private FiCaSchedulerApp liveAttempt(ApplicationAttemptId attemptId) {
    FiCaSchedulerApp app = getApplicationAttempt(attemptId);
    return app == null || app.isStopped() || !app.getApplicationAttemptId().equals(attemptId) ? null : app;
  }

  /**
   * Under the write lock. The RM itself asks for the new attempt's AM container through allocate: only AM1's place
   * serves it.
   *
   * @return the asks reduced by what AM1's place served, or null when the attempt does not wait for its AM
   *     container (its asks are for workers)
   */
  private List<ResourceRequest> serveAmFromHeldPlace(ApplicationAttemptId attemptId, List<ResourceRequest> ask) {
    FiCaSchedulerApp app = liveAttempt(attemptId);
    if (app == null) {
      return ask;
    }
    if (!app.isWaitingForAMContainer()) {
      return null;
    }
    ResourceRequest amAsk = ask.stream().filter(r -> ResourceRequest.isAnyLocation(r.getResourceName())
        && r.getNumContainers() > 0).findFirst().orElse(null);
    if (amAsk == null) {
      return ask;
    }
    PooledWorker place = updates().amPlace().claim(attemptId);
    if (place == null) {
      return ask;
    }
    Resource asked = getNormalizedResource(amAsk.getCapability(), getMaximumResourceCapability());
    FiCaSchedulerNode node = getNode(place.nodeId());
    if (node == null || !Resources.fitsIn(getResourceCalculator(), asked,
        Resources.add(node.getUnallocatedResource(), place.resource()))) {
      updates().amPlace().notUsed(place, "the new AM asks for " + asked + "; AM1's place on " + place.nodeId()
          + " has " + place.resource() + (node == null ? " and the node is gone" : " and the node has only "
          + node.getUnallocatedResource() + " more free"));
      return ask;
    }
    // One container: prepared and finished under this hold too.
    ContainerConversion.Prepared prepared = conversion.prepare(app, place.containerId(),
        SchedulerRequestKey.create(amAsk), "attempt " + attemptId, asked);
    ContainerConversion.Converted converted = prepared == null ? null : conversion.convert(app, prepared);
    if (converted == null) {
      updates().amPlace().notUsed(place, "AM1's container ended before the new AM's could take its place");
      return ask;
    }
    conversion.finish(app, List.of(converted), 0);
    RMContainer am = converted.c3();
    // Not in this call's response: the RM's own AM ask (RMAppAttemptImpl.ScheduleTransition) expects none there and
    // takes the container at its next allocate, once the container's START told the attempt it is allocated.
    amContainersToHandOver.put(attemptId, am);
    updates().amPlace().taken(place, am.getContainerId(), asked);
    List<ResourceRequest> rest = new ArrayList<>(ask.size());
    for (ResourceRequest request : ask) {
      rest.add(request == amAsk ? AskKey.withCount(request, request.getNumContainers() - 1) : request);
    }
    return rest;
  }

  /**
   * The AM's stale counts for asks the pool served are not new demand, and what that correction took off too much is
   * asked for again once the AM's count has settled (see {@link ServedAsks}).
   */
  private List<ResourceRequest> withoutServedCounts(ApplicationAttemptId attemptId, List<ResourceRequest> ask) {
    ServedAsks<AskKey, ResourceRequest> ledger = servedAsks.get(attemptId);
    if (ledger == null) {
      return ask;
    }
    // ApplicationMasterService serializes the allocate calls of one attempt.
    List<ResourceRequest> adjusted = new ArrayList<>(ask.size());
    for (ResourceRequest request : ask) {
      int count = ResourceRequest.isAnyLocation(request.getResourceName())
          ? ledger.adjust(AskKey.of(request), request, request.getNumContainers()) : request.getNumContainers();
      adjusted.add(count == request.getNumContainers() ? request : AskKey.withCount(request, count));
    }
    for (ServedAsks.AskAgain<ResourceRequest> again : ledger.settled()) {
      LOG.info("{} waits for {} container(s) of priority {} and size {}: its count settled there, above what the"
          + " correction of its stale counts left; asked again", attemptId, again.count(),
          again.ask().getPriority(), again.ask().getCapability());
      adjusted.add(AskKey.withCount(again.ask(), again.count()));
    }
    return adjusted;
  }

  /** Hosts an ANY ask is restricted to (when it does not relax locality), else empty. */
  private static Set<String> onlyNodes(ResourceRequest any, List<ResourceRequest> ask) {
    if (any.getRelaxLocality()) {
      return Set.of();
    }
    Set<String> hosts = new HashSet<>();
    for (ResourceRequest r : ask) {
      if (r.getPriority().equals(any.getPriority()) && r.getAllocationRequestId() == any.getAllocationRequestId()
          && !ResourceRequest.isAnyLocation(r.getResourceName()) && r.getNumContainers() > 0) {
        hosts.add(r.getResourceName());
      }
    }
    return hosts;
  }

  /** Only the RM may mark a container as a replacement: drop the Worker Pool's tag namespace from AM asks. */
  private static List<SchedulingRequest> withoutReservedTags(ApplicationAttemptId attemptId,
      List<SchedulingRequest> requests) {
    if (requests == null) {
      return null;
    }
    for (SchedulingRequest request : requests) {
      Set<String> tags = request.getAllocationTags();
      if (tags != null && tags.stream().anyMatch(t -> t.startsWith(ReplacementContract.TAG_NAMESPACE))) {
        Set<String> allowed = new HashSet<>(tags);
        allowed.removeIf(t -> t.startsWith(ReplacementContract.TAG_NAMESPACE));
        LOG.warn("{} asked for reserved allocation tags {}; they were removed", attemptId, tags);
        request.setAllocationTags(allowed);
      }
    }
    return requests;
  }

  /**
   * A node reports a container complete: when the pool holds its place (AM1's, or a pooled worker's), the
   * scheduler never sees the completion, so node, queue and application stay charged (nothing is mutated here).
   */
  private boolean holdsPlaceOf(ContainerStatus reported) {
    RMContainer rmContainer = getRMContainer(reported.getContainerId());
    if (rmContainer == null || !updates().holdPlace(rmContainer.getContainerId(), rmContainer.getNodeId(),
        rmContainer.getAllocatedResource(), reported.getExitStatus(), reported.getDiagnostics())) {
      return false;
    }
    heldPlaces.add(rmContainer.getContainerId());
    if (rmContainer.isAMContainer()) {
      ContainerStatus status = adapter.completedStatus(rmContainer, reported);
      if (pauseAfterAmPlaceHeldMs > 0) {
        CompletableFuture.delayedExecutor(pauseAfterAmPlaceHeldMs, TimeUnit.MILLISECONDS)
            .execute(() -> adapter.endAttemptOfHeldAm(rmContainer, status));
      } else {
        adapter.endAttemptOfHeldAm(rmContainer, status);
      }
    }
    return true;
  }

  @Override
  public void completedContainer(RMContainer rmContainer, ContainerStatus reported, RMContainerEventType event) {
    ContainerStatus status = adapter.completedStatus(rmContainer, reported);
    super.completedContainer(rmContainer, status, event);
    if (rmContainer == null) {
      // The NM reports the end of a container the RM has already let go of: a replaced C1.
      updates().containerCompleted(status.getContainerId(), status.getExitStatus(), status.getDiagnostics());
    }
  }

  @Override
  protected void completedContainerInternal(RMContainer rmContainer, ContainerStatus status,
      RMContainerEventType event) {
    super.completedContainerInternal(rmContainer, status, event);
    if (heldPlaces.remove(rmContainer.getContainerId())) {
      // The stock release waits for the node to report the container's end, which it did before the place was held.
      FiCaSchedulerNode node = getNode(rmContainer.getNodeId());
      if (node != null) {
        node.releaseContainer(rmContainer.getContainerId(), true);
      }
    }
    if (event != RMContainerEventType.FINISHED || status.getExitStatus() != ReplacementContract.REPLACED_EXIT_STATUS) {
      updates().containerCompleted(rmContainer.getContainerId(), status.getExitStatus(), status.getDiagnostics());
    }
  }
}
