package io.workerpool.it.bench;

import java.io.PrintStream;

/**
 * One run of the conversion benchmark. Times are in nanoseconds.
 *
 * @param asyncScheduling whether the CapacityScheduler allocated in its own threads (then only
 *     {@code scheduleWallNanos} is measured; the other schedule* values are -1 or 0)
 * @param loadAverageAtStart the machine's one-minute load average when the run started (and at its end)
 * @param convertMedianNanos median of the per-container conversion times the RM recorded
 *     ({@code conversion_nanos} of each worker record: {@code ContainerConversion.convert} under the
 *     scheduler's write lock)
 * @param convertCallNanos AM2's single allocate call that asked for every container and received
 *     them all converted: pool matching, conversions, update bookkeeping, tokens and the response
 * @param convertCallCpuNanos the CPU time of that call's thread (the RM's work, without waiting for a core)
 * @param longestLockHoldNanos in that call, the longest single hold of the scheduler's write lock by the pool's
 *     work (a large call is served in several holds; {@code ConversionTimings}, recorded by the RM)
 * @param outOfLockNanos the conversion work out of the write lock (new containers prepared, old ones completed, new
 *     ones started with their tokens' allocation tags), all together
 * @param lockHoldNanos the write-lock holds of the pool's work in that call, all together
 * @param batchTagged converted containers whose RM-signed token names a batch of as many containers as AM2 got
 *     on that node
 * @param poolFormationNanos the scheduler's handling of the new attempt's APP_ATTEMPT_ADDED, in
 *     which every running worker is pooled
 * @param scheduleMedianNanos median per-container time of normal CapacityScheduler allocation:
 *     each node heartbeat's scheduler time (NODE_UPDATE) divided among the containers it placed
 * @param scheduleCpuMedianNanos the same with the CPU time of the scheduler's thread during each heartbeat
 * @param scheduleNodeUpdateNanos total scheduler time of the node heartbeats that placed containers
 * @param scheduleNodeUpdateCpuNanos their CPU time
 * @param scheduleHeartbeats node heartbeats that placed at least one container
 * @param scheduleWallNanos from AM1's ask until AM1 pulled every container, heartbeat rounds included
 * @param convertedContainers containers of the new attempt in AM2's allocate response
 * @param sameNodes AM2's containers are on exactly the nodes (with the same count per node) of AM1's
 * @param replacedWorkers worker records REPLACED once the nodes reported the swaps
 * @param finalPhase the update's phase at the end
 * @param usageBefore the scheduler's accounting with AM1 and every worker running
 * @param usageBeforeConversion the same once AM2 replaced AM1 and registered, the workers pooled
 * @param usageAfterConversion the same once AM2 received every converted container
 * @param usageAfterSwaps the same once the nodes reported every old container replaced
 */
public record ConversionResult(int containers, int nodes, boolean asyncScheduling,
    double loadAverageAtStart, double loadAverageAtEnd,
    long convertMedianNanos, long convertP99Nanos, long convertMaxNanos, long convertCallNanos,
    long convertCallCpuNanos, long longestLockHoldNanos, long outOfLockNanos, long lockHoldNanos,
    int batchTagged, long poolFormationNanos,
    long scheduleMedianNanos, long scheduleP99Nanos, long scheduleMaxNanos,
    long scheduleCpuMedianNanos, long scheduleCpuP99Nanos, long scheduleNodeUpdateNanos,
    long scheduleNodeUpdateCpuNanos, int scheduleHeartbeats, long scheduleWallNanos,
    int convertedContainers, boolean sameNodes, int replacedWorkers, String finalPhase,
    ResourceUsage usageBefore, ResourceUsage usageBeforeConversion, ResourceUsage usageAfterConversion,
    ResourceUsage usageAfterSwaps) {

  /** Every container converted onto its node and the update succeeded. */
  public boolean converted() {
    return convertedContainers == containers && sameNodes && replacedWorkers == containers
        && batchTagged == containers && "SUCCEEDED".equals(finalPhase);
  }

  /** The scheduler's accounting (queues, user, metrics, every node) is the same at every step, nothing negative. */
  public boolean usageUnchanged() {
    return usageBefore.equals(usageBeforeConversion) && usageBefore.equals(usageAfterConversion)
        && usageBefore.equals(usageAfterSwaps) && !usageBefore.anyNegative()
        && !usageBeforeConversion.anyNegative() && !usageAfterConversion.anyNegative()
        && !usageAfterSwaps.anyNegative();
  }

  public boolean correct() {
    return converted() && usageUnchanged();
  }

  public void print(PrintStream out) {
    out.printf("%n%d containers on %d simulated NodeManagers, one ResourceManager, %s scheduling"
        + " (per container, µs; load average %.1f -> %.1f on %d cores)%n", containers, nodes,
        asyncScheduling ? "asynchronous" : "heartbeat-driven", loadAverageAtStart, loadAverageAtEnd,
        Runtime.getRuntime().availableProcessors());
    out.printf("%-44s %10s %10s %10s %14s%n", "", "median", "p99", "max", "total (ms)");
    out.printf("%-44s %10s %10s %10s %14s%n", "conversion (ContainerConversion.convert)", micros(convertMedianNanos),
        micros(convertP99Nanos), micros(convertMaxNanos), "-");
    out.printf("%-44s %10s %10s %10s %14s%n", "conversion incl. its share of the unlocked work",
        micros(convertMedianNanos + outOfLockNanos / containers), "-", "-", "-");
    out.printf("%-44s %10s %10s %10s %14s%n", "write lock, all holds of the call",
        micros(lockHoldNanos / containers), "-", "-", millis(lockHoldNanos));
    out.printf("%-44s %10s %10s %10s %14s%n", "conversion work out of the write lock",
        micros(outOfLockNanos / containers), "-", "-", millis(outOfLockNanos));
    out.printf("%-44s %10s %10s %10s %14s%n", "write lock: the longest single hold", "-", "-", "-",
        millis(longestLockHoldNanos));
    out.printf("%-44s %10s %10s %10s %14s%n", "conversion, whole allocate call / container",
        micros(convertCallNanos / containers), "-", "-", millis(convertCallNanos));
    out.printf("%-44s %10s %10s %10s %14s%n", "  the same, CPU time of the RM thread",
        micros(convertCallCpuNanos / containers), "-", "-", millis(convertCallCpuNanos));
    out.printf("%-44s %10s %10s %10s %14s%n", "pool formation (new attempt added)",
        micros(poolFormationNanos / containers), "-", "-", millis(poolFormationNanos));
    out.printf("%-44s %10s %10s %10s %14s%n", "CapacityScheduler allocation (NODE_UPDATE)",
        micros(scheduleMedianNanos), micros(scheduleP99Nanos), micros(scheduleMaxNanos),
        millis(scheduleNodeUpdateNanos));
    out.printf("%-44s %10s %10s %10s %14s%n", "  the same, CPU time of the RM thread", micros(scheduleCpuMedianNanos),
        micros(scheduleCpuP99Nanos), "-", millis(scheduleNodeUpdateCpuNanos));
    out.printf("%-44s %10s %10s %10s %14s%n", "CapacityScheduler, ask to all pulled (wall)",
        micros(scheduleWallNanos / containers), "-", "-", millis(scheduleWallNanos));
    out.printf("(allocation: %d heartbeats placed containers; conversion: %d of %d converted, same nodes: %s,"
        + " %d with their node's batch in their token, %d replaced, update %s)%n", scheduleHeartbeats,
        convertedContainers, containers, sameNodes, batchTagged, replacedWorkers, finalPhase);
    out.printf("usage with AM1:          %s%nusage with AM2, pooled:  %s%nusage after conversion:  %s%n"
        + "usage after swaps:       %s%n", usageBefore.summary(), usageBeforeConversion.summary(),
        usageAfterConversion.summary(), usageAfterSwaps.summary());
    out.printf("accounting unchanged and not negative: %s%n", usageUnchanged() ? "yes" : "NO");
  }

  private static String micros(long nanos) {
    return nanos < 0 ? "-" : String.format("%.1f", nanos / 1_000.0);
  }

  private static String millis(long nanos) {
    return String.format("%.1f", nanos / 1_000_000.0);
  }
}
