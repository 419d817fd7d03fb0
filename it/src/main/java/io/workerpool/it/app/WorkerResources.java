package io.workerpool.it.app;

import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.yarn.api.records.LocalResource;
import org.apache.hadoop.yarn.api.records.LocalResourceType;
import org.apache.hadoop.yarn.api.records.LocalResourceVisibility;
import org.apache.hadoop.yarn.api.records.URL;

/** Passes the workers' local resources from the client to the AM in one environment variable. */
public final class WorkerResources {
  public static final String ENV = "WP_WORKER_RESOURCES";

  private WorkerResources() {
  }

  public static String encode(Map<String, LocalResource> resources) {
    StringJoiner joined = new StringJoiner(";");
    resources.forEach((name, r) -> {
      try {
        joined.add(String.join("|", name, r.getResource().toPath().toUri().toString(),
            Long.toString(r.getSize()), Long.toString(r.getTimestamp()), r.getType().name(),
            r.getVisibility().name()));
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("bad resource URL for " + name, e);
      }
    });
    return joined.toString();
  }

  public static Map<String, LocalResource> decode(String encoded) {
    Map<String, LocalResource> resources = new LinkedHashMap<>();
    for (String entry : encoded.split(";")) {
      String[] f = entry.split("\\|");
      resources.put(f[0], LocalResource.newInstance(URL.fromPath(new Path(f[1])),
          LocalResourceType.valueOf(f[4]), LocalResourceVisibility.valueOf(f[5]),
          Long.parseLong(f[2]), Long.parseLong(f[3])));
    }
    return resources;
  }
}
