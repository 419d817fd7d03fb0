package io.workerpool.flink.cli;

import io.workerpool.flink.InPlaceRestart;
import io.workerpool.flink.RestartException;
import io.workerpool.flink.RestartReport;
import io.workerpool.flink.RestartRequest;
import io.workerpool.flink.StateMode;
import java.io.PrintStream;
import java.lang.reflect.UndeclaredThrowableException;
import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.flink.client.cli.CliArgsException;
import org.apache.flink.client.cli.CliFrontend;
import org.apache.flink.client.cli.CliFrontendParser;
import org.apache.flink.client.cli.CustomCommandLine;
import org.apache.flink.client.cli.ExecutionConfigAccessor;
import org.apache.flink.client.cli.ProgramOptions;
import org.apache.flink.client.deployment.application.ApplicationConfiguration;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.security.SecurityConfiguration;
import org.apache.flink.runtime.security.SecurityUtils;
import org.apache.flink.util.ExceptionUtils;
import org.apache.flink.yarn.Utils;
import org.apache.flink.yarn.configuration.YarnConfigOptions;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flink's command line with one more action, {@code restart --in-place}; every other action is
 * Flink's own. {@code bin/flink} of this module runs it for {@code restart} only.
 */
public class InPlaceCliFrontend extends CliFrontend {
  public static final String ACTION = "restart";
  private static final Logger LOG = LoggerFactory.getLogger(InPlaceCliFrontend.class);
  private static final String USAGE = "flink restart --in-place -t yarn-application -Dyarn.application.id=<id>"
      + " [--mode savepoint|stateless|last-state] [--savepoint-dir <dir>] [--timeout <seconds>] [-D key=value ...]"
      + " <jar> [args]";

  static final Option IN_PLACE = Option.builder().longOpt("in-place")
      .desc("restart the running application on its TaskManager containers (Worker Pool for YARN)").build();
  static final Option MODE = Option.builder().longOpt("mode").hasArg().argName("mode")
      .desc("savepoint (default: a savepoint is taken while the job runs and restored), stateless, or last-state"
          + " (ZooKeeper HA: the latest checkpoint)").build();
  static final Option SAVEPOINT_DIR = Option.builder().longOpt("savepoint-dir").hasArg().argName("dir")
      .desc("where the savepoint goes (default: execution.checkpointing.savepoint-dir)").build();
  static final Option TIMEOUT = Option.builder().longOpt("timeout").hasArg().argName("seconds")
      .desc("longest wait for the savepoint, the update and the job's start, each (default 300)").build();

  private final PrintStream out;
  private final PrintStream err;
  private final YarnConfiguration yarnConfiguration;

  public InPlaceCliFrontend(Configuration configuration, List<CustomCommandLine> customCommandLines) {
    this(configuration, customCommandLines, null, System.out, System.err);
  }

  /** @param yarnConfiguration the YARN configuration to use, or null to load it the way Flink does */
  public InPlaceCliFrontend(Configuration configuration, List<CustomCommandLine> customCommandLines,
      YarnConfiguration yarnConfiguration, PrintStream out, PrintStream err) {
    super(configuration, customCommandLines);
    this.yarnConfiguration = yarnConfiguration;
    this.out = out;
    this.err = err;
  }

  @Override
  public int parseAndRun(String[] args) {
    if (args.length > 0 && ACTION.equals(args[0])) {
      return restart(Arrays.copyOfRange(args, 1, args.length));
    }
    return super.parseAndRun(args);
  }

  static Options restartOptions() {
    return CliFrontendParser.getRunCommandOptions().addOption(IN_PLACE).addOption(MODE).addOption(SAVEPOINT_DIR)
        .addOption(TIMEOUT);
  }

  int restart(String[] args) {
    try {
      CommandLine line = getCommandLine(restartOptions(), args, true);
      if (line.hasOption("h")) {
        new HelpFormatter().printHelp(new java.io.PrintWriter(out, true), 120, USAGE, "", restartOptions(), 2, 4, "");
        return 0;
      }
      if (!line.hasOption(IN_PLACE.getLongOpt())) {
        err.println("error: flink restart only restarts in place: add --in-place. It replaces the JobManager of a"
            + " running YARN application and keeps its TaskManager containers (the Worker Pool must be enabled in"
            + " the ResourceManager). To restart the ordinary way, take a savepoint (flink savepoint), stop the"
            + " application and run it again with -s <savepoint>.\nusage: " + USAGE);
        return 1;
      }
      RestartRequest request = request(line);
      YarnConfiguration yarnConf = yarnConfiguration != null ? yarnConfiguration
          : Utils.getYarnAndHadoopConfiguration(request.flinkConfiguration());
      RestartReport report = new InPlaceRestart(yarnConf, out::println).restart(request);
      out.print(report.format());
      return 0;
    } catch (CliArgsException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage() + "\nusage: " + USAGE);
      return 1;
    } catch (RestartException e) {
      LOG.warn("flink restart --in-place refused or failed: {}", e.getMessage());
      err.println("error: " + e.getMessage());
      return 1;
    } catch (Throwable e) {
      Throwable stripped = ExceptionUtils.stripException(e, UndeclaredThrowableException.class);
      LOG.error("flink restart --in-place failed", stripped);
      err.println("error: " + message(stripped));
      return 1;
    }
  }

  private RestartRequest request(CommandLine line) throws Exception {
    Configuration conf = new Configuration(getConfiguration());
    conf.addAll(validateAndGetActiveCommandLine(line).toConfiguration(line));
    String target = conf.get(DeploymentOptions.TARGET);
    if (!"yarn-application".equals(target)) {
      throw new CliArgsException("restart --in-place works on YARN application clusters: pass -t yarn-application"
          + (target == null ? "" : " (got -t " + target + ")"));
    }
    String appId = conf.get(YarnConfigOptions.APPLICATION_ID);
    if (appId == null) {
      throw new CliArgsException("which application? pass -Dyarn.application.id=<application id>");
    }
    if (line.hasOption("s")) {
      throw new CliArgsException("restart does not take -s: --mode savepoint takes a fresh savepoint of the running"
          + " job, --mode last-state uses its latest checkpoint");
    }
    ProgramOptions program = ProgramOptions.create(line);
    program.validate();
    URI jar = PackagedProgramUtils.resolveURI(program.getJarFilePath());
    ExecutionConfigAccessor.fromProgramOptions(program, List.of(jar.toString())).applyToConfiguration(conf);
    StateMode mode = StateMode.parse(line.getOptionValue(MODE.getLongOpt(), StateMode.SAVEPOINT.cliName()));
    return new RestartRequest(ApplicationId.fromString(appId), conf,
        new ApplicationConfiguration(program.getProgramArgs(), program.getEntryPointClassName()), mode,
        line.getOptionValue(SAVEPOINT_DIR.getLongOpt()), timeout(line));
  }

  private static Duration timeout(CommandLine line) {
    String value = line.getOptionValue(TIMEOUT.getLongOpt(), "300");
    try {
      return Duration.ofSeconds(Long.parseLong(value));
    } catch (NumberFormatException e) {
      try {
        return Duration.parse(value);
      } catch (DateTimeParseException notIso) {
        throw new IllegalArgumentException("--timeout takes seconds or an ISO-8601 duration, got '" + value + "'");
      }
    }
  }

  private static String message(Throwable e) {
    Throwable restart = ExceptionUtils.findThrowable(e, RestartException.class).orElse(null);
    if (restart != null) {
      return restart.getMessage();
    }
    Throwable root = ExceptionUtils.findThrowable(e, t -> t.getCause() == null).orElse(e);
    return e.getMessage() + (root == e ? "" : " (" + root.getMessage() + ")");
  }

  /** {@code bin/flink restart ...}: Flink's own start-up (configuration, command lines, security), then the action. */
  public static void main(String[] args) {
    int code = 1;
    try {
      String confDir = getConfigurationDirectoryFromEnv();
      Configuration conf = GlobalConfiguration.loadConfiguration(confDir);
      List<CustomCommandLine> commandLines = loadCustomCommandLines(conf, confDir);
      InPlaceCliFrontend cli = new InPlaceCliFrontend(conf, commandLines);
      SecurityUtils.install(new SecurityConfiguration(cli.getConfiguration()));
      code = SecurityUtils.getInstalledContext().runSecured(() -> cli.parseAndRun(args));
    } catch (Throwable t) {
      System.err.println("error: " + message(t));
    } finally {
      System.exit(code);
    }
  }
}
