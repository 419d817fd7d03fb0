package io.workerpool.protocol;

/** Configuration keys shared by the ResourceManager side and clients, with their defaults. */
public final class WorkerPoolConfigKeys {
  public static final String PREFIX = "yarn.resourcemanager.worker-pool.";

  /** Where the RM serves the Worker Pool gRPC protocol; clients take the host from the RM address if wildcard. */
  public static final String ADDRESS = PREFIX + "address";
  public static final int DEFAULT_PORT = 8036;
  public static final String DEFAULT_ADDRESS = "0.0.0.0:" + DEFAULT_PORT;

  /** How long the new attempt has, after it registers, to claim pooled containers before they are released. */
  public static final String CLAIM_TIMEOUT_MS = PREFIX + "claim-timeout-ms";
  public static final long DEFAULT_CLAIM_TIMEOUT_MS = 60_000;

  /** A new container that ends this soon after it replaced the old one is recorded as EXITED_EARLY. */
  public static final String EARLY_EXIT_WINDOW_MS = PREFIX + "early-exit-window-ms";
  public static final long DEFAULT_EARLY_EXIT_WINDOW_MS = 30_000;

  /**
   * The old AM is killed at once (no grace in which it could stop its workers); if its node has not
   * reported it gone after this long, the RM ends the attempt itself and the node stops the AM the usual way.
   */
  public static final String AM_STOP_TIMEOUT_MS = PREFIX + "am-stop-timeout-ms";
  public static final long DEFAULT_AM_STOP_TIMEOUT_MS = 10_000;

  /** Largest update request accepted, in bytes (the AM launch context with its tokens). */
  public static final String MAX_REQUEST_BYTES = PREFIX + "max-request-bytes";
  public static final int DEFAULT_MAX_REQUEST_BYTES = 4 << 20;

  /**
   * Pooled containers converted under one hold of the scheduler's write lock (whole nodes, so a node with more takes
   * one hold of its own): a new attempt asking for more is served in several holds, between which node heartbeats
   * and other applications get the lock.
   */
  public static final String CONVERSIONS_PER_LOCK = PREFIX + "conversions-per-lock";
  public static final int DEFAULT_CONVERSIONS_PER_LOCK = 500;

  /**
   * The old containers converted in one allocate call are stopped no earlier than this long after the call, on every
   * node at the same moment (the nodes' clocks in sync), once their new containers are prepared: the nodes swap
   * together instead of each as soon as its own are ready. The old containers keep working meanwhile. 0: each node
   * swaps as soon as its new containers are prepared.
   */
  public static final String SWAP_ALIGNMENT_MS = PREFIX + "swap-alignment-ms";
  public static final long DEFAULT_SWAP_ALIGNMENT_MS = 0;

  /** Finished updates kept for status queries. */
  public static final String HISTORY_SIZE = PREFIX + "history-size";
  public static final int DEFAULT_HISTORY_SIZE = 1000;

  /**
   * Tests only: an update waits this long between storing the new AM launch context and ending the old AM,
   * so that a test can kill the RM in that window.
   */
  public static final String TEST_PAUSE_BEFORE_AM_END_MS = PREFIX + "test.pause-before-am-end-ms";
  /**
   * Tests only: the old attempt ends this long after its AM's node reported the AM gone (its place held), so that
   * a test can kill the RM while AM1's place is held and the new attempt does not exist yet.
   */
  public static final String TEST_PAUSE_AFTER_AM_PLACE_HELD_MS = PREFIX + "test.pause-after-am-place-held-ms";

  /** TLS on the Worker Pool channel, for the RM and its clients alike (both read yarn-site.xml). */
  public static final String SSL_ENABLED = PREFIX + "ssl.enabled";
  public static final boolean DEFAULT_SSL_ENABLED = false;

  /**
   * The RM's keystore: an ssl-server.xml-style file (ssl.server.keystore.location, .password, .keypassword,
   * .type), named as a classpath resource like hadoop.ssl.server.conf or by absolute path; default: that of
   * hadoop.ssl.server.conf.
   */
  public static final String SSL_SERVER_CONF = PREFIX + "ssl.server.conf";
  /** The clients' truststore: an ssl-client.xml-style file (ssl.client.truststore.location, .password, .type). */
  public static final String SSL_CLIENT_CONF = PREFIX + "ssl.client.conf";
  public static final String HADOOP_SSL_SERVER_CONF = "hadoop.ssl.server.conf";
  public static final String HADOOP_SSL_CLIENT_CONF = "hadoop.ssl.client.conf";
  public static final String DEFAULT_HADOOP_SSL_SERVER_CONF = "ssl-server.xml";
  public static final String DEFAULT_HADOOP_SSL_CLIENT_CONF = "ssl-client.xml";

  /**
   * With Kerberos on, the RM refuses to serve the Worker Pool, and clients to send their delegation token,
   * over a plaintext channel unless this is true (for a network that is otherwise protected).
   */
  public static final String SSL_ALLOW_PLAINTEXT_WITH_KERBEROS = PREFIX + "ssl.allow-plaintext-with-kerberos";
  public static final boolean DEFAULT_SSL_ALLOW_PLAINTEXT_WITH_KERBEROS = false;

  /** gRPC metadata that carries the caller: a user name (simple auth) or an RM delegation token. */
  public static final String USER_HEADER = "x-yarn-user";
  public static final String DELEGATION_TOKEN_HEADER = "x-yarn-delegation-token";
  /** gRPC metadata: the user a proxy user acts as (Hadoop impersonation, checked with hadoop.proxyuser.*). */
  public static final String DO_AS_HEADER = "x-yarn-do-as";

  private WorkerPoolConfigKeys() {
  }
}
