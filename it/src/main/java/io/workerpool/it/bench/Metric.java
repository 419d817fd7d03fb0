package io.workerpool.it.bench;

/**
 * One number of the benchmark as a row of results.csv.
 *
 * @param section {@code restart}, {@code swap-gap} or {@code conversion}
 * @param method what was measured, e.g. the restart method
 * @param size the size it was measured at: workers (restart, swap-gap) or pooled containers (conversion)
 */
public record Metric(String section, String method, int size, String metric, double value, String unit) {
}
