package io.workerpool.rm.update;

import io.workerpool.proto.UpdateJournalEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The journal of an RM without recovery: updates live as long as the RM process. */
public final class InMemoryJournal implements UpdateJournal {
  private final Map<String, UpdateJournalEntry> entries = new LinkedHashMap<>();

  @Override
  public synchronized void write(UpdateJournalEntry entry) {
    entries.merge(entry.getStatus().getUpdateId(), entry,
        (stored, next) -> next.getRevision() >= stored.getRevision() ? next : stored);
  }

  @Override
  public synchronized void delete(String updateId) {
    entries.remove(updateId);
  }

  @Override
  public synchronized List<UpdateJournalEntry> readAll() {
    return new ArrayList<>(entries.values());
  }

  @Override
  public String describe() {
    return "memory only (RM recovery is off: an RM restart loses the updates in flight)";
  }
}
