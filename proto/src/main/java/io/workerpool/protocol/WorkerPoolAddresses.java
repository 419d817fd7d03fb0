package io.workerpool.protocol;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.net.NetUtils;
import org.apache.hadoop.yarn.conf.HAUtil;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * Where each ResourceManager serves the Worker Pool, resolved the way YARN resolves its own RM addresses: with
 * RM HA ({@code yarn.resourcemanager.ha.rm-ids}) each RM has its own key,
 * {@code yarn.resourcemanager.worker-pool.address.<rmId>}; without it, or where a per-RM key is missing, the
 * common {@code yarn.resourcemanager.worker-pool.address} applies. A wildcard host means "the host of that RM's
 * {@code yarn.resourcemanager.address}".
 */
public final class WorkerPoolAddresses {
  private WorkerPoolAddresses() {
  }

  /** One RM's Worker Pool address; {@code rmId} is empty without RM HA. */
  public record RmAddress(String rmId, InetSocketAddress address) {
    @Override
    public String toString() {
      String where = address.getHostString() + ":" + address.getPort();
      return rmId.isEmpty() ? where : rmId + " (" + where + ")";
    }
  }

  /** The addresses a client tries, in the order of {@code yarn.resourcemanager.ha.rm-ids}. */
  public static List<RmAddress> forClients(Configuration conf) {
    if (!HAUtil.isHAEnabled(conf)) {
      return List.of(new RmAddress("", connectAddress(conf.get(WorkerPoolConfigKeys.ADDRESS,
          WorkerPoolConfigKeys.DEFAULT_ADDRESS), conf.get(YarnConfiguration.RM_ADDRESS,
          YarnConfiguration.DEFAULT_RM_ADDRESS))));
    }
    List<RmAddress> addresses = new ArrayList<>();
    for (String rmId : HAUtil.getRMHAIds(conf)) {
      String rmAddress = conf.get(HAUtil.addSuffix(YarnConfiguration.RM_ADDRESS, rmId));
      if (rmAddress == null) {
        throw new IllegalArgumentException(HAUtil.addSuffix(YarnConfiguration.RM_ADDRESS, rmId)
            + " is not set: with RM HA every id in " + YarnConfiguration.RM_HA_IDS + " needs its RM address");
      }
      addresses.add(new RmAddress(rmId, connectAddress(ownValue(conf, rmId), rmAddress)));
    }
    return addresses;
  }

  /** Where this ResourceManager serves (with RM HA, its own per-RM key if set). */
  public static InetSocketAddress forServer(Configuration conf) {
    String value = HAUtil.isHAEnabled(conf)
        ? ownValue(conf, HAUtil.getRMHAId(conf))
        : conf.get(WorkerPoolConfigKeys.ADDRESS, WorkerPoolConfigKeys.DEFAULT_ADDRESS);
    return NetUtils.createSocketAddr(value, WorkerPoolConfigKeys.DEFAULT_PORT, WorkerPoolConfigKeys.ADDRESS);
  }

  private static String ownValue(Configuration conf, String rmId) {
    String own = conf.get(HAUtil.addSuffix(WorkerPoolConfigKeys.ADDRESS, rmId));
    return own != null ? own : conf.get(WorkerPoolConfigKeys.ADDRESS, WorkerPoolConfigKeys.DEFAULT_ADDRESS);
  }

  private static InetSocketAddress connectAddress(String workerPool, String rmAddress) {
    InetSocketAddress address = NetUtils.createSocketAddr(workerPool, WorkerPoolConfigKeys.DEFAULT_PORT,
        WorkerPoolConfigKeys.ADDRESS);
    String host = address.getAddress() != null && address.getAddress().isAnyLocalAddress()
        ? NetUtils.createSocketAddr(rmAddress, YarnConfiguration.DEFAULT_RM_PORT, YarnConfiguration.RM_ADDRESS)
            .getHostString()
        : address.getHostString();
    return InetSocketAddress.createUnresolved(host, address.getPort());
  }
}
