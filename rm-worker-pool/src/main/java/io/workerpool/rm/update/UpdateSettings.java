package io.workerpool.rm.update;

/**
 * The limits an update runs under.
 *
 * @param claimTimeoutMs how long the new attempt has to claim pooled workers before they are released
 * @param earlyExitWindowMs a new container that ends this soon after replacing the old one is recorded as such
 * @param historySize finished updates kept for status queries
 */
public record UpdateSettings(long claimTimeoutMs, long earlyExitWindowMs, int historySize) {
}
