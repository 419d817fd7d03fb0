package io.workerpool.rm.hadoop;

import io.workerpool.proto.UpdateJournalEntry;
import io.workerpool.rm.update.UpdateJournal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.util.curator.ZKCuratorManager;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.ACL;

/**
 * Entries as znodes under {@code ZKRMStateStore}'s root, written through the RM's own ZooKeeper
 * connection in the store's fenced transactions: each write also creates and deletes the store's
 * fencing node under the root, which only the active RM may do, so a fenced-off RM cannot write.
 */
final class ZooKeeperJournal implements UpdateJournal {
  static final String FOLDER = "WorkerPoolUpdates";
  private static final String FENCING_LOCK = "RM_ZK_FENCING_LOCK";

  private final ZKCuratorManager zk;
  private final boolean ownConnection;
  private final List<ACL> acl;
  private final String folder;
  private final String fencingNode;
  private final Map<String, Long> writtenRevisions = new HashMap<>();

  /** @param storeRoot ZKRMStateStore's root znode, which the store creates and fences when it starts */
  ZooKeeperJournal(ZKCuratorManager zk, boolean ownConnection, List<ACL> acl, String storeRoot) {
    this.zk = zk;
    this.ownConnection = ownConnection;
    this.acl = acl;
    this.folder = storeRoot + "/" + FOLDER;
    this.fencingNode = storeRoot + "/" + FENCING_LOCK;
  }

  @Override
  public synchronized void write(UpdateJournalEntry entry) throws IOException {
    String id = entry.getStatus().getUpdateId();
    if (writtenRevisions.getOrDefault(id, -1L) >= entry.getRevision()) {
      return;
    }
    String node = folder + "/" + id;
    try {
      if (!zk.exists(folder)) {
        zk.safeCreate(folder, new byte[0], acl, CreateMode.PERSISTENT, acl, fencingNode);
      }
      ZKCuratorManager.SafeTransaction transaction = zk.createTransaction(acl, fencingNode);
      if (zk.exists(node)) {
        transaction.setData(node, entry.toByteArray(), -1);
      } else {
        transaction.create(node, entry.toByteArray(), acl, CreateMode.PERSISTENT);
      }
      transaction.commit();
    } catch (Exception e) {
      throw new IOException("cannot write " + node + " (fenced off by another RM?): " + e.getMessage(), e);
    }
    writtenRevisions.put(id, entry.getRevision());
  }

  @Override
  public synchronized void delete(String updateId) throws IOException {
    try {
      zk.safeDelete(folder + "/" + updateId, acl, fencingNode);
    } catch (Exception e) {
      throw new IOException("cannot delete " + updateId + ": " + e.getMessage(), e);
    }
    writtenRevisions.remove(updateId);
  }

  @Override
  public synchronized List<UpdateJournalEntry> readAll() throws IOException {
    List<UpdateJournalEntry> entries = new ArrayList<>();
    try {
      if (!zk.exists(folder)) {
        return entries;
      }
      for (String child : zk.getChildren(folder)) {
        UpdateJournalEntry entry = UpdateJournalEntry.parseFrom(zk.getData(folder + "/" + child));
        writtenRevisions.put(child, entry.getRevision());
        entries.add(entry);
      }
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot read " + folder + ": " + e.getMessage(), e);
    }
    return entries;
  }

  @Override
  public void close() {
    if (ownConnection) {
      zk.close();
    }
  }

  @Override
  public String describe() {
    return "ZooKeeper znodes under " + folder + " (fenced with the RM state store)";
  }
}
