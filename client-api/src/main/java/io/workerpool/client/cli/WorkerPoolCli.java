package io.workerpool.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.workerpool.client.UpdateHandle;
import io.workerpool.client.WorkerPoolClient;
import io.workerpool.proto.PhaseTime;
import io.workerpool.proto.UpdateEvent;
import io.workerpool.proto.UpdateStatus;
import io.workerpool.proto.WorkerRecord;
import java.io.File;
import java.io.PrintWriter;
import java.lang.reflect.UndeclaredThrowableException;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.YarnException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code worker-pool update|launch-context|status|watch|cancel}: the Worker Pool from a shell. */
@Command(name = "worker-pool", mixinStandardHelpOptions = true,
    description = "Update running YARN applications in place, keeping their workers.",
    subcommands = {WorkerPoolCli.Update.class, WorkerPoolCli.LaunchContext.class, WorkerPoolCli.Status.class,
        WorkerPoolCli.Watch.class, WorkerPoolCli.Cancel.class})
public final class WorkerPoolCli {
  private final YarnConfiguration conf;
  private final PrintWriter out;

  WorkerPoolCli(YarnConfiguration conf, PrintWriter out) {
    this.conf = conf;
    this.out = out;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    System.exit(run(new YarnConfiguration(), out, new PrintWriter(System.err, true), args));
  }

  /** Runs one command; returns the exit code (0 ok, 1 refused or failed update, 2 bad usage). */
  public static int run(YarnConfiguration conf, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new WorkerPoolCli(conf, out));
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler((e, arguments) -> {
      e.getCommandLine().getErr().println("worker-pool: " + e.getMessage() + " (see --help)");
      return 2;
    });
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("worker-pool: " + e.getMessage());
      return 1;
    });
    return cli.execute(args);
  }

  /** Runs the call with a started client, as {@code proxyUser} (Hadoop impersonation) when given. */
  private <T> T withClient(String proxyUser, ClientCall<T> call) throws Exception {
    if (proxyUser == null) {
      return withClient(call);
    }
    UserGroupInformation proxy = UserGroupInformation.createProxyUser(proxyUser, UserGroupInformation.getLoginUser());
    try {
      return proxy.doAs((PrivilegedExceptionAction<T>) () -> withClient(call));
    } catch (UndeclaredThrowableException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private <T> T withClient(ClientCall<T> call) throws Exception {
    WorkerPoolClient client = new WorkerPoolClient();
    client.init(conf);
    client.start();
    try {
      return call.run(client);
    } finally {
      client.stop();
    }
  }

  private interface ClientCall<T> {
    T run(WorkerPoolClient client) throws Exception;
  }

  static class Output {
    @Option(names = "--json", description = "Print the status as JSON.")
    boolean json;

    @Option(names = "--proxy-user", paramLabel = "USER", description = "Act as USER (the application's owner), as a"
        + " proxy user the RM's hadoop.proxyuser.* rules allow; for platform services that update users' jobs.")
    String proxyUser;
  }

  @Command(name = "update", description = "Replace the application's AM with a new launch context, keeping its workers."
      + " The new context is a whole file (--launch-context) or edits of the current one (--set-env, --unset-env,"
      + " --set-resource, --command); the file's edits apply on top of the file.")
  static final class Update extends Output implements Callable<Integer> {
    @CommandLine.ParentCommand
    WorkerPoolCli parent;

    @Parameters(index = "0", paramLabel = "APPLICATION_ID")
    String applicationId;

    @Option(names = "--launch-context", paramLabel = "FILE",
        description = "JSON file with the new AM launch context (as 'launch-context --json' prints it).")
    File launchContext;

    @CommandLine.Mixin
    LaunchContextEdits edits;

    @Option(names = "--dry-run", description = "Check the new launch context and print its diff against the current one;"
        + " change nothing.")
    boolean dryRun;

    @Option(names = "--request-id", defaultValue = "", description = "Idempotency key: a retry returns the same update.")
    String requestId;

    @Option(names = "--timeout", defaultValue = "PT10M", description = "How long to wait (ISO-8601, e.g. PT5M).")
    Duration timeout;

    @Option(names = "--no-wait", description = "Return once the update is accepted.")
    boolean noWait;

    @Option(names = "--am-memory", paramLabel = "MB", description = "A new AM container memory; the new AM takes the"
        + " old AM's place when it fits on that node, else it is scheduled as usual.")
    Long amMemoryMb;

    @Option(names = "--am-vcores", paramLabel = "N", defaultValue = "1",
        description = "The new AM container's vcores, with --am-memory (default: ${DEFAULT-VALUE}).")
    int amVcores;

    @Override
    public Integer call() throws Exception {
      ApplicationId appId = parseApplicationId(applicationId);
      if (launchContext == null && !edits.any()) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "give the new launch context: --launch-context FILE, or edits (--set-env, --unset-env, --set-resource,"
                + " --command)");
      }
      LaunchContextFile spec = launchContext == null ? null : LaunchContextFile.parse(launchContext);
      return parent.withClient(proxyUser, client -> {
        ContainerLaunchContext current = client.getAmLaunchContext(appId);
        LaunchContextFile updated = spec != null ? spec : LaunchContextFile.of(current);
        try {
          edits.applyTo(updated);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        ContainerLaunchContext context = updated.toLaunchContext(parent.conf, current);
        if (dryRun) {
          ContextDiff.unified(LaunchContextFile.of(current).toJson(), LaunchContextFile.of(context).toJson())
              .forEach(parent.out::println);
          parent.out.println("dry run: " + appId + " was not changed");
          return 0;
        }
        Resource amResource = amMemoryMb == null ? null : Resource.newInstance(amMemoryMb, amVcores);
        UpdateHandle handle = client.updateApplication(appId, context, amResource, requestId);
        parent.out.println("update " + handle.updateId() + " accepted for " + appId);
        if (noWait) {
          return 0;
        }
        return parent.follow(handle::await, timeout, json);
      });
    }
  }

  @Command(name = "launch-context", description = "Print the application's current AM launch context (tokens and"
      + " secret environment values are not shown); with --json in the format 'update --launch-context' reads.")
  static final class LaunchContext implements Callable<Integer> {
    @CommandLine.ParentCommand
    WorkerPoolCli parent;

    @Parameters(index = "0", paramLabel = "APPLICATION_ID")
    String applicationId;

    @Option(names = "--json", description = "Print the launch context file (JSON) instead of a listing.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      ApplicationId appId = parseApplicationId(applicationId);
      ContainerLaunchContext context = parent.withClient(client -> client.getAmLaunchContext(appId));
      LaunchContextFile spec = LaunchContextFile.of(context);
      if (json) {
        parent.out.print(spec.toJson());
        parent.out.flush();
        return 0;
      }
      parent.out.println("AM launch context of " + appId);
      parent.out.println("commands:");
      spec.commands.forEach(c -> parent.out.println("  " + c));
      parent.out.println("environment:");
      spec.environment.forEach((k, v) -> parent.out.println("  " + k + "=" + v));
      parent.out.println("local resources:");
      context.getLocalResources().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
          .forEach(e -> parent.out.printf("  %-24s %-8s %-12s %12d bytes  %s%n", e.getKey(), e.getValue().getType(),
              e.getValue().getVisibility(), e.getValue().getSize(), spec.localResources.get(e.getKey()).path));
      return 0;
    }
  }

  @Command(name = "status", description = "Show an update (by update id) or the latest update of an application.")
  static final class Status extends Output implements Callable<Integer> {
    @CommandLine.ParentCommand
    WorkerPoolCli parent;

    @Parameters(index = "0", paramLabel = "UPDATE_ID|APPLICATION_ID")
    String id;

    @Override
    public Integer call() throws Exception {
      UpdateStatus status = parent.withClient(proxyUser, client -> id.startsWith("application_")
          ? client.latestUpdate(parseApplicationId(id)) : client.getUpdate(id));
      parent.print(status, json);
      return 0;
    }
  }

  @Command(name = "watch", description = "Follow an update's progress until it ends.")
  static final class Watch extends Output implements Callable<Integer> {
    @CommandLine.ParentCommand
    WorkerPoolCli parent;

    @Parameters(index = "0", paramLabel = "UPDATE_ID")
    String updateId;

    @Option(names = "--timeout", defaultValue = "PT10M", description = "How long to wait (ISO-8601).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
      return parent.withClient(proxyUser, client -> parent.follow(
          (t, progress) -> {
            Iterator<UpdateEvent> events = client.watchUpdate(updateId);
            UpdateStatus last = null;
            while (events.hasNext()) {
              UpdateEvent event = events.next();
              progress.accept(event);
              last = event.getStatus();
            }
            return last;
          }, timeout, json));
    }
  }

  @Command(name = "cancel", description = "Cancel an update that has not yet ended the old AM.")
  static final class Cancel extends Output implements Callable<Integer> {
    @CommandLine.ParentCommand
    WorkerPoolCli parent;

    @Parameters(index = "0", paramLabel = "UPDATE_ID")
    String updateId;

    @Override
    public Integer call() throws Exception {
      parent.print(parent.withClient(proxyUser, client -> client.cancelUpdate(updateId)), json);
      return 0;
    }
  }

  private interface Awaiter {
    UpdateStatus await(Duration timeout, java.util.function.Consumer<UpdateEvent> progress)
        throws YarnException, TimeoutException;
  }

  private int follow(Awaiter awaiter, Duration timeout, boolean json) throws Exception {
    long start = System.currentTimeMillis();
    UpdateStatus last = awaiter.await(timeout, event -> {
      if (!json) {
        out.printf("[%6.1fs] %-12s %s%n", (event.getAtMs() - start) / 1000.0, event.getStatus().getPhase(),
            event.getMessage());
      }
    });
    print(last, json);
    return last.getPhase() == io.workerpool.proto.UpdatePhase.SUCCEEDED ? 0 : 1;
  }

  void print(UpdateStatus status, boolean json) throws InvalidProtocolBufferException {
    if (json) {
      out.println(JsonFormat.printer().print(status));
      return;
    }
    out.println("update " + status.getUpdateId() + " of " + status.getApplicationId() + ": " + status.getPhase()
        + (status.getDiagnostics().isEmpty() ? "" : " (" + status.getDiagnostics() + ")"));
    if (!status.getOldAttemptId().isEmpty()) {
      out.println("attempts: " + status.getOldAttemptId() + " -> " + status.getNewAttemptId());
    }
    long accepted = status.getPhaseTimesCount() == 0 ? 0 : status.getPhaseTimes(0).getEnteredAtMs();
    StringBuilder phases = new StringBuilder("phases:");
    for (PhaseTime phase : status.getPhaseTimesList()) {
      phases.append(String.format(" %s@+%dms", phase.getPhase(), phase.getEnteredAtMs() - accepted));
    }
    out.println(phases);
    out.printf("%-40s %-40s %-22s %-10s %8s %s%n", "OLD CONTAINER", "NEW CONTAINER", "NODE", "STATE",
        "CONV(ms)", "REASON");
    for (WorkerRecord w : status.getWorkersList()) {
      long conversion = w.getConvertedAtMs() == 0 ? -1 : w.getConvertedAtMs() - w.getPooledAtMs();
      out.printf("%-40s %-40s %-22s %-10s %8s %s%n", w.getOldContainerId(),
          w.getNewContainerId().isEmpty() ? "-" : w.getNewContainerId(), w.getNodeId(), w.getState(),
          conversion < 0 ? "-" : Long.toString(conversion), w.getReason());
    }
  }

  static ApplicationId parseApplicationId(String id) {
    try {
      return ApplicationId.fromString(id);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(new WorkerPoolCli(null, null)),
          "'" + id + "' is not an application id (application_<clusterTimestamp>_<sequence>)");
    }
  }
}
