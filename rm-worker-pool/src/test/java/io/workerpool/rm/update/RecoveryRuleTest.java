package io.workerpool.rm.update;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.workerpool.proto.WorkerState;
import io.workerpool.rm.update.RecoveryRule.Outcome;
import org.junit.jupiter.api.Test;

class RecoveryRuleTest {

  @Test
  void aPooledOrUnjournaledWorkerIsPooledAgainWhileItRuns() {
    assertEquals(Outcome.REPOOL, RecoveryRule.decide(WorkerState.POOLED, true, false));
    assertEquals(Outcome.REPOOL, RecoveryRule.decide(null, true, false));
    assertEquals(Outcome.LOST, RecoveryRule.decide(WorkerState.POOLED, false, false));
    assertEquals(Outcome.LOST, RecoveryRule.decide(null, false, false));
  }

  @Test
  void aConvertedWorkerFollowsWhetherItsReplacementReachedTheNode() {
    assertEquals(Outcome.LEAVE_TO_NODE, RecoveryRule.decide(WorkerState.CONVERTED, true, true));
    assertEquals(Outcome.REPLACED, RecoveryRule.decide(WorkerState.CONVERTED, false, true));
    assertEquals(Outcome.REPOOL, RecoveryRule.decide(WorkerState.CONVERTED, true, false));
    assertEquals(Outcome.LOST, RecoveryRule.decide(WorkerState.CONVERTED, false, false));
  }

  @Test
  void aHeldPlaceIsHeldAgainWhateverItsNodeReports() {
    assertEquals(Outcome.HOLD_AGAIN, RecoveryRule.decide(WorkerState.HELD, false, false));
    assertEquals(Outcome.HOLD_AGAIN, RecoveryRule.decide(WorkerState.HELD, true, false));
  }

  @Test
  void aWorkerTheUpdateLetGoOfIsStopped() {
    for (WorkerState state : new WorkerState[] {WorkerState.RELEASED, WorkerState.REPLACED, WorkerState.LOST,
        WorkerState.SWAP_FAILED, WorkerState.EXITED_EARLY}) {
      assertEquals(Outcome.STOP, RecoveryRule.decide(state, true, false), state.name());
    }
  }
}
