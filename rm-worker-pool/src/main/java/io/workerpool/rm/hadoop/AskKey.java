package io.workerpool.rm.hadoop;

import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.ResourceRequest;

/** The key under which an AM's asks replace each other: priority, allocation request id and capability. */
record AskKey(Priority priority, long allocationRequestId, Resource capability) {
  static AskKey of(ResourceRequest request) {
    return new AskKey(request.getPriority(), request.getAllocationRequestId(), request.getCapability());
  }

  /** The request with another count. */
  static ResourceRequest withCount(ResourceRequest request, int count) {
    ResourceRequest copy = ResourceRequest.clone(request);
    copy.setNumContainers(count);
    return copy;
  }
}
