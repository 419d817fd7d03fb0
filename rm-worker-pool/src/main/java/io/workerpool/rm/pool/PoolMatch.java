package io.workerpool.rm.pool;

/** A pooled worker chosen to answer one ask: it becomes one new container of the new attempt. */
public record PoolMatch(PooledWorker worker, WorkerAsk ask) {
}
