package io.workerpool.flink;

import java.util.List;
import java.util.Locale;

/**
 * What an in-place restart did.
 *
 * @param taskManagers each old TaskManager container, its replacement and node, as the ResourceManager recorded them
 * @param phases the restart's steps in order, with their start (epoch ms) and duration
 * @param downtimeMs from the moment the old JobManager was ended to the moment every task of the
 *     job ran again on the new one (the old TaskManagers keep processing for part of that time)
 * @param deletedStagingDirectory the previous staging directory, deleted after the restart succeeded, or null
 */
public record RestartReport(String applicationId, StateMode mode, String oldAttempt, String newAttempt,
    String oldJobId, String newJobId, String savepoint, String updateId, List<TaskManagerMove> taskManagers,
    List<Phase> phases, long downtimeMs, String stagingDirectory, String deletedStagingDirectory) {

  public record TaskManagerMove(String oldContainer, String newContainer, String node, String state) {
  }

  public record Phase(String name, long startedAtMs, long durationMs) {
  }

  /** The human-readable report the CLI prints. */
  public String format() {
    StringBuilder out = new StringBuilder();
    out.append("restarted ").append(applicationId).append(" in place (").append(mode.cliName()).append(")\n");
    out.append("  attempt    ").append(oldAttempt).append(" -> ").append(newAttempt).append('\n');
    out.append("  job        ").append(oldJobId).append(" -> ").append(newJobId).append('\n');
    if (savepoint != null) {
      out.append("  savepoint  ").append(savepoint).append('\n');
    }
    out.append("  update     ").append(updateId).append('\n');
    out.append(String.format(Locale.ROOT, "  %-42s %-42s %-22s %s%n", "TaskManager container", "new container",
        "node", "state"));
    for (TaskManagerMove move : taskManagers) {
      out.append(String.format(Locale.ROOT, "  %-42s %-42s %-22s %s%n", move.oldContainer(), move.newContainer(),
          move.node(), move.state()));
    }
    out.append("  phases:\n");
    long start = phases.isEmpty() ? 0 : phases.get(0).startedAtMs();
    for (Phase phase : phases) {
      out.append(String.format(Locale.ROOT, "    %-28s +%6d ms  %6d ms%n", phase.name(), phase.startedAtMs() - start,
          phase.durationMs()));
    }
    out.append("  downtime   ").append(downtimeMs).append(" ms (old JobManager ended -> all tasks RUNNING again)\n");
    out.append("  staging    ").append(stagingDirectory).append('\n');
    if (deletedStagingDirectory != null) {
      out.append("  deleted    ").append(deletedStagingDirectory).append(" (previous staging directory)\n");
    }
    return out.toString();
  }
}
