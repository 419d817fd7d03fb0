package io.workerpool.protocol;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The contract between the ResourceManager's Worker Pool and the NodeManager hook: a converted
 * container C3 carries, in its RM-signed container token, the allocation tag
 * {@code worker-pool.replaces=<C1>}; the NodeManager then starts C3 in C1's place and ends C1
 * with {@link #REPLACED_EXIT_STATUS} and a diagnostic naming C3. Next to the mark, the tag
 * {@code worker-pool.batch=<size>/<key>} tells the node how many new containers of one allocate
 * call it receives (all with the same key), so that it stops their old containers together once
 * all of them are ready. With {@code worker-pool.swap-at=<epoch ms>} the RM asks every node of the
 * call to stop those old containers no earlier than that moment, so that the nodes swap together
 * (their clocks in sync, as Kerberos and NTP keep them). The RM strips tags with the
 * {@link #TAG_NAMESPACE} from AM requests, so only the RM can set any of them.
 */
public final class ReplacementContract {
  public static final String TAG_NAMESPACE = "worker-pool.";
  public static final String REPLACES_TAG_PREFIX = TAG_NAMESPACE + "replaces=";
  public static final String BATCH_TAG_PREFIX = TAG_NAMESPACE + "batch=";
  public static final String SWAP_AT_TAG_PREFIX = TAG_NAMESPACE + "swap-at=";

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

  /** The new containers of one node that replace old ones together: {@code size} of them carry {@code key}. */
  public record Batch(String key, int size) {
    public Batch {
      if (size < 1 || key.isEmpty() || key.contains("/")) {
        throw new IllegalArgumentException("a batch needs a size >= 1 and a key without '/': " + size + "/" + key);
      }
    }
  }

  public static String batchTag(Batch batch) {
    return BATCH_TAG_PREFIX + batch.size() + "/" + batch.key();
  }

  /** The batch that the tags name, if any and if well-formed. */
  public static Optional<Batch> batchOf(Set<String> allocationTags) {
    if (allocationTags == null) {
      return Optional.empty();
    }
    for (String tag : allocationTags) {
      if (tag.startsWith(BATCH_TAG_PREFIX)) {
        String value = tag.substring(BATCH_TAG_PREFIX.length());
        int slash = value.indexOf('/');
        try {
          return Optional.of(new Batch(value.substring(slash + 1), Integer.parseInt(value.substring(0, slash))));
        } catch (IllegalArgumentException | IndexOutOfBoundsException malformed) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  public static String swapAtTag(long epochMs) {
    return SWAP_AT_TAG_PREFIX + epochMs;
  }

  /** The moment (epoch milliseconds) before which the old containers are not to be stopped, if the tags name one. */
  public static OptionalLong swapAt(Set<String> allocationTags) {
    if (allocationTags == null) {
      return OptionalLong.empty();
    }
    for (String tag : allocationTags) {
      if (tag.startsWith(SWAP_AT_TAG_PREFIX)) {
        try {
          return OptionalLong.of(Long.parseLong(tag.substring(SWAP_AT_TAG_PREFIX.length())));
        } catch (NumberFormatException malformed) {
          return OptionalLong.empty();
        }
      }
    }
    return OptionalLong.empty();
  }

  public static String replacedDiagnostic(String oldContainerId, String newContainerId) {
    return "Container " + oldContainerId + " was replaced in place by " + newContainerId
        + " (Worker Pool update); this is not a failure";
  }
}
