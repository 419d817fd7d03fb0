package io.workerpool.it.security;

import io.workerpool.client.WorkerPoolClient;
import io.workerpool.it.app.TestApplication;
import io.workerpool.it.app.TestApplication.SubmitOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.lang.reflect.UndeclaredThrowableException;
import java.security.PrivilegedExceptionAction;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.DataOutputBuffer;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationAccessType;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;

/** Acting as other users on one test cluster: submitting as them and calling the Worker Pool as them. */
final class SecurityFixture {
  private SecurityFixture() {
  }

  interface ClientCall<T> {
    T run(WorkerPoolClient client) throws Exception;
  }

  static <T> T as(UserGroupInformation user, PrivilegedExceptionAction<T> action) throws Exception {
    try {
      return user.doAs(action);
    } catch (UndeclaredThrowableException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  /** A started Worker Pool client of {@code user}, stopped after the call. */
  static <T> T withClient(UserGroupInformation user, Configuration conf, ClientCall<T> call) throws Exception {
    return as(user, () -> {
      WorkerPoolClient client = new WorkerPoolClient();
      client.init(conf);
      client.start();
      try {
        return call.run(client);
      } finally {
        client.stop();
      }
    });
  }

  /** Submits the test application as {@code owner}, with application ACLs, as TestApplication.submit does. */
  static ApplicationId submit(UserGroupInformation owner, Configuration conf, TestApplication app, String name,
      int workers, int workerMb, Map<ApplicationAccessType, String> acls) throws Exception {
    return submit(owner, conf, app, name, workers, workerMb, acls, launchContext -> { });
  }

  /** @param customize changes the AM launch context before it is submitted (tokens, environment) */
  static ApplicationId submit(UserGroupInformation owner, Configuration conf, TestApplication app, String name,
      int workers, int workerMb, Map<ApplicationAccessType, String> acls, Consumer<ContainerLaunchContext> customize)
      throws Exception {
    return as(owner, () -> {
      try (YarnClient yarn = YarnClient.createYarnClient()) {
        yarn.init(conf);
        yarn.start();
        YarnClientApplication created = yarn.createApplication();
        ApplicationSubmissionContext context = created.getApplicationSubmissionContext();
        SubmitOptions options = SubmitOptions.defaults(name);
        context.setApplicationName(options.name());
        context.setApplicationType("WORKER-POOL-TEST");
        context.setKeepContainersAcrossApplicationAttempts(options.keepContainers());
        context.setMaxAppAttempts(options.maxAttempts());
        context.setResource(Resource.newInstance(TestApplication.AM_MB, 1));
        ContainerLaunchContext launchContext = app.amLaunchContext("1", workers, workerMb);
        launchContext.setApplicationACLs(acls);
        customize.accept(launchContext);
        context.setAMContainerSpec(launchContext);
        return yarn.submitApplication(context);
      }
    });
  }

  static ByteBuffer tokens(Credentials credentials) throws IOException {
    DataOutputBuffer out = new DataOutputBuffer();
    credentials.writeTokenStorageToStream(out);
    return ByteBuffer.wrap(out.getData(), 0, out.getLength());
  }
}
