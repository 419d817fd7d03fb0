package io.workerpool.rm.pool;

import java.util.Set;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;

/**
 * What the new attempt still asks for under one request key: {@code count} containers of
 * {@code capability}, normalized as the scheduler normalizes asks (an AM asking 1000 MB on a
 * cluster with a 1024 MB minimum allocation gets, and is served by, 1024 MB containers).
 * {@code onlyNodes} is empty when the ask may be placed anywhere, else the hosts it is restricted to.
 */
public record WorkerAsk(Priority priority, long allocationRequestId, Resource capability, int count,
    Set<String> onlyNodes) {

  public boolean accepts(PooledWorker worker) {
    return capability.equals(worker.resource())
        && (onlyNodes.isEmpty() || onlyNodes.contains(worker.nodeId().getHost()));
  }
}
