package io.workerpool.rm.update;

import io.workerpool.proto.UpdateJournalEntry;
import java.io.IOException;
import java.util.List;

/**
 * Where the ResourceManager keeps its updates across restarts and failovers: beside its own state
 * store and fenced like it. Implementations keep only the newest revision of each update.
 */
public interface UpdateJournal extends AutoCloseable {

  /** Stores the entry unless a newer revision of the same update is stored already. */
  void write(UpdateJournalEntry entry) throws IOException;

  void delete(String updateId) throws IOException;

  List<UpdateJournalEntry> readAll() throws IOException;

  /** Where the entries go, for the start-up log line. */
  String describe();

  /** Lets go of what the journal opened itself (not the RM's own connections). */
  @Override
  default void close() {
  }
}
