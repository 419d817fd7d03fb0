package io.workerpool.rm.hadoop;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.server.resourcemanager.rmnode.RMNode;
import org.apache.hadoop.yarn.server.resourcemanager.rmnode.UpdatedContainerInfo;

/**
 * A node as the scheduler's {@code nodeUpdate} sees it, without the completions of containers whose place the
 * Worker Pool holds. The stock path releases a completed container from its node right after the completion
 * callback (AbstractYarnScheduler.updateCompletedContainers): a held place must never get there, or the node
 * would count it free while the application is still charged for it.
 */
final class HeldPlacesFilter {
  private HeldPlacesFilter() {
  }

  /** @param holds decides, for each completion the node reports, whether its place is held (and records it) */
  static RMNode withoutHeldCompletions(RMNode node, Predicate<ContainerStatus> holds) {
    return (RMNode) Proxy.newProxyInstance(RMNode.class.getClassLoader(), new Class<?>[] {RMNode.class},
        (proxy, method, args) -> {
          if (method.getName().equals("pullContainerUpdates")) {
            return withoutHeld(node.pullContainerUpdates(), holds);
          }
          try {
            return method.invoke(node, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private static List<UpdatedContainerInfo> withoutHeld(List<UpdatedContainerInfo> pulled,
      Predicate<ContainerStatus> holds) {
    List<UpdatedContainerInfo> filtered = new ArrayList<>(pulled.size());
    for (UpdatedContainerInfo info : pulled) {
      List<ContainerStatus> completed = new ArrayList<>(info.getCompletedContainers());
      if (completed.removeIf(holds)) {
        filtered.add(new UpdatedContainerInfo(info.getNewlyLaunchedContainers(), completed,
            info.getUpdateContainers()));
      } else {
        filtered.add(info);
      }
    }
    return filtered;
  }
}
