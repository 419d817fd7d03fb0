package io.workerpool.rm.hadoop;

import io.workerpool.proto.UpdateJournalEntry;
import io.workerpool.rm.update.UpdateJournal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Entries as files in a folder beside {@code FileSystemRMStateStore}'s root, one per update, each
 * replaced by writing a new file and renaming it over the old one.
 */
final class FileSystemJournal implements UpdateJournal {
  private static final String TMP = ".tmp";

  private final FileSystem fs;
  private final Path folder;
  private final Map<String, Long> writtenRevisions = new HashMap<>();

  FileSystemJournal(Configuration conf, Path folder) throws IOException {
    this.fs = folder.getFileSystem(conf);
    this.folder = folder;
  }

  @Override
  public synchronized void write(UpdateJournalEntry entry) throws IOException {
    String id = entry.getStatus().getUpdateId();
    if (writtenRevisions.getOrDefault(id, -1L) >= entry.getRevision()) {
      return;
    }
    fs.mkdirs(folder);
    Path target = new Path(folder, id);
    Path tmp = new Path(folder, id + TMP);
    try (FSDataOutputStream out = fs.create(tmp, true)) {
      entry.writeTo(out);
      out.hsync();
    }
    if (fs.exists(target) && !fs.delete(target, false)) {
      throw new IOException("cannot replace " + target);
    }
    if (!fs.rename(tmp, target)) {
      throw new IOException("cannot rename " + tmp + " to " + target);
    }
    writtenRevisions.put(id, entry.getRevision());
  }

  @Override
  public synchronized void delete(String updateId) throws IOException {
    fs.delete(new Path(folder, updateId), false);
    writtenRevisions.remove(updateId);
  }

  @Override
  public synchronized List<UpdateJournalEntry> readAll() throws IOException {
    List<UpdateJournalEntry> entries = new ArrayList<>();
    if (!fs.exists(folder)) {
      return entries;
    }
    for (FileStatus file : fs.listStatus(folder)) {
      String name = file.getPath().getName();
      // A temporary file counts only when the RM died between removing the old entry and renaming it in.
      if (name.endsWith(TMP) && fs.exists(new Path(folder, name.substring(0, name.length() - TMP.length())))) {
        continue;
      }
      try (FSDataInputStream in = fs.open(file.getPath())) {
        UpdateJournalEntry entry = UpdateJournalEntry.parseFrom(in);
        writtenRevisions.put(entry.getStatus().getUpdateId(), entry.getRevision());
        entries.add(entry);
      }
    }
    return entries;
  }

  @Override
  public String describe() {
    return "files in " + folder;
  }
}
