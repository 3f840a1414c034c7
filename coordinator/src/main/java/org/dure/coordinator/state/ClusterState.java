package org.dure.coordinator.state;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.nio.file.Path;
import java.util.List;

/**
 * The coordinator's state in Hazelcast: studies, rounds and sites live in {@link IMap}s of an embedded
 * member (bound to loopback unless configured otherwise), so running several coordinators as one
 * cluster is configuration, not a rewrite. Studies and rounds are written through to files under the
 * data directory and reloaded at start.
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
   * Starts an embedded member.
   *
   * @param clusterName members with the same name form one cluster
   * @param bindAddress interface to bind (127.0.0.1 by default)
   * @param port first port to try; 0 picks a free one
   * @param members other members' {@code host:port}, empty for a single coordinator
   */
  public static ClusterState start(String clusterName, String bindAddress, int port, List<String> members, Path dataDir) {
    Config c = new Config();
    c.setClusterName(clusterName);
    c.setInstanceName("dure-" + clusterName + "-" + Long.toHexString(System.nanoTime()));
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.setProperty("hazelcast.socket.bind.any", "false");
    c.setProperty("hazelcast.wait.seconds.before.join", "0");
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
    NetworkConfig n = c.getNetworkConfig();
    if (port == 0) {
      n.setPort(freePort(bindAddress)).setPortAutoIncrement(true).setPortCount(20);
    } else {
      n.setPort(port).setPortAutoIncrement(false);
    }
    n.getInterfaces().setEnabled(true).addInterface(bindAddress);
    JoinConfig j = n.getJoin();
    j.getMulticastConfig().setEnabled(false);
    j.getAutoDetectionConfig().setEnabled(false);
    j.getTcpIpConfig().setEnabled(true);
    members.forEach(m -> j.getTcpIpConfig().addMember(m));
    persist(c, STUDIES, dataDir.resolve("state/studies"));
    persist(c, ROUNDS, dataDir.resolve("state/rounds"));
    persist(c, REPORTS, dataDir.resolve("state/reports"));
    return new ClusterState(Hazelcast.newHazelcastInstance(c));
  }

  private static void persist(Config c, String map, Path dir) {
    MapStoreConfig store = new MapStoreConfig().setEnabled(true).setImplementation(new FileMapStore(dir))
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
