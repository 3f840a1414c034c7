package org.dure.coordinator.state;

import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.ProtocolType;
import com.hazelcast.map.IMap;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.nio.file.Path;
import java.util.List;

/**
 * The coordinator's state in Hazelcast: studies, rounds and sites live in {@link IMap}s of an embedded
 * member, so running several coordinators as one cluster is configuration, not a rewrite. Studies, rounds
 * and reports are written through to owner-only files under the data directory and reloaded at start.
 *
 * <p>The member is not a service anyone else may use (issue 13, finding 4): it binds to a loopback address only,
 * it opens no client endpoint (advanced networking with a MEMBER server socket alone, so the Hazelcast client
 * protocol, REST and memcache are refused on its port), and it runs under a random cluster name of 128 bits
 * from {@link SecureRandom}, never logged, so no other process on the host can join it as a member either.
 * Clustering is refused: Hazelcast's member TLS and authentication are Enterprise-only in 5.3, and without
 * them member traffic could be read and rewritten by anyone who reaches the port (issue 17).
 */
public final class ClusterState implements AutoCloseable {
  public static final String STUDIES = "dure.studies";
  public static final String ROUNDS = "dure.rounds";
  public static final String SITES = "dure.sites";
  public static final String REPORTS = "dure.reports";

  private final HazelcastInstance hz;

  private ClusterState(HazelcastInstance hz) {
    this.hz = hz;
  }

  /**
   * Starts the embedded member of a single coordinator.
   *
   * @param bindAddress loopback interface to bind (127.0.0.1 by default)
   * @param port first port to try; 0 picks a free one
   * @param members other members' {@code host:port}: must be empty (clustering is refused until issue 17)
   * @throws IllegalArgumentException when members are given or the bind address is not a loopback address
   */
  public static ClusterState start(String bindAddress, int port, List<String> members, Path dataDir) {
    if (!members.isEmpty()) throw new IllegalArgumentException(org.dure.coordinator.CoordinatorConfig.CLUSTERING_UNSUPPORTED);
    requireLoopback(bindAddress);
    quietSystemLogger();
    Config c = new Config();
    c.setClusterName(secretClusterName());
    c.setInstanceName("dure-" + Long.toHexString(System.nanoTime()));
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.setProperty("hazelcast.logging.details.enabled", "false"); // its log prefix would carry the secret cluster name
    c.setProperty("hazelcast.socket.bind.any", "false");
    c.setProperty("hazelcast.wait.seconds.before.join", "0");
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
    // Advanced networking: only the endpoints configured here are opened, each accepting only its protocol.
    // With a MEMBER endpoint alone there is no CLIENT, REST or memcache endpoint to connect to.
    AdvancedNetworkConfig n = c.getAdvancedNetworkConfig().setEnabled(true);
    ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
    member.setProtocolType(ProtocolType.MEMBER);
    if (port == 0) {
      member.setPort(freePort(bindAddress)).setPortAutoIncrement(true).setPortCount(20);
    } else {
      member.setPort(port).setPortAutoIncrement(false);
    }
    member.getInterfaces().setEnabled(true).addInterface(bindAddress);
    n.setMemberEndpointConfig(member);
    JoinConfig j = n.getJoin();
    j.getMulticastConfig().setEnabled(false);
    j.getAutoDetectionConfig().setEnabled(false);
    j.getTcpIpConfig().setEnabled(false);
    persist(c, STUDIES, dataDir.resolve("state/studies"));
    persist(c, ROUNDS, dataDir.resolve("state/rounds"));
    persist(c, REPORTS, dataDir.resolve("state/reports"));
    return new ClusterState(Hazelcast.newHazelcastInstance(c));
  }

  /** 128 random bits: a member presenting any other cluster name is refused at join. */
  private static String secretClusterName() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return "dure-" + HexFormat.of().formatHex(b);
  }

  /**
   * Hazelcast's {@code com.hazelcast.system} logger prints "Cluster name: ..." at INFO whatever the logging
   * details setting; it is raised to WARN (never lowered) so the secret name stays out of the log.
   */
  private static void quietSystemLogger() {
    if (org.slf4j.LoggerFactory.getLogger("com.hazelcast.system") instanceof ch.qos.logback.classic.Logger l
        && !l.getEffectiveLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
      l.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }

  private static void requireLoopback(String address) {
    try {
      if (InetAddress.getByName(address).isLoopbackAddress()) return;
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("cannot resolve the Hazelcast bind address '" + address + "'", e);
    }
    throw new IllegalArgumentException("the Hazelcast member must bind to a loopback address (e.g. 127.0.0.1), not '"
        + address + "': its member traffic is unauthenticated and unencrypted (see issue 17)");
  }

  /** Whether the member is running and has joined its cluster (for readiness). */
  public boolean running() {
    return hz.getLifecycleService().isRunning() && hz.getCluster().getLocalMember() != null
        && !hz.getCluster().getMembers().isEmpty();
  }

  /** Where the member listens (for tests that attack it). */
  public InetSocketAddress memberAddress() {
    return hz.getCluster().getLocalMember().getSocketAddress(com.hazelcast.instance.EndpointQualifier.MEMBER);
  }

  private static void persist(Config c, String map, Path dir) {
    FileMapStore files = new FileMapStore(dir);
    files.requireReadable(); // before the member exists: Hazelcast would log a failed load and start with the entry missing
    MapStoreConfig store = new MapStoreConfig().setEnabled(true).setImplementation(files)
        .setWriteDelaySeconds(0).setInitialLoadMode(MapStoreConfig.InitialLoadMode.EAGER);
    c.addMapConfig(new MapConfig(map).setMapStoreConfig(store));
  }

  private static int freePort(String host) {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("no free port on " + host, e);
    }
  }

  public IMap<String, String> studies() {
    return hz.getMap(STUDIES);
  }

  public IMap<String, String> rounds() {
    return hz.getMap(ROUNDS);
  }

  /** Validation reports of completed studies, by study id (JSON). */
  public IMap<String, String> reports() {
    return hz.getMap(REPORTS);
  }

  public IMap<String, String> sites() {
    return hz.getMap(SITES);
  }

  @Override public void close() {
    hz.shutdown();
  }
}
