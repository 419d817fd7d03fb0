package io.workerpool.client.cli;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * The CLI's description of a new AM launch context, as JSON:
 * <pre>
 * {"commands": ["$JAVA_HOME/bin/java ... 1>&lt;LOG_DIR&gt;/stdout"],
 *  "environment": {"KEY": "value"},
 *  "localResources": {"job.jar": {"path": "hdfs:///apps/job-v2.jar", "type": "FILE", "visibility": "APPLICATION"}},
 *  "acls": {"VIEW_APP": "alice", "MODIFY_APP": "alice"}}
 * </pre>
 * Sizes and timestamps of local resources are read from their file system, as YARN requires.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public final class LaunchContextFile {
  public List<String> commands = List.of();
  public Map<String, String> environment = Map.of();
  public Map<String, ResourceEntry> localResources = Map.of();
  public Map<ApplicationAccessType, String> acls = Map.of();

  public static final class ResourceEntry {
    public String path;
    public LocalResourceType type = LocalResourceType.FILE;
    public LocalResourceVisibility visibility = LocalResourceVisibility.APPLICATION;
    public String pattern;
  }

  public static ContainerLaunchContext read(File file, Configuration conf) throws IOException {
    LaunchContextFile spec;
    try {
      spec = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .readValue(file, LaunchContextFile.class);
    } catch (IOException e) {
      throw new IOException("cannot read the launch context file " + file + ": " + e.getMessage(), e);
    }
    if (spec.commands.isEmpty()) {
      throw new IOException("the launch context file " + file + " has no \"commands\"");
    }
    Credentials credentials = new Credentials();
    Map<String, LocalResource> resources = new LinkedHashMap<>();
    for (Map.Entry<String, ResourceEntry> entry : spec.localResources.entrySet()) {
      ResourceEntry r = entry.getValue();
      if (r.path == null) {
        throw new IOException("local resource \"" + entry.getKey() + "\" has no \"path\"");
      }
      Path path = new Path(r.path);
      FileSystem fs = path.getFileSystem(conf);
      FileStatus status = fs.getFileStatus(path);
      resources.put(entry.getKey(), LocalResource.newInstance(URL.fromPath(fs.makeQualified(path)), r.type,
          r.visibility, status.getLen(), status.getModificationTime(), r.pattern));
      if (UserGroupInformation.isSecurityEnabled()) {
        // The RM renews the application's tokens, so it must be their renewer (as for submission).
        fs.addDelegationTokens(YarnClientUtils.getRmPrincipal(conf), credentials);
      }
    }
    DataOutputBuffer tokens = new DataOutputBuffer();
    credentials.writeTokenStorageToStream(tokens);
    return ContainerLaunchContext.newInstance(resources, spec.environment, spec.commands, null,
        ByteBuffer.wrap(tokens.getData(), 0, tokens.getLength()), spec.acls);
  }
}
