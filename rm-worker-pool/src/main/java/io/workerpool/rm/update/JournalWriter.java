package io.workerpool.rm.update;

import io.workerpool.proto.UpdateJournalEntry;
import io.workerpool.proto.UpdateStatus;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes updates to the {@link UpdateJournal} with growing revisions. Called holding no lock (a write may block
 * on I/O or on the state store); takes the UpdateManager monitor only to read an update and number it.
 */
final class JournalWriter {
  private static final Logger LOG = LoggerFactory.getLogger(JournalWriter.class);

  private final UpdateJournal journal;
  private final Engine engine;
  private final UpdateManager updates;
  private final AtomicLong revisions = new AtomicLong();

  JournalWriter(UpdateJournal journal, Engine engine, UpdateManager updates) {
    this.journal = journal;
    this.engine = engine;
    this.updates = updates;
  }

  /** Journals the update ahead of a step: the step must not happen when this fails. */
  void write(ActiveUpdate a) throws IOException {
    journal.write(entry(a, a.update));
  }

  /**
   * Journals the update as it is now; a failure is logged (the update goes on in memory).
   *
   * @param a the update's state in flight, or null when only its status matters (it ended)
   */
  void writeOrLog(ActiveUpdate a, Update update) {
    try {
      journal.write(entry(a, update));
    } catch (IOException | RuntimeException e) {
      LOG.error("Update {}: cannot write the journal ({}); an RM restart now would not resume it as it is",
          update.id(), journal.describe(), e);
    }
  }

  /** Journals the update with its state in flight, if it is still in flight. */
  void writeOrLog(Update update) {
    writeOrLog(updates.activeOf(update), update);
  }

  /** Journals the update from the engine, after the scheduler callback that changed it has returned. */
  void writeLater(ActiveUpdate a) {
    engine.execute(() -> writeOrLog(a, a.update));
  }

  void deleteLater(String updateId) {
    engine.execute(() -> {
      try {
        journal.delete(updateId);
      } catch (IOException e) {
        LOG.warn("Cannot delete update {} from the journal: {}", updateId, e.getMessage());
      }
    });
  }

  /** Recovery read back an entry of this revision: the next writes must be newer. */
  void continueRevisionsFrom(long revision) {
    revisions.accumulateAndGet(revision, Math::max);
  }

  /**
   * The snapshot and its revision are taken together: a later revision always holds a later state, so the
   * journal, which never replaces an entry by an older revision, cannot keep a stale one.
   */
  private UpdateJournalEntry entry(ActiveUpdate a, Update update) {
    synchronized (updates) {
      UpdateStatus status = update.snapshot();
      long revision = revisions.incrementAndGet();
      return JournalEntries.entry(status, revision, a == null || update.isFinished() ? null : a);
    }
  }
}
