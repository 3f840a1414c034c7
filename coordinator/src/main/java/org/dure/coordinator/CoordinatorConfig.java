package org.dure.coordinator;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How a coordinator runs.
 *
 * @param host address the HTTP API and agent channel bind to (loopback by default)
 * @param port TCP port; 0 picks a free one
 * @param dataDir where state, checkpoints and models are written
 * @param clusterName Hazelcast cluster name
 * @param hazelcastPort first Hazelcast member port; 0 picks a free one
 * @param clusterMembers other coordinators' Hazelcast {@code host:port}, empty for one coordinator
 */
public record CoordinatorConfig(String host, int port, Path dataDir, String clusterName, int hazelcastPort,
                                List<String> clusterMembers) {
  public CoordinatorConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
    if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, was " + port);
    clusterMembers = List.copyOf(clusterMembers);
    if (!isLoopback(host))
      throw new IllegalArgumentException("host " + host + " is not a loopback address: this build serves plain HTTP and WebSocket,"
          + " which Dure allows on loopback only; TLS with mutual authentication of sites comes with the consortium PKI");
  }

  static boolean isLoopback(String host) {
    return host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
  }

  public static CoordinatorConfig loopback(Path dataDir) {
    return new CoordinatorConfig("127.0.0.1", 0, dataDir, "dure", 0, List.of());
  }
}
