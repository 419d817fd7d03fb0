package io.workerpool.it.restart;

import io.workerpool.proto.UpdateStatus;
import java.util.List;

/**
 * One measured restart of the test application, from the workers' own heartbeats and the
 * NodeManagers' caches and counters.
 *
 * @param method how the application was restarted
 * @param workers workers of the application
 * @param downtimeMs first old worker's last heartbeat → every new-version worker heartbeating; -1 when
 *     the restart cannot change the workers' version (work-preserving AM restart)
 * @param amBackMs restart begun → the new AM registered
 * @param workerGapMs in place: per worker, its last old heartbeat → its replacement's first; work-preserving
 *     AM restart: per worker, its longest heartbeat pause during the restart; kill + resubmit: none (old and
 *     new workers are not paired)
 * @param bytesDownloaded bytes of the files that appeared in the NodeManagers' localization caches during the
 *     restart: what they really downloaded
 * @param unchangedBytesDownloaded the part of {@code bytesDownloaded} that the previous version had too
 *     (the image and the worker script; not the version file)
 * @param cacheMissBytesCounted the NodeManagers' LocalizedCacheMissBytes counter over the restart: it counts a
 *     download once per container that waited for it
 * @param bareStartMs per fresh worker, NM start accepted → first heartbeat minus its localization time
 *     (kill + resubmit only, else none)
 * @param update the Worker Pool's record of the update (in place only, else null)
 */
public record RestartResult(String method, int workers, long downtimeMs, long amBackMs, Spread workerGapMs,
    long bytesDownloaded, long unchangedBytesDownloaded, long cacheMissBytesCounted, Spread bareStartMs,
    UpdateStatus update) {

  public static final String IN_PLACE = "in-place update";
  public static final String KILL_RESUBMIT = "kill + resubmit";
  public static final String WORK_PRESERVING = "work-preserving AM restart";

  /** Median and largest of per-worker values in ms; -1 for both when there are none. */
  public record Spread(long median, long max) {
    public static final Spread NONE = new Spread(-1, -1);

    public static Spread of(List<Long> values) {
      if (values.isEmpty()) {
        return NONE;
      }
      List<Long> sorted = values.stream().sorted().toList();
      return new Spread(sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1));
    }

    public boolean present() {
      return median >= 0;
    }
  }
}
