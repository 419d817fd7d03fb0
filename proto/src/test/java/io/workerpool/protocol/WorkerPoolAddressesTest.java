package io.workerpool.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class WorkerPoolAddressesTest {
  @Test
  void withoutHaTheCommonKeyWithTheRmHostForAWildcard() {
    Configuration conf = new Configuration(false);
    conf.set("yarn.resourcemanager.address", "rm.example:8032");
    assertEquals(List.of("rm.example:8036"), hostPorts(conf));
    conf.set("yarn.resourcemanager.worker-pool.address", "0.0.0.0:9000");
    assertEquals(List.of("rm.example:9000"), hostPorts(conf));
    conf.set("yarn.resourcemanager.worker-pool.address", "pool.example:9001");
    assertEquals(List.of("pool.example:9001"), hostPorts(conf));
  }

  @Test
  void withHaEachRmInIdOrderFromItsOwnKeyOrItsRmHostWithTheWorkerPoolPort() {
    Configuration conf = ha("rm2,rm1");
    conf.set("yarn.resourcemanager.address.rm1", "host1:8032");
    conf.set("yarn.resourcemanager.address.rm2", "host2:8032");
    assertEquals(List.of("host2:8036", "host1:8036"), hostPorts(conf));

    conf.set("yarn.resourcemanager.worker-pool.address", "0.0.0.0:9000");
    conf.set("yarn.resourcemanager.worker-pool.address.rm1", "pool1:9100");
    assertEquals(List.of("host2:9000", "pool1:9100"), hostPorts(conf));
    assertEquals("rm2", WorkerPoolAddresses.forClients(conf).get(0).rmId());
  }

  @Test
  void withHaAnRmWithoutAddressIsAConfigurationError() {
    Configuration conf = ha("rm1,rm2");
    conf.set("yarn.resourcemanager.address.rm1", "host1:8032");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WorkerPoolAddresses.forClients(conf));
    assertEquals("yarn.resourcemanager.address.rm2 is not set: with RM HA every id in"
        + " yarn.resourcemanager.ha.rm-ids needs its RM address", e.getMessage());
  }

  @Test
  void theServerBindsItsOwnPerRmKeyWithHa() {
    Configuration conf = ha("rm1,rm2");
    conf.set("yarn.resourcemanager.ha.id", "rm2");
    conf.set("yarn.resourcemanager.worker-pool.address", "0.0.0.0:9000");
    assertEquals(9000, WorkerPoolAddresses.forServer(conf).getPort());
    conf.set("yarn.resourcemanager.worker-pool.address.rm2", "0.0.0.0:9200");
    conf.set("yarn.resourcemanager.worker-pool.address.rm1", "0.0.0.0:9100");
    assertEquals(9200, WorkerPoolAddresses.forServer(conf).getPort());
    assertEquals(8036, WorkerPoolAddresses.forServer(new Configuration(false)).getPort());
  }

  private static Configuration ha(String ids) {
    Configuration conf = new Configuration(false);
    conf.setBoolean("yarn.resourcemanager.ha.enabled", true);
    conf.set("yarn.resourcemanager.ha.rm-ids", ids);
    return conf;
  }

  private static List<String> hostPorts(Configuration conf) {
    return WorkerPoolAddresses.forClients(conf).stream()
        .map(rm -> rm.address().getHostString() + ":" + rm.address().getPort()).toList();
  }
}
