package io.workerpool.it.security;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.DFSConfigKeys;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A Kerberos HDFS: NameNode and DataNode log in from a keytab, block access tokens on, SASL on data transfer
 * ({@code dfs.data.transfer.protection} in the test classpath's hdfs-site.xml, where the NodeManager's localizer
 * reads it). Clients need Kerberos or an HDFS delegation token.
 */
final class SecureHdfs implements AutoCloseable {
  private final MiniDFSCluster dfs;

  private SecureHdfs(MiniDFSCluster dfs) {
    this.dfs = dfs;
  }

  /**
   * @param principal the NameNode's and DataNode's: the same as the YARN daemons', because all of them share
   *     this JVM's one login user, which every daemon's keytab login replaces
   * @param httpPrincipal the SPNEGO principal of the NameNode's web server
   */
  static SecureHdfs start(Path dir, String principal, String httpPrincipal, File keytab) throws IOException {
    Configuration conf = new HdfsConfiguration();
    conf.set("hadoop.security.authentication", "kerberos");
    clientSettings(principal).forEach(conf::set);
    conf.set(DFSConfigKeys.DFS_NAMENODE_KEYTAB_FILE_KEY, keytab.getAbsolutePath());
    conf.set(DFSConfigKeys.DFS_DATANODE_KERBEROS_PRINCIPAL_KEY, principal);
    conf.set(DFSConfigKeys.DFS_DATANODE_KEYTAB_FILE_KEY, keytab.getAbsolutePath());
    conf.set(DFSConfigKeys.DFS_WEB_AUTHENTICATION_KERBEROS_PRINCIPAL_KEY, httpPrincipal);
    conf.set(DFSConfigKeys.DFS_WEB_AUTHENTICATION_KERBEROS_KEYTAB_KEY, keytab.getAbsolutePath());
    conf.setBoolean(DFSConfigKeys.DFS_BLOCK_ACCESS_TOKEN_ENABLE_KEY, true);
    // A secure DataNode wants privileged ports or an HTTPS-only web server besides SASL; neither adds to what
    // this test shows (who may read a file), so Hadoop's own test switch waives them.
    conf.setBoolean(DFSConfigKeys.IGNORE_SECURE_PORTS_FOR_TESTING_KEY, true);
    MiniDFSCluster dfs = new MiniDFSCluster.Builder(conf, dir.toFile()).numDataNodes(1).build();
    dfs.waitActive();
    if (dfs.getDataNodes().get(0).getDnConf().getSaslPropsResolver() == null) {
      dfs.shutdown();
      throw new IllegalStateException("the DataNode does not ask for SASL: the test classpath has no hdfs-site.xml"
          + " with " + DFSConfigKeys.DFS_DATA_TRANSFER_PROTECTION_KEY);
    }
    return new SecureHdfs(dfs);
  }

  /** What an HDFS client that logs in with Kerberos (the RM renewing tokens, a user) must know. */
  static Map<String, String> clientSettings(String principal) {
    return Map.of(DFSConfigKeys.DFS_NAMENODE_KERBEROS_PRINCIPAL_KEY, principal);
  }

  /** The file system as the JVM's login user, HDFS's superuser. */
  FileSystem superuser() throws IOException {
    return dfs.getFileSystem();
  }

  @Override
  public void close() {
    dfs.shutdown();
  }
}
