package io.workerpool.it.bench;

import io.workerpool.it.restart.RestartResult;

/**
 * Per-worker cost of an in-place swap next to a bare worker start, at one worker count.
 *
 * @param swapGapMedianMs in place, per worker: its last old heartbeat → its replacement's first (median)
 * @param bareStartMedianMs kill + resubmit, per fresh worker: NM start accepted → first heartbeat, minus its
 *     localization time (median)
 */
public record SwapGapRow(int workers, long swapGapMedianMs, long swapGapMaxMs, long bareStartMedianMs,
    long bareStartMaxMs) {

  static SwapGapRow of(RestartResult inPlace, RestartResult killAndResubmit) {
    return new SwapGapRow(inPlace.workers(), inPlace.workerGapMs().median(), inPlace.workerGapMs().max(),
        killAndResubmit.bareStartMs().median(), killAndResubmit.bareStartMs().max());
  }
}
