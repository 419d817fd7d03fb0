package io.workerpool.rm.pool;

import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;

/** A running worker container of the previous attempt, held for the next one. */
public record PooledWorker(ContainerId containerId, NodeId nodeId, Resource resource, long pooledAtMs) {
}
