package org.dure.coordinator;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How a coordinator runs. Both listeners use TLS 1.3 with the certificate in {@code pkiDir}: the agent
 * port requires a site client certificate (mutual TLS), the API port serves HTTPS to people (bearer tokens).
 *
 * @param host address both listeners bind to
 * @param apiPort HTTPS port of the API; 0 picks a free one
 * @param agentPort mutual-TLS WebSocket port of the site agents; 0 picks a free one
 * @param dataDir where state, checkpoints and models are written
 * @param pkiDir the coordinator's security directory from {@code dure admin init} (certificate, key, CA, CRL,
 *     site register, credentials)
 * @param clusterName Hazelcast cluster name
 * @param hazelcastPort first Hazelcast member port; 0 picks a free one
 * @param clusterMembers other coordinators' Hazelcast {@code host:port}, empty for one coordinator
 */
public record CoordinatorConfig(String host, int apiPort, int agentPort, Path dataDir, Path pkiDir, String clusterName,
                                int hazelcastPort, List<String> clusterMembers) {
  public CoordinatorConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(pkiDir, "pkiDir");
    requirePort(apiPort, "apiPort");
    requirePort(agentPort, "agentPort");
    if (apiPort != 0 && apiPort == agentPort) {
      throw new IllegalArgumentException("the API and agent ports must differ (both " + apiPort
          + "): the agent port requires site certificates, which browsers and API clients do not have");
    }
    clusterMembers = List.copyOf(clusterMembers);
  }

  private static void requirePort(int port, String name) {
    if (port < 0 || port > 65535) throw new IllegalArgumentException(name + " must be 0..65535, was " + port);
  }

  /** Loopback, ephemeral ports, one coordinator: for tests and the local demo. */
  public static CoordinatorConfig loopback(Path dataDir, Path pkiDir) {
    return new CoordinatorConfig("127.0.0.1", 0, 0, dataDir, pkiDir, "dure", 0, List.of());
  }
}
