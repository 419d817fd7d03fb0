package io.workerpool.it.cluster;

import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.app.TestApplication;

/** A cluster with the Worker Pool on, the test application staged on it, and a started Worker Pool client. */
public final class UpdateFixture implements AutoCloseable {
  private final TestCluster cluster;
  private final TestApplication app;
  private final WorkerPoolClient client;

  private UpdateFixture(TestCluster cluster, TestApplication app, WorkerPoolClient client) {
    this.cluster = cluster;
    this.app = app;
    this.client = client;
  }

  /** @param imageBytes size of the image resource that stands for a container image */
  public static UpdateFixture start(TestCluster.Builder builder, long claimTimeoutMs, long imageBytes)
      throws Exception {
    TestCluster cluster = WorkerPoolSettings.apply(builder, claimTimeoutMs, true).start();
    TestApplication app = TestApplication.stage(cluster.workDir().resolve("staging"), cluster.report(),
        cluster.confDir(), imageBytes);
    WorkerPoolClient client = new WorkerPoolClient();
    client.init(cluster.config());
    client.start();
    return new UpdateFixture(cluster, app, client);
  }

  public TestCluster cluster() {
    return cluster;
  }

  public TestApplication app() {
    return app;
  }

  public WorkerPoolClient client() {
    return client;
  }

  @Override
  public void close() throws Exception {
    client.stop();
    cluster.close();
  }
}
