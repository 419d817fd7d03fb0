package io.workerpool.client.cli;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.DataOutputBuffer;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationAccessType;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.LocalResource;
import org.apache.hadoop.yarn.api.records.LocalResourceType;
import org.apache.hadoop.yarn.api.records.LocalResourceVisibility;
import org.apache.hadoop.yarn.api.records.URL;
import org.apache.hadoop.yarn.client.util.YarnClientUtils;

/**
 * The CLI's description of an AM launch context, as JSON (what {@code launch-context --json} prints and
 * {@code update --launch-context} reads):
 * <pre>
 * {"commands": ["$JAVA_HOME/bin/java ... 1>&lt;LOG_DIR&gt;/stdout"],
 *  "environment": {"KEY": "value"},
 *  "localResources": {"job.jar": {"path": "hdfs:///apps/job-v2.jar", "type": "FILE", "visibility": "APPLICATION"}},
 *  "acls": {"VIEW_APP": "alice", "MODIFY_APP": "alice"}}
 * </pre>
 * Sizes and timestamps of local resources are read from their file system, as YARN requires. The
 * values of secret-looking environment variables are never printed: they show as {@link #SECRET_KEPT},
 * which an update replaces with the application's current value.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonPropertyOrder({"commands", "environment", "localResources", "acls"})
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public final class LaunchContextFile {
  public static final String SECRET_KEPT = "<secret: the current value is kept>";
  private static final Pattern SECRET_NAME =
      Pattern.compile("(?i).*(SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY).*");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(SerializationFeature.INDENT_OUTPUT);

  public List<String> commands = new ArrayList<>();
  public Map<String, String> environment = new TreeMap<>();
  public Map<String, ResourceEntry> localResources = new TreeMap<>();
  public Map<ApplicationAccessType, String> acls = new LinkedHashMap<>();

  @JsonPropertyOrder({"path", "type", "visibility", "pattern"})
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static final class ResourceEntry {
    public String path;
    public LocalResourceType type = LocalResourceType.FILE;
    public LocalResourceVisibility visibility = LocalResourceVisibility.APPLICATION;
    public String pattern;

    public ResourceEntry() {
    }

    public ResourceEntry(String path, LocalResourceType type, LocalResourceVisibility visibility, String pattern) {
      this.path = path;
      this.type = type;
      this.visibility = visibility;
      this.pattern = pattern;
    }
  }

  public static LaunchContextFile parse(File file) throws IOException {
    LaunchContextFile spec;
    try {
      spec = JSON.readValue(file, LaunchContextFile.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException("cannot read the launch context file " + file + ": " + e.getOriginalMessage()
          + " (line " + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")", e);
    } catch (IOException e) {
      throw new IOException("cannot read the launch context file " + file + ": " + e.getMessage(), e);
    }
    if (spec.commands.isEmpty()) {
      throw new IOException("the launch context file " + file + " has no \"commands\"");
    }
    return spec;
  }

  /** The file form of an application's launch context; secret environment values are replaced. */
  public static LaunchContextFile of(ContainerLaunchContext context) {
    LaunchContextFile spec = new LaunchContextFile();
    spec.commands.addAll(context.getCommands());
    context.getEnvironment().forEach((k, v) -> spec.environment.put(k, isSecret(k) ? SECRET_KEPT : v));
    context.getLocalResources().forEach((name, r) -> {
      try {
        spec.localResources.put(name, new ResourceEntry(r.getResource().toPath().toString(), r.getType(),
            r.getVisibility(), r.getPattern()));
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException("local resource " + name + " has no valid URL: " + e.getMessage(), e);
      }
    });
    return spec;
  }

  static boolean isSecret(String name) {
    return SECRET_NAME.matcher(name).matches();
  }

  public String toJson() throws IOException {
    return JSON.writeValueAsString(this) + "\n";
  }

  /**
   * The launch context this file describes. Secret placeholders take their values from {@code current};
   * every local resource must be readable.
   */
  public ContainerLaunchContext toLaunchContext(Configuration conf, ContainerLaunchContext current)
      throws IOException {
    if (commands.isEmpty()) {
      throw new IOException("the launch context has no command");
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : environment.entrySet()) {
      String value = e.getValue();
      if (SECRET_KEPT.equals(value)) {
        value = current == null ? null : current.getEnvironment().get(e.getKey());
        if (value == null) {
          throw new IOException("environment " + e.getKey() + " is \"" + SECRET_KEPT
              + "\" but the application has no current value for it: give the value");
        }
      }
      env.put(e.getKey(), value);
    }
    Credentials credentials = new Credentials();
    Map<String, LocalResource> resources = new LinkedHashMap<>();
    for (Map.Entry<String, ResourceEntry> entry : localResources.entrySet()) {
      resources.put(entry.getKey(), resolve(entry.getKey(), entry.getValue(), conf, credentials));
    }
    DataOutputBuffer tokens = new DataOutputBuffer();
    credentials.writeTokenStorageToStream(tokens);
    return ContainerLaunchContext.newInstance(resources, env, commands, null,
        ByteBuffer.wrap(tokens.getData(), 0, tokens.getLength()), acls);
  }

  private static LocalResource resolve(String name, ResourceEntry r, Configuration conf, Credentials credentials)
      throws IOException {
    if (r.path == null) {
      throw new IOException("local resource \"" + name + "\" has no \"path\"");
    }
    FileStatus status;
    FileSystem fs;
    Path path;
    try {
      path = new Path(r.path);
      fs = path.getFileSystem(conf);
      status = fs.getFileStatus(path);
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException("local resource \"" + name + "\": cannot read " + r.path + ": " + e.getMessage(), e);
    }
    if (UserGroupInformation.isSecurityEnabled()) {
      // The RM renews the application's tokens, so it must be their renewer (as for submission).
      fs.addDelegationTokens(YarnClientUtils.getRmPrincipal(conf), credentials);
    }
    return LocalResource.newInstance(URL.fromPath(fs.makeQualified(path)), r.type, r.visibility,
        status.getLen(), status.getModificationTime(), r.pattern);
  }
}
