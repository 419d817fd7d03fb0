package io.workerpool.rm.update;

import io.workerpool.proto.WorkerRecord;
import io.workerpool.rm.pool.PooledWorker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;

/** An update that has not ended, with what the RM must know to carry it on. Guarded by the UpdateManager monitor. */
final class ActiveUpdate {
  final Update update;
  /** The attempt being replaced: AM1's, or a new attempt whose AM an RM restart kept from launching. */
  ApplicationAttemptId oldAttempt;
  /** AM1's attempt: the pool's containers belong to it. */
  final ApplicationAttemptId firstOldAttempt;
  ApplicationAttemptId newAttempt;
  ContainerLaunchContext previousLaunchContext;
  Resource previousAmResource;
  String oldAmContainer = "";
  int raisedMaxAttemptsFrom;
  long claimDeadlineMs;
  Runnable cancelDeadline = () -> { };
  final List<PooledWorker> pool = new ArrayList<>();
  /** The claim deadline passed or the new attempt ended: nothing goes back into the pool. */
  boolean poolClosed;
  /** The scheduler is ending the new attempt: its containers' completions must not end the update as a success. */
  boolean newAttemptEnding;
  /** AM1's container, ended but still charged: the place the new AM's container takes. */
  PooledWorker heldAm;
  /** AM1's held place as the journal has it, until its node registers with this (restarted) RM. */
  PooledWorker amPlaceToRecover;
  /** Pooled workers whose process ended: their containers hold the place, nothing runs on the node. */
  final Set<ContainerId> held = new HashSet<>();
  /**
   * Workers whose process ended while AM1 was being stopped, before the pool existed, with how they ended: their
   * containers hold the place for the pool the new attempt forms (or are released if none comes).
   */
  final Map<ContainerId, String> heldBeforePool = new HashMap<>();
  /** Resumed from the journal by this RM: its workers' containers come back with the nodes' registrations. */
  boolean restored;
  /** The new attempt as this RM recovered it from the state store (its AM may never have been launched). */
  ApplicationAttemptId recoveredNewAttempt;
  /** Read from the journal: the old AM's node had reported it gone before the RM restarted. */
  boolean oldAmSeenGone;
  /** Journaled workers a restarted RM has not yet heard of from their nodes, by old container. */
  final Map<ContainerId, WorkerRecord> unreported = new HashMap<>();

  ActiveUpdate(Update update, ApplicationAttemptId oldAttempt) {
    this.update = update;
    this.oldAttempt = oldAttempt;
    this.firstOldAttempt = oldAttempt;
  }

  /** Whether a container of this attempt can be one of the update's workers. */
  boolean ownsWorkersOf(ApplicationAttemptId attempt) {
    return attempt.getAttemptId() >= firstOldAttempt.getAttemptId()
        && attempt.getAttemptId() <= oldAttempt.getAttemptId();
  }

  ApplicationId appId() {
    return update.applicationId();
  }
}
