package io.workerpool.client.cli;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import java.util.List;

/** A unified diff of two launch context files, for {@code update --dry-run}. */
final class ContextDiff {
  private ContextDiff() {
  }

  static List<String> unified(String current, String updated) {
    List<String> before = current.lines().toList();
    List<String> after = updated.lines().toList();
    return UnifiedDiffUtils.generateUnifiedDiff("current", "update", before, DiffUtils.diff(before, after), 3);
  }
}
