package io.workerpool.nm;

import io.workerpool.nm.ReplacementDecision.MarkedContainer;
import io.workerpool.nm.ReplacementDecision.NewContainer;
import io.workerpool.protocol.ReplacementContract;
import io.workerpool.protocol.ReplacementContract.Batch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.server.api.ContainerType;
import org.apache.hadoop.yarn.server.nodemanager.Context;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.localizer.ContainerLocalizer;
import org.apache.hadoop.yarn.server.nodemanager.recovery.NMStateStoreService.RecoveredContainerState;
import org.apache.hadoop.yarn.server.nodemanager.recovery.RecoveryIterator;

/** Reads what {@link ReplacementDecision} needs from NodeManager containers. */
final class ContainerFacts {
  private ContainerFacts() {
  }

  /** The container id that C3's RM-signed token says C3 replaces, if any. */
  static Optional<String> mark(Container c3) {
    // "Allcation" is Hadoop's spelling.
    return ReplacementContract.replacedContainer(c3.getContainerTokenIdentifier().getAllcationTags());
  }

  /** The batch that C3's RM-signed token puts it in, if any. */
  static Optional<Batch> batch(Container c3) {
    return ReplacementContract.batchOf(c3.getContainerTokenIdentifier().getAllcationTags());
  }

  /** The moment (epoch ms) before which C3's RM-signed token asks not to stop the container it replaces, or 0. */
  static long swapAt(Container c3) {
    return ReplacementContract.swapAt(c3.getContainerTokenIdentifier().getAllcationTags()).orElse(0);
  }

  /** The container of this NodeManager that the mark names, if the mark is a container id at all. */
  static Optional<Container> find(Context context, String markedId) {
    try {
      return Optional.ofNullable(context.getContainers().get(ContainerId.fromString(markedId)));
    } catch (IllegalArgumentException notAContainerId) {
      return Optional.empty();
    }
  }

  static NewContainer asNew(Container c3) {
    return new NewContainer(c3.getContainerId().toString(), applicationOf(c3), c3.getUser());
  }

  /** @param pid C1's process id as the executor knows it, or null */
  static MarkedContainer asMarked(Container c1, String pid) {
    // ContainerTokenIdentifier.getUser() names the container, not the user: use Container.getUser().
    return new MarkedContainer(c1.getContainerState().name(), applicationOf(c1), c1.getUser(),
        c1.getContainerTokenIdentifier().getContainerType() == ContainerType.APPLICATION_MASTER, pid != null);
  }

  /**
   * Sets a recovered container's work folder, which the NodeManager keeps in its state store only for
   * containers with a retry policy: the folder of the container in the first local dir that has one.
   */
  static void recoverWorkDir(Context context, Container container) {
    if (container.getWorkDir() != null) {
      return;
    }
    ContainerId id = container.getContainerId();
    String relative = ContainerLocalizer.USERCACHE + "/" + container.getUser() + "/" + ContainerLocalizer.APPCACHE
        + "/" + id.getApplicationAttemptId().getApplicationId() + "/" + id;
    for (String localDir : context.getLocalDirsHandler().getLocalDirsForRead()) {
      Path workDir = Path.of(localDir, relative);
      if (Files.isDirectory(workDir)) {
        container.setWorkDir(workDir.toString());
        return;
      }
    }
  }

  /**
   * Whether the NodeManager's state store records the container as asked to stop: its recovery then kills
   * it once its launch is reported (Hadoop keeps that flag inside the recovered container).
   */
  static boolean recordedStopped(Context context, ContainerId id) {
    try (RecoveryIterator<RecoveredContainerState> states = context.getNMStateStore().getContainerStateIterator()) {
      while (states.hasNext()) {
        RecoveredContainerState state = states.next();
        if (state.getContainerId().equals(id)) {
          return state.getKilled();
        }
      }
    } catch (IOException unreadable) {
      // As if not stopped: the recovery itself read the same store moments ago.
    }
    return false;
  }

  /** A container of this NodeManager, of C1's application, whose mark names C1. */
  static Optional<Container> replacementOf(Context context, ContainerId c1) {
    String id = c1.toString();
    return context.getContainers().values().stream()
        .filter(c -> c.getContainerId().getApplicationAttemptId().getApplicationId()
            .equals(c1.getApplicationAttemptId().getApplicationId()))
        .filter(c -> mark(c).filter(id::equals).isPresent())
        .findFirst();
  }

  private static String applicationOf(Container container) {
    return container.getContainerId().getApplicationAttemptId().getApplicationId().toString();
  }
}
