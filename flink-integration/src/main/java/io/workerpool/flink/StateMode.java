package io.workerpool.flink;

/** What the restarted job starts from. */
public enum StateMode {
  /** A savepoint taken while the job keeps running; the new job restores from it. */
  SAVEPOINT,
  /** No state: the new job starts empty. */
  STATELESS,
  /**
   * ZooKeeper HA only: the latest checkpoint. The stored job graph is dropped so that the new
   * JobManager runs the new jar's main(); the job id (derived from the HA cluster id) stays,
   * so the new job finds the checkpoints kept in ZooKeeper.
   */
  LAST_STATE;

  public static StateMode parse(String text) {
    for (StateMode mode : values()) {
      if (mode.cliName().equals(text)) {
        return mode;
      }
    }
    throw new IllegalArgumentException("unknown state mode '" + text + "': use savepoint, stateless or last-state");
  }

  public String cliName() {
    return name().toLowerCase().replace('_', '-');
  }
}
