package io.workerpool.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.workerpool.protocol.ReplacementContract.Batch;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplacementContractTest {

  @Test
  void theTagsOfAConvertedContainerReadBack() {
    Set<String> tags = Set.of(ReplacementContract.replacesTag("container_1_0001_01_000002"),
        ReplacementContract.batchTag(new Batch("container_1_0001_02_000002", 3)),
        ReplacementContract.swapAtTag(1_796_000_000_123L));

    assertEquals(Optional.of("container_1_0001_01_000002"), ReplacementContract.replacedContainer(tags));
    assertEquals(Optional.of(new Batch("container_1_0001_02_000002", 3)), ReplacementContract.batchOf(tags));
    assertEquals(OptionalLong.of(1_796_000_000_123L), ReplacementContract.swapAt(tags));
  }

  @Test
  void aMissingOrMalformedSwapMomentIsNone() {
    assertEquals(OptionalLong.empty(), ReplacementContract.swapAt(Set.of("worker-pool.batch=1/x")));
    assertEquals(OptionalLong.empty(), ReplacementContract.swapAt(Set.of("worker-pool.swap-at=soon")));
    assertEquals(OptionalLong.empty(), ReplacementContract.swapAt(null));
  }
}
