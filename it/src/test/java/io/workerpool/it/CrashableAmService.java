package io.workerpool.it;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.ipc.Server;
import org.apache.hadoop.yarn.ams.ApplicationMasterServiceContext;
import org.apache.hadoop.yarn.ams.ApplicationMasterServiceProcessor;
import org.apache.hadoop.yarn.api.protocolrecords.AllocateRequest;
import org.apache.hadoop.yarn.api.protocolrecords.AllocateResponse;
import org.apache.hadoop.yarn.api.protocolrecords.FinishApplicationMasterRequest;
import org.apache.hadoop.yarn.api.protocolrecords.FinishApplicationMasterResponse;
import org.apache.hadoop.yarn.api.protocolrecords.RegisterApplicationMasterRequest;
import org.apache.hadoop.yarn.api.protocolrecords.RegisterApplicationMasterResponse;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.exceptions.YarnException;
import org.apache.hadoop.yarn.server.resourcemanager.RMContext;

/**
 * Makes the stop of an in-JVM ResourceManager look like a crash to its ApplicationMasters. Stopping an RM interrupts
 * its RPC handlers, and an AM call in flight then gets an answer: {@code YarnRuntimeException(InterruptedException)}
 * from the RM's event dispatcher, on which a stock AM (AMRMClientAsync's onError) exits instead of failing over. A
 * crashed RM answers nothing. First in the AM service's processor chain of every RM a test stops (the HA
 * cluster's, and a restarted one's: {@code yarn.resourcemanager.application-master-service.processors}):
 * {@link #crash} lets the calls in flight finish, then leaves every new call unanswered, so the AM sees its
 * connection close when the RM stops and fails over or resyncs.
 */
public final class CrashableAmService implements ApplicationMasterServiceProcessor {
  private static final Map<RMContext, CrashableAmService> BY_RM = new ConcurrentHashMap<>();

  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean crashed;
  private ApplicationMasterServiceProcessor next;

  @Override
  public void init(ApplicationMasterServiceContext context, ApplicationMasterServiceProcessor nextProcessor) {
    next = nextProcessor;
    BY_RM.put((RMContext) context, this);
  }

  /** From now on the RM answers no AM call; returns once the calls it was answering are answered. */
  public static void crash(RMContext rm) throws InterruptedException {
    CrashableAmService service = BY_RM.remove(rm);
    if (service == null) {
      throw new IllegalStateException("the RM's AM service has no " + CrashableAmService.class.getSimpleName());
    }
    service.crashed = true;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (service.inFlight.get() > 0 && System.nanoTime() < until) {
      Thread.sleep(1);
    }
  }

  @Override
  public void registerApplicationMaster(ApplicationAttemptId attempt, RegisterApplicationMasterRequest request,
      RegisterApplicationMasterResponse response) throws IOException, YarnException {
    enter();
    try {
      next.registerApplicationMaster(attempt, request, response);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  @Override
  public void allocate(ApplicationAttemptId attempt, AllocateRequest request, AllocateResponse response)
      throws YarnException {
    enter();
    try {
      next.allocate(attempt, request, response);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  @Override
  public void finishApplicationMaster(ApplicationAttemptId attempt, FinishApplicationMasterRequest request,
      FinishApplicationMasterResponse response) {
    if (!enterOrDrop()) {
      return;
    }
    try {
      next.finishApplicationMaster(attempt, request, response);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private void enter() throws YarnException {
    if (!enterOrDrop()) {
      throw new YarnException("the ResourceManager crashed (this answer is never sent)");
    }
  }

  /**
   * Counts the call in flight and returns true (the caller counts it out), or, once crashed, marks the call's answer
   * deferred, which Hadoop's RPC server then never sends (the AM waits until the stopping RM closes its connection),
   * and returns false.
   */
  private boolean enterOrDrop() {
    inFlight.incrementAndGet();
    if (!crashed) {
      return true;
    }
    inFlight.decrementAndGet();
    Server.Call call = Server.getCurCall().get();
    if (call == null) {
      throw new IllegalStateException("not an RPC call: the AM service runs without its RPC server");
    }
    call.deferResponse();
    return false;
  }
}
