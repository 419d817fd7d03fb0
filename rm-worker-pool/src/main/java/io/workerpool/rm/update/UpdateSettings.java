package io.workerpool.rm.update;

/**
 * The limits an update runs under.
 *
 * @param claimTimeoutMs how long the new attempt has to claim pooled workers before they are released
 * @param earlyExitWindowMs a new container that ends this soon after replacing the old one is recorded as such
 * @param historySize finished updates kept for status queries
 * @param amStopTimeoutMs how long the old AM's node has to report it gone before the RM ends the attempt itself
 * @param pauseBeforeAmEndMs tests only: how long an update waits between storing the new launch context and
 *     ending the old AM (the window in which an RM that dies leaves the new context stored and AM1 running)
 */
public record UpdateSettings(long claimTimeoutMs, long earlyExitWindowMs, int historySize, long amStopTimeoutMs,
    long pauseBeforeAmEndMs) {

  public UpdateSettings(long claimTimeoutMs, long earlyExitWindowMs, int historySize, long amStopTimeoutMs) {
    this(claimTimeoutMs, earlyExitWindowMs, historySize, amStopTimeoutMs, 0);
  }
}
