package io.workerpool.it.restart;

import io.workerpool.proto.UpdateStatus;

/**
 * One measured restart of the test application, from the workers' own heartbeats and the
 * NodeManagers' counters.
 *
 * @param method how the application was restarted
 * @param workers workers of the application
 * @param downtimeMs first old worker's last heartbeat → every new-version worker heartbeating; -1 when
 *     the restart cannot change the workers' version (work-preserving AM restart)
 * @param medianGapMs per worker, its last old heartbeat → its replacement's first (in place only, else -1)
 * @param maxGapMs the largest of those gaps; for a work-preserving restart, the largest heartbeat pause
 * @param bytesDownloaded bytes all NodeManagers downloaded during the restart (localization cache misses)
 * @param bareStartMedianMs per fresh worker, NM start accepted → first heartbeat minus its localization time
 *     (kill + resubmit only, else -1)
 * @param amBackMs restart begun → the new AM reports it runs
 * @param update the Worker Pool's record of the update (in place only, else null)
 */
public record RestartResult(String method, int workers, long downtimeMs, long medianGapMs, long maxGapMs,
    long bytesDownloaded, long bareStartMedianMs, long amBackMs, UpdateStatus update) {

  public static final String IN_PLACE = "in-place update";
  public static final String KILL_RESUBMIT = "kill + resubmit";
  public static final String WORK_PRESERVING = "work-preserving AM restart";
}
