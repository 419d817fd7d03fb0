package io.workerpool.protocol;

import com.google.protobuf.ByteString;
import org.apache.hadoop.thirdparty.protobuf.InvalidProtocolBufferException;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.impl.pb.ContainerLaunchContextPBImpl;
import org.apache.hadoop.yarn.proto.YarnProtos.ContainerLaunchContextProto;

/**
 * Carries a YARN {@link ContainerLaunchContext} through the Worker Pool protocol as the bytes
 * of YARN's own record, so that every field (tokens, ACLs, service data included) travels exactly.
 */
public final class LaunchContextCodec {

  private LaunchContextCodec() {
  }

  public static ByteString encode(ContainerLaunchContext launchContext) {
    ContainerLaunchContextProto proto = ((ContainerLaunchContextPBImpl) launchContext).getProto();
    return ByteString.copyFrom(proto.toByteArray());
  }

  /** @throws IllegalArgumentException when the bytes are empty or not a ContainerLaunchContext */
  public static ContainerLaunchContext decode(ByteString bytes) {
    if (bytes.isEmpty()) {
      throw new IllegalArgumentException("the AM launch context is empty");
    }
    try {
      return new ContainerLaunchContextPBImpl(ContainerLaunchContextProto.parseFrom(bytes.toByteArray()));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "the AM launch context is not a YARN ContainerLaunchContext record: " + e.getMessage(), e);
    }
  }

  public static io.workerpool.proto.Resource encode(org.apache.hadoop.yarn.api.records.Resource resource) {
    return io.workerpool.proto.Resource.newBuilder()
        .setMemoryMb(resource.getMemorySize())
        .setVcores(resource.getVirtualCores())
        .build();
  }

  public static org.apache.hadoop.yarn.api.records.Resource decode(io.workerpool.proto.Resource resource) {
    return org.apache.hadoop.yarn.api.records.Resource.newInstance(resource.getMemoryMb(), resource.getVcores());
  }
}
