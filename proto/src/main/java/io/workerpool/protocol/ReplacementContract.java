package io.workerpool.protocol;

import java.util.Optional;
import java.util.Set;

/**
 * The contract between the ResourceManager's Worker Pool and the NodeManager hook: a converted
 * container C3 carries, in its RM-signed container token, the allocation tag
 * {@code worker-pool.replaces=<C1>}; the NodeManager then starts C3 in C1's place and ends C1
 * with {@link #REPLACED_EXIT_STATUS} and a diagnostic naming C3. The RM strips tags with the
 * {@link #TAG_NAMESPACE} from AM requests, so only the RM can set the mark.
 */
public final class ReplacementContract {
  public static final String TAG_NAMESPACE = "worker-pool.";
  public static final String REPLACES_TAG_PREFIX = TAG_NAMESPACE + "replaces=";

  /** Exit status of a container that was replaced in place (distinct from every ContainerExitStatus). */
  public static final int REPLACED_EXIT_STATUS = -120;

  private ReplacementContract() {
  }

  public static String replacesTag(String oldContainerId) {
    return REPLACES_TAG_PREFIX + oldContainerId;
  }

  /** The container id that the tags say is replaced, if any. */
  public static Optional<String> replacedContainer(Set<String> allocationTags) {
    if (allocationTags == null) {
      return Optional.empty();
    }
    return allocationTags.stream().filter(t -> t.startsWith(REPLACES_TAG_PREFIX))
        .map(t -> t.substring(REPLACES_TAG_PREFIX.length())).findFirst();
  }

  public static String replacedDiagnostic(String oldContainerId, String newContainerId) {
    return "Container " + oldContainerId + " was replaced in place by " + newContainerId
        + " (Worker Pool update); this is not a failure";
  }
}
