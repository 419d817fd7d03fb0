package io.workerpool.it.bench;

import io.workerpool.it.restart.RestartResult;
import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdateStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One restart as the benchmark reports it (see {@link RestartResult} for what each value means);
 * null where a value does not exist for the method.
 *
 * @param updatePhasesMs in place only: each phase of the update → ms after the update was accepted
 * @param cpuBusyPercent how busy the machine's CPUs were while the restart was measured (all processes); -1 if
 *     unknown
 */
public record RestartRow(String method, int workers, Long downtimeMs, long amBackMs, Long workerGapMedianMs,
    Long workerGapMaxMs, long bytesDownloaded, long unchangedBytesDownloaded, long cacheMissBytesCounted,
    Map<String, Long> updatePhasesMs, int cpuBusyPercent) {

  static RestartRow of(RestartResult r, int cpuBusyPercent) {
    return new RestartRow(r.method(), r.workers(), r.downtimeMs() < 0 ? null : r.downtimeMs(), r.amBackMs(),
        r.workerGapMs().present() ? r.workerGapMs().median() : null,
        r.workerGapMs().present() ? r.workerGapMs().max() : null,
        r.bytesDownloaded(), r.unchangedBytesDownloaded(), r.cacheMissBytesCounted(), phases(r.update()),
        cpuBusyPercent);
  }

  private static Map<String, Long> phases(UpdateStatus update) {
    if (update == null || update.getPhaseTimesCount() == 0) {
      return null;
    }
    long accepted = update.getPhaseTimes(0).getEnteredAtMs();
    Map<String, Long> phases = new LinkedHashMap<>();
    for (PhaseTime phase : update.getPhaseTimesList()) {
      phases.put(phase.getPhase().name(), phase.getEnteredAtMs() - accepted);
    }
    return phases;
  }
}
