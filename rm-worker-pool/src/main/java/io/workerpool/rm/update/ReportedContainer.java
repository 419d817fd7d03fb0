package io.workerpool.rm.update;

import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.Resource;

/** A container a NodeManager reports when it registers with a (restarted) ResourceManager. */
public record ReportedContainer(ContainerId id, boolean running, Resource resource) {
}
