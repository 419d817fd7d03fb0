package io.workerpool.client.cli;

import java.util.List;
import java.util.Locale;
import org.apache.hadoop.yarn.api.records.LocalResourceType;
import org.apache.hadoop.yarn.api.records.LocalResourceVisibility;
import picocli.CommandLine.Option;

/** The {@code update} options that edit the application's current launch context instead of replacing it. */
final class LaunchContextEdits {
  @Option(names = "--set-env", paramLabel = "KEY=VALUE", description = "Set an environment variable of the AM.")
  List<String> setEnv = List.of();

  @Option(names = "--unset-env", paramLabel = "KEY", description = "Remove an environment variable of the AM.")
  List<String> unsetEnv = List.of();

  @Option(names = "--set-resource", paramLabel = "NAME=URI[,TYPE[,VISIBILITY]]",
      description = "Add or replace a local resource (TYPE FILE|ARCHIVE|PATTERN, default FILE;"
          + " VISIBILITY PUBLIC|PRIVATE|APPLICATION, default APPLICATION).")
  List<String> setResource = List.of();

  @Option(names = "--command", paramLabel = "COMMAND", description = "The AM's new command (replaces every command).")
  String command;

  boolean any() {
    return !setEnv.isEmpty() || !unsetEnv.isEmpty() || !setResource.isEmpty() || command != null;
  }

  /** Applies the edits; throws IllegalArgumentException with one line on malformed input. */
  void applyTo(LaunchContextFile spec) {
    for (String entry : setEnv) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--set-env takes KEY=VALUE; '" + entry + "' has no key before '='");
      }
      spec.environment.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    for (String key : unsetEnv) {
      if (spec.environment.remove(key) == null) {
        throw new IllegalArgumentException("--unset-env " + key + ": the AM has no such environment variable");
      }
    }
    for (String entry : setResource) {
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1) {
        throw new IllegalArgumentException("--set-resource takes NAME=URI[,TYPE[,VISIBILITY]]; got '" + entry + "'");
      }
      String[] parts = entry.substring(eq + 1).split(",", -1);
      if (parts.length > 3) {
        throw new IllegalArgumentException("--set-resource takes NAME=URI[,TYPE[,VISIBILITY]]; got '" + entry + "'");
      }
      LocalResourceType type = parts.length > 1
          ? parse(LocalResourceType.class, parts[1], entry) : LocalResourceType.FILE;
      LocalResourceVisibility visibility = parts.length > 2
          ? parse(LocalResourceVisibility.class, parts[2], entry) : LocalResourceVisibility.APPLICATION;
      spec.localResources.put(entry.substring(0, eq),
          new LaunchContextFile.ResourceEntry(parts[0], type, visibility, null));
    }
    if (command != null) {
      if (command.isBlank()) {
        throw new IllegalArgumentException("--command is empty");
      }
      spec.commands = new java.util.ArrayList<>(List.of(command));
    }
  }

  private static <E extends Enum<E>> E parse(Class<E> type, String value, String entry) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--set-resource " + entry + ": '" + value + "' is not one of "
          + java.util.Arrays.toString(type.getEnumConstants()));
    }
  }
}
