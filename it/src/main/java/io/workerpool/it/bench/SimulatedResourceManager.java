package io.workerpool.it.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.event.EventHandler;
import org.apache.hadoop.yarn.server.resourcemanager.MockRM;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.AbstractYarnScheduler;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.SchedulerNode;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.event.NodeUpdateSchedulerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.event.SchedulerEvent;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.event.SchedulerEventType;

/**
 * A real ResourceManager as Hadoop's own tests run it ({@link MockRM}: no RPC servers, a dispatcher
 * that can be drained, nodes and AMs driven by calls). It records how long the scheduler takes for
 * every node heartbeat and how many containers each one placed on its node, and how long the
 * scheduler takes to add an application attempt (where the Worker Pool forms its pool).
 */
final class SimulatedResourceManager extends MockRM {
  /** One NODE_UPDATE handled by the scheduler: its duration, its thread's CPU time, the containers it placed. */
  record NodeUpdate(long nanos, long cpuNanos, int allocated) {
  }

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  // Filled on the dispatcher thread, read by the benchmark after it drained the dispatcher.
  private final List<NodeUpdate> nodeUpdates = new CopyOnWriteArrayList<>();
  private final List<Long> attemptsAddedNanos = new CopyOnWriteArrayList<>();

  SimulatedResourceManager(Configuration conf) {
    super(conf);
  }

  @Override
  protected EventHandler<SchedulerEvent> createSchedulerEventDispatcher() {
    EventHandler<SchedulerEvent> scheduler = super.createSchedulerEventDispatcher();
    return event -> {
      if (event.getType() == SchedulerEventType.NODE_UPDATE) {
        SchedulerNode node = ((AbstractYarnScheduler<?, ?>) getResourceScheduler())
            .getSchedulerNode(((NodeUpdateSchedulerEvent) event).getRMNode().getNodeID());
        int before = node.getNumContainers();
        long cpuStart = THREADS.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        scheduler.handle(event);
        long nanos = System.nanoTime() - start;
        long cpuNanos = THREADS.getCurrentThreadCpuTime() - cpuStart;
        nodeUpdates.add(new NodeUpdate(nanos, cpuNanos, node.getNumContainers() - before));
      } else if (event.getType() == SchedulerEventType.APP_ATTEMPT_ADDED) {
        long start = System.nanoTime();
        scheduler.handle(event);
        attemptsAddedNanos.add(System.nanoTime() - start);
      } else {
        scheduler.handle(event);
      }
    };
  }

  /** The node updates recorded since the last call. */
  List<NodeUpdate> takeNodeUpdates() {
    List<NodeUpdate> taken = List.copyOf(nodeUpdates);
    nodeUpdates.clear();
    return taken;
  }

  long lastAttemptAddedNanos() {
    return attemptsAddedNanos.get(attemptsAddedNanos.size() - 1);
  }
}
