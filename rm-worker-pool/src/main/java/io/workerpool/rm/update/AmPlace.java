package io.workerpool.rm.update;

import static io.workerpool.rm.update.UpdateManager.appOf;

import io.workerpool.proto.UpdatePhase;
import io.workerpool.rm.pool.PooledWorker;
import java.util.function.LongSupplier;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;

/**
 * AM1's place: once its node reports AM1 gone, its container stays charged until the new AM's container takes it.
 * Shares the UpdateManager monitor; releases run as engine steps.
 */
public final class AmPlace {
  private final UpdateManager updates;
  private final JournalWriter journal;
  private final Engine engine;
  private final EngineSteps steps;
  private final LongSupplier clock;

  AmPlace(UpdateManager updates, JournalWriter journal, Engine engine, EngineSteps steps, LongSupplier clock) {
    this.updates = updates;
    this.journal = journal;
    this.engine = engine;
    this.steps = steps;
    this.clock = clock;
  }

  /** Holds the place when {@code id} is the container of the AM the update ended. The caller holds the monitor. */
  boolean holdIfOldAm(ActiveUpdate a, ContainerId id, NodeId nodeId, Resource resource) {
    if (!id.toString().equals(a.oldAmContainer) || a.newAttempt != null || a.heldAm != null
        || a.update.phase() != UpdatePhase.POOLING) {
      return false;
    }
    a.heldAm = new PooledWorker(id, nodeId, resource, clock.getAsLong());
    a.update.amPlace("held on " + nodeId + " (" + resource + ") for the new AM's container");
    journal.writeLater(a);
    return true;
  }

  /**
   * The RM asks for the new attempt's AM container: it takes AM1's held place, if any. The caller holds the write
   * lock and reports {@link #taken} or {@link #notUsed}.
   */
  public PooledWorker claim(ApplicationAttemptId attemptId) {
    synchronized (updates) {
      ActiveUpdate a = updates.inFlight(attemptId.getApplicationId());
      if (!waitsFor(a, attemptId)) {
        return null;
      }
      PooledWorker place = a.heldAm;
      a.heldAm = null;
      return place;
    }
  }

  /** Whether AM1's place waits for this attempt's AM container (its ask may come before the update knows it). */
  public boolean waitsFor(ApplicationAttemptId attemptId) {
    synchronized (updates) {
      return waitsFor(updates.inFlight(attemptId.getApplicationId()), attemptId);
    }
  }

  private static boolean waitsFor(ActiveUpdate a, ApplicationAttemptId attemptId) {
    return a != null && a.heldAm != null && (attemptId.equals(a.newAttempt)
        || a.newAttempt == null && attemptId.getAttemptId() > a.oldAttempt.getAttemptId());
  }

  public void taken(PooledWorker place, ContainerId amContainer, Resource resource) {
    synchronized (updates) {
      ActiveUpdate a = updates.inFlight(appOf(place.containerId()));
      if (a != null) {
        a.update.amPlace(amContainer + " took AM1's place on " + place.nodeId() + " (" + place.resource()
            + (resource.equals(place.resource()) ? "" : ", now " + resource) + ")");
      }
    }
  }

  /** The new AM's container could not take AM1's place (it asks for more than its node has): the place is released. */
  public void notUsed(PooledWorker place, String why) {
    ActiveUpdate a;
    synchronized (updates) {
      a = updates.inFlight(appOf(place.containerId()));
      if (a != null) {
        a.update.amPlace("released: " + why + "; the new AM's container is scheduled as usual");
      }
    }
    engine.execute(() -> steps.release(place, why));
    if (a != null) {
      journal.writeLater(a);
    }
  }

  /** The new AM runs in a container from elsewhere: the held place is released. The caller holds the monitor. */
  void release(ActiveUpdate a, String why) {
    PooledWorker place = a.heldAm;
    a.heldAm = null;
    a.update.amPlace("released: " + why);
    engine.execute(() -> steps.release(place, why));
    journal.writeLater(a);
  }
}
