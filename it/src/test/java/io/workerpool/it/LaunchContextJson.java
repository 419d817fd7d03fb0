package io.workerpool.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.LocalResource;

/** Writes a launch context as the CLI's {@code --launch-context} JSON file (see LaunchContextFile). */
public final class LaunchContextJson {
  private LaunchContextJson() {
  }

  public static Path write(ContainerLaunchContext context, Path file) throws IOException {
    Map<String, Object> resources = new LinkedHashMap<>();
    for (Map.Entry<String, LocalResource> entry : context.getLocalResources().entrySet()) {
      LocalResource resource = entry.getValue();
      try {
        resources.put(entry.getKey(), Map.of("path", resource.getResource().toPath().toString(),
            "type", resource.getType().name(), "visibility", resource.getVisibility().name()));
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(e);
      }
    }
    new ObjectMapper().writeValue(file.toFile(), Map.of("commands", context.getCommands(),
        "environment", context.getEnvironment(), "localResources", resources));
    return file;
  }
}
