package io.workerpool.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.workerpool.proto.UpdateApplicationRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.io.DataInputByteBuffer;
import org.apache.hadoop.io.DataOutputBuffer;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.yarn.api.records.ApplicationAccessType;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.LocalResource;
import org.apache.hadoop.yarn.api.records.LocalResourceType;
import org.apache.hadoop.yarn.api.records.LocalResourceVisibility;
import org.apache.hadoop.yarn.api.records.URL;
import org.junit.jupiter.api.Test;

class LaunchContextCodecTest {

  @Test
  void updateRequestCarriesEveryLaunchContextField() throws Exception {
    LocalResource image = LocalResource.newInstance(
        URL.newInstance("hdfs", "nn.example", 8020, "/apps/flink/image.tgz"),
        LocalResourceType.ARCHIVE, LocalResourceVisibility.APPLICATION, 104_857_600L, 1_700_000_000_123L);
    LocalResource jar = LocalResource.newInstance(
        URL.newInstance("file", null, -1, "/opt/jobs/job-v2.jar"),
        LocalResourceType.FILE, LocalResourceVisibility.PUBLIC, 4_096L, 1_700_000_000_456L);
    LocalResource pattern = LocalResource.newInstance(
        URL.newInstance("hdfs", "nn.example", 8020, "/apps/lib.jar"),
        LocalResourceType.PATTERN, LocalResourceVisibility.PRIVATE, 77L, 1_700_000_000_789L, "lib/.*");

    Credentials credentials = new Credentials();
    credentials.addToken(new Text("rm-delegation"), new Token<>(
        new byte[] {1, 2, 3}, new byte[] {4, 5}, new Text("RM_DELEGATION_TOKEN"), new Text("rm:8032")));
    credentials.addSecretKey(new Text("job-secret"), new byte[] {9, 8, 7});

    ContainerLaunchContext original = ContainerLaunchContext.newInstance(
        Map.of("image", image, "job.jar", jar, "lib", pattern),
        Map.of("APP_VERSION", "2", "JAVA_OPTS", "-Xmx1g -Dx=\"a b\""),
        List.of("$JAVA_HOME/bin/java", "-cp", "job.jar", "Main", "1>stdout", "2>stderr"),
        Map.of("flink_shuffle", ByteBuffer.wrap(new byte[] {42, 43})),
        toBuffer(credentials),
        Map.of(ApplicationAccessType.VIEW_APP, "alice,bob ops", ApplicationAccessType.MODIFY_APP, "alice"));

    UpdateApplicationRequest sent = UpdateApplicationRequest.newBuilder()
        .setApplicationId("application_1700000000000_0001")
        .setAmLaunchContext(LaunchContextCodec.encode(original))
        .setAmResource(LaunchContextCodec.encode(org.apache.hadoop.yarn.api.records.Resource.newInstance(2048, 2)))
        .setClientRequestId("req-1")
        .build();

    UpdateApplicationRequest received = UpdateApplicationRequest.parseFrom(sent.toByteArray());
    ContainerLaunchContext decoded = LaunchContextCodec.decode(received.getAmLaunchContext());

    assertEquals("application_1700000000000_0001", received.getApplicationId());
    assertEquals("req-1", received.getClientRequestId());
    assertEquals(org.apache.hadoop.yarn.api.records.Resource.newInstance(2048, 2),
        LaunchContextCodec.decode(received.getAmResource()));
    assertEquals(original.getCommands(), decoded.getCommands());
    assertEquals(original.getEnvironment(), decoded.getEnvironment());
    assertEquals(original.getLocalResources(), decoded.getLocalResources());
    assertEquals("lib/.*", decoded.getLocalResources().get("lib").getPattern());
    assertEquals(LocalResourceType.ARCHIVE, decoded.getLocalResources().get("image").getType());
    assertEquals(original.getApplicationACLs(), decoded.getApplicationACLs());
    assertEquals(original.getServiceData(), decoded.getServiceData());

    Credentials decodedCredentials = fromBuffer(decoded.getTokens());
    Token<?> token = decodedCredentials.getToken(new Text("rm-delegation"));
    assertEquals(credentials.getToken(new Text("rm-delegation")), token);
    assertEquals("rm:8032", token.getService().toString());
    assertEquals(ByteBuffer.wrap(new byte[] {9, 8, 7}),
        ByteBuffer.wrap(decodedCredentials.getSecretKey(new Text("job-secret"))));
  }

  @Test
  void malformedLaunchContextIsRejectedWithAReadableMessage() {
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> LaunchContextCodec.decode(ByteString.EMPTY));
    assertEquals("the AM launch context is empty", empty.getMessage());

    IllegalArgumentException garbage = assertThrows(IllegalArgumentException.class,
        () -> LaunchContextCodec.decode(ByteString.copyFromUtf8("not a launch context \u00ff\u00fe")));
    assertTrue(garbage.getMessage().startsWith("the AM launch context is not a YARN ContainerLaunchContext"),
        garbage.getMessage());
  }

  private static ByteBuffer toBuffer(Credentials credentials) throws IOException {
    DataOutputBuffer out = new DataOutputBuffer();
    credentials.writeTokenStorageToStream(out);
    return ByteBuffer.wrap(out.getData(), 0, out.getLength());
  }

  private static Credentials fromBuffer(ByteBuffer buffer) throws IOException {
    DataInputByteBuffer in = new DataInputByteBuffer();
    in.reset(buffer.duplicate());
    Credentials credentials = new Credentials();
    credentials.readTokenStorageStream(in);
    return credentials;
  }
}
