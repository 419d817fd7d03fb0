package io.workerpool.it.restart;

import io.workerpool.it.app.ReportDir;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import io.workerpool.it.app.WorkerReport;
import io.workerpool.it.cluster.LocalizedFiles;
import io.workerpool.it.cluster.NodeMetrics;
import io.workerpool.it.cluster.UpdateFixture;
import io.workerpool.it.restart.RestartResult.Spread;
import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdatePhase;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;

/**
 * Restarts the test application as a new version in the three ways an operator can, and
 * measures each from the workers' own reports: in place (Worker Pool), kill + resubmit, and
 * YARN's own work-preserving AM restart (which keeps the workers but cannot change them).
 */
public final class Restarts {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  /** Times come from the workers' and AMs' own reports; polling only decides when to read them. */
  private static final long POLL_MS = 250;

  private final UpdateFixture fixture;
  private final int nodeManagers;
  private final int workerMb;

  /** The application as it runs now: its attempt and its workers (possibly of an earlier attempt). */
  public record Running(ApplicationId appId, ApplicationAttemptId attempt, List<WorkerReport> workers) {
  }

  /** A restart's measurement and what runs after it. */
  public record Restarted(RestartResult result, Running running) {
  }

  /** What the NodeManagers had downloaded when a restart began. */
  private record Downloads(LocalizedFiles files, long cacheMissBytes) {
  }

  public Restarts(UpdateFixture fixture, int nodeManagers, int workerMb) {
    this.fixture = fixture;
    this.nodeManagers = nodeManagers;
    this.workerMb = workerMb;
  }

  /** Submits {@code version} with {@code workers} workers (containers kept across attempts) and waits until they run. */
  public Running submit(String name, String version, int workers) throws Exception {
    ApplicationId appId = app().submit(fixture.cluster().client(), version, workers, workerMb,
        SubmitOptions.defaults(name).keepContainers(true).maxAttempts(4));
    ApplicationAttemptId attempt = ApplicationAttemptId.newInstance(appId, 1);
    return new Running(appId, attempt, awaitWorkers(attempt, workers));
  }

  public Restarted inPlace(Running running, String version, Consumer<UpdateEvent> progress) throws Exception {
    int workers = running.workers().size();
    Downloads before = downloads();
    long start = System.currentTimeMillis();
    UpdateStatus status = fixture.client().updateApplication(running.appId(),
        app().amLaunchContext(version, workers, workerMb)).await(TIMEOUT, progress);
    if (status.getPhase() != UpdatePhase.SUCCEEDED) {
      throw new IllegalStateException("update ended " + status.getPhase() + ": " + status.getDiagnostics());
    }
    ApplicationAttemptId next = ApplicationAttemptId.fromString(status.getNewAttemptId());
    List<WorkerReport> fresh = awaitWorkers(next, workers);
    List<WorkerReport> old = reread(running.workers());
    RestartResult result = measured(RestartResult.IN_PLACE, workers, downtime(old, fresh), amStarted(next) - start,
        Spread.of(gaps(status, old, fresh)), before, Spread.NONE, status);
    return new Restarted(result, new Running(running.appId(), next, fresh));
  }

  public Restarted killAndResubmit(Running running, String name, String version) throws Exception {
    int workers = running.workers().size();
    Downloads before = downloads();
    long start = System.currentTimeMillis();
    fixture.cluster().client().killApplication(running.appId());
    ApplicationId appId = app().submit(fixture.cluster().client(), version, workers, workerMb,
        SubmitOptions.defaults(name).keepContainers(true).maxAttempts(4));
    ApplicationAttemptId attempt = ApplicationAttemptId.newInstance(appId, 1);
    List<WorkerReport> fresh = awaitWorkers(attempt, workers);
    List<WorkerReport> old = reread(running.workers());
    List<Long> bareStarts = new ArrayList<>();
    for (WorkerReport worker : fresh) {
      long started = lineTime(attempt, "started " + worker.containerId()).orElseThrow(
          () -> new IllegalStateException("the AM did not report starting " + worker.containerId()));
      bareStarts.add(worker.firstHeartbeatMs() - started - worker.localizationMillis());
    }
    RestartResult result = measured(RestartResult.KILL_RESUBMIT, workers, downtime(old, fresh),
        amStarted(attempt) - start, Spread.NONE, before, Spread.of(bareStarts), null);
    return new Restarted(result, new Running(appId, attempt, fresh));
  }

  /** Crashes the AM; YARN starts the next attempt, which adopts the running workers unchanged. */
  public Restarted workPreservingAmRestart(Running running) throws Exception {
    Downloads before = downloads();
    long start = System.currentTimeMillis();
    app().crashAttempt(running.attempt().toString());
    ApplicationAttemptId next = ApplicationAttemptId.newInstance(running.appId(),
        running.attempt().getAttemptId() + 1);
    long amBack = amStarted(next) - start;
    awaitAdopted(next, running.workers().size());
    long end = System.currentTimeMillis();
    List<WorkerReport> workers = reread(running.workers());
    List<Long> pauses = new ArrayList<>();
    for (WorkerReport worker : workers) {
      pauses.add(longestPause(report().heartbeats(worker.containerId()), start, end));
    }
    RestartResult result = measured(RestartResult.WORK_PRESERVING, workers.size(), -1, amBack, Spread.of(pauses),
        before, Spread.NONE, null);
    return new Restarted(result, new Running(running.appId(), next, workers));
  }

  /** Kills the application and waits until its workers are gone. */
  public void stop(Running running) throws Exception {
    fixture.cluster().client().killApplication(running.appId());
    Set<String> ids = running.workers().stream().map(WorkerReport::containerId).collect(Collectors.toSet());
    poll("the workers of " + running.appId() + " to stop",
        () -> report().workers(ids::contains).stream().allMatch(WorkerReport::stopped));
  }

  private RestartResult measured(String method, int workers, long downtimeMs, long amBackMs, Spread workerGapMs,
      Downloads before, Spread bareStartMs, UpdateStatus update) throws Exception {
    Downloads after = downloads();
    return new RestartResult(method, workers, downtimeMs, amBackMs, workerGapMs,
        after.files().bytesAddedSince(before.files(), name -> true),
        after.files().bytesAddedSince(before.files(), TestApplication.SHARED_FILES::contains),
        after.cacheMissBytes() - before.cacheMissBytes(), bareStartMs, update);
  }

  private TestApplication app() {
    return fixture.app();
  }

  private ReportDir report() {
    return fixture.cluster().report();
  }

  private Downloads downloads() throws Exception {
    return new Downloads(LocalizedFiles.snapshot(fixture.cluster().yarn(), nodeManagers),
        NodeMetrics.cacheMissBytes(fixture.cluster().yarn(), nodeManagers));
  }

  private Optional<Long> lineTime(ApplicationAttemptId attempt, String line) {
    try {
      return report().amLineTime(attempt.toString(), line);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private long amStarted(ApplicationAttemptId attempt) throws Exception {
    poll(attempt + "'s AM to start", () -> lineTime(attempt, "start ").isPresent());
    return lineTime(attempt, "start ").orElseThrow();
  }

  private void awaitAdopted(ApplicationAttemptId attempt, int workers) throws Exception {
    poll(attempt + " to adopt " + workers + " workers", () -> report().amLines(attempt.toString()).stream()
        .filter(l -> l.startsWith("previous ")).count() == workers);
  }

  private List<WorkerReport> awaitWorkers(ApplicationAttemptId attempt, int workers) throws Exception {
    poll(workers + " workers of " + attempt + " to run", () -> report().running(attempt).size() >= workers);
    return report().running(attempt);
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void poll(String what, Check check) throws Exception {
    long deadline = System.currentTimeMillis() + TIMEOUT.toMillis();
    while (!check.holds()) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("gave up waiting for " + what + " after " + TIMEOUT.toMinutes() + " min");
      }
      Thread.sleep(POLL_MS);
    }
  }

  /** The same workers' reports as they stand now (their last heartbeat has moved on). */
  private List<WorkerReport> reread(List<WorkerReport> workers) throws Exception {
    Set<String> ids = workers.stream().map(WorkerReport::containerId).collect(Collectors.toSet());
    return report().workers(ids::contains);
  }

  /** First old worker's last heartbeat → every new worker heartbeating. */
  private static long downtime(List<WorkerReport> old, List<WorkerReport> fresh) {
    long firstOldSilent = old.stream().mapToLong(WorkerReport::lastHeartbeatMs).min().orElseThrow();
    long allNewBeating = fresh.stream().mapToLong(WorkerReport::firstHeartbeatMs).max().orElseThrow();
    return allNewBeating - firstOldSilent;
  }

  /** Per worker: the old container's last heartbeat to its replacement's first. */
  private static List<Long> gaps(UpdateStatus status, List<WorkerReport> old, List<WorkerReport> fresh) {
    Map<String, WorkerReport> byId = new HashMap<>();
    old.forEach(w -> byId.put(w.containerId(), w));
    fresh.forEach(w -> byId.put(w.containerId(), w));
    List<Long> gaps = new ArrayList<>();
    for (WorkerRecord record : status.getWorkersList()) {
      WorkerReport before = byId.get(record.getOldContainerId());
      WorkerReport after = byId.get(record.getNewContainerId());
      if (before != null && after != null) {
        gaps.add(after.firstHeartbeatMs() - before.lastHeartbeatMs());
      }
    }
    return gaps;
  }

  /** The longest time between two heartbeats that overlaps [from, to]. */
  static long longestPause(List<Long> heartbeats, long from, long to) {
    long longest = 0;
    for (int i = 1; i < heartbeats.size(); i++) {
      long previous = heartbeats.get(i - 1);
      long next = heartbeats.get(i);
      if (next >= from && previous <= to) {
        longest = Math.max(longest, next - previous);
      }
    }
    return longest;
  }
}
