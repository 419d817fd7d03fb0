package io.workerpool.it.realcluster;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives test classes one {@link RealCluster} for the whole test run (starting one costs half a minute
 * of a 2-core machine); it is closed, every process stopped by its pid, when the run ends. Each class
 * deploys its own applications on it.
 */
public final class SharedRealCluster implements ParameterResolver {
  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == RealCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(SharedRealCluster.class, key -> new Resource(), Resource.class).cluster;
  }

  private static final class Resource implements ExtensionContext.Store.CloseableResource {
    final RealCluster cluster;

    Resource() {
      try {
        cluster = RealCluster.builder("shared").applicationJars(Jars.jersey1())
            // Updates that ask for fewer workers than they had release the rest sooner (default 60 s); long
            // enough for a new AM whose NodeManager was restarted.
            .set("yarn.resourcemanager.worker-pool.claim-timeout-ms", "30000")
            .build().start();
      } catch (Exception e) {
        throw new IllegalStateException("the real cluster did not start: " + e.getMessage(), e);
      }
    }

    @Override
    public void close() throws Exception {
      cluster.close();
    }
  }
}
