package io.workerpool.rm.update;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.yarn.api.records.ApplicationId;

/**
 * The updates this RM answers for, in flight or ended, up to the history size; by id, by application and by the
 * client's request id. Guarded by the UpdateManager monitor: callers hold it.
 */
final class UpdateHistory {
  private final int size;
  private final JournalWriter journal;
  private final Map<String, Update> byId = new LinkedHashMap<>();
  private final Map<ApplicationId, Update> latestByApp = new HashMap<>();
  private final Map<String, Update> byClientRequest = new HashMap<>();

  UpdateHistory(int size, JournalWriter journal) {
    this.size = size;
    this.journal = journal;
  }

  /** Keeps the update; the oldest ended updates beyond the history size leave it and the journal. */
  void remember(Update update, String clientRequestId) {
    byId.put(update.id(), update);
    latestByApp.put(update.applicationId(), update);
    for (Iterator<Update> it = byId.values().iterator(); byId.size() > size && it.hasNext(); ) {
      Update oldest = it.next();
      if (oldest.isFinished()) {
        it.remove();
        latestByApp.remove(oldest.applicationId(), oldest);
        byClientRequest.values().removeIf(u -> u == oldest);
        journal.deleteLater(oldest.id());
      }
    }
    if (!clientRequestId.isEmpty()) {
      byClientRequest.put(clientRequestKey(update.applicationId(), clientRequestId), update);
    }
  }

  /** The update started earlier with this client request id, or null. */
  Update byClientRequest(ApplicationId appId, String clientRequestId) {
    return clientRequestId.isEmpty() ? null : byClientRequest.get(clientRequestKey(appId, clientRequestId));
  }

  Update get(String updateId) {
    return byId.get(updateId);
  }

  Update latest(ApplicationId appId) {
    return latestByApp.get(appId);
  }

  private static String clientRequestKey(ApplicationId appId, String clientRequestId) {
    return appId + "/" + clientRequestId;
  }
}
