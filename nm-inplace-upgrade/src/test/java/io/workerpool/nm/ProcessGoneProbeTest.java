package io.workerpool.nm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.junit.jupiter.api.Test;

class ProcessGoneProbeTest {
  /** Not reached by these cases: only a known pid is checked. */
  private final ProcessGoneProbe probe = new ProcessGoneProbe(null, null);

  private static Container in(ContainerState state) {
    return (Container) Proxy.newProxyInstance(Container.class.getClassLoader(), new Class<?>[] {Container.class},
        (proxy, method, args) -> {
          if (method.getName().equals("getContainerState")) {
            return state;
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  @Test
  void aContainerWhoseProcessHasNotExitedIsNotGone() {
    assertFalse(probe.isGone(in(ContainerState.RUNNING), null, null, null, true));
    assertFalse(probe.isGone(in(ContainerState.KILLING), null, null, null, true));
  }

  @Test
  void anExitedContainerWithoutAKnownPidIsNotGoneDuringTheGrace() {
    assertFalse(probe.isGone(in(ContainerState.CONTAINER_CLEANEDUP_AFTER_KILL), null, null, null, false));
    assertFalse(probe.isGone(in(ContainerState.EXITED_WITH_FAILURE), null, null, null, false));
  }

  @Test
  void anExitedContainerWithoutAKnownPidIsGoneOnceTheGraceIsOver() {
    assertTrue(probe.isGone(in(ContainerState.CONTAINER_CLEANEDUP_AFTER_KILL), null, null, null, true));
    assertTrue(probe.isGone(in(ContainerState.DONE), null, null, null, true));
  }

  @Test
  void aContainerTheNodeManagerNoLongerKnowsWithoutARecordedPidIsGone() {
    assertTrue(probe.isGone(null, null, null, null, false));
  }

  @Test
  void anExitedContainerIsGoneOnlyOnceNothingOfItsGroupIsLeftInTheProcessTable() throws Exception {
    ProcessGoneProbe onThisHost = new ProcessGoneProbe(null, ProcessGroups.ofThisHost());
    // setsid execs sleep as the leader of a group of its own, as a container's launch does.
    Process leader = new ProcessBuilder("setsid", "sleep", "30").start();
    String pid = Long.toString(leader.pid());
    try {
      assertFalse(onThisHost.isGone(in(ContainerState.DONE), null, pid, null, true),
          "its process runs, whatever the NodeManager's state says");
    } finally {
      leader.destroyForcibly().waitFor();
    }
    assertTrue(onThisHost.isGone(in(ContainerState.DONE), null, pid, null, false), "nothing of its group is left");
    assertFalse(onThisHost.isGone(in(ContainerState.KILLING), null, pid, null, false),
        "not before the NodeManager has seen the exit");
  }
}
