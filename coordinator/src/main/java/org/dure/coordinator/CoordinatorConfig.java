package org.dure.coordinator;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How a coordinator runs. Both listeners use TLS 1.3 with the certificate in {@code pkiDir}: the agent
 * port requires a site client certificate (mutual TLS), the API port serves HTTPS to people (bearer tokens).
 *
 * @param host address both listeners (API and agents) bind to
 * @param apiPort HTTPS port of the API; 0 picks a free one
 * @param agentPort mutual-TLS WebSocket port of the site agents; 0 picks a free one
 * @param dataDir where state, checkpoints and models are written (created owner-only)
 * @param pkiDir the coordinator's security directory from {@code dure admin init} (certificate, key, CA, CRL,
 *     site register, credentials)
 * @param clusterName Hazelcast cluster name for a configured cluster; a single coordinator ignores it and uses
 *     a random secret name of its own
 * @param clusterHost address the embedded Hazelcast member binds to, independent of {@code host}; loopback
 *     unless clustering is configured
 * @param hazelcastPort first Hazelcast member port; 0 picks a free one
 * @param clusterMembers other coordinators' Hazelcast {@code host:port}, empty for one coordinator (a non-empty
 *     list is refused at start: see {@link #CLUSTERING_UNSUPPORTED})
 * @param limits timeouts and connection budgets of both listeners
 * @param metricsListener where the separate metrics listener (plain HTTP: {@code /metrics}, {@code /health},
 *     {@code /ready}) binds, or null for none (the default; {@code GET /api/metrics} on the API port always serves the
 *     same metrics to administrators and auditors)
 */
public record CoordinatorConfig(String host, int apiPort, int agentPort, Path dataDir, Path pkiDir, String clusterName,
                                String clusterHost, int hazelcastPort, List<String> clusterMembers, NetworkLimits limits,
                                MetricsListener metricsListener) {
  /** The separate metrics listener's address; port 0 picks a free one. */
  public record MetricsListener(String host, int port) {
    public MetricsListener {
      Objects.requireNonNull(host, "host");
      requirePort(port, "metrics port");
    }

    /** Whether {@link #host} is a loopback address (otherwise the coordinator warns at start: plain HTTP, no token). */
    public boolean loopback() {
      try {
        return java.net.InetAddress.getByName(host).isLoopbackAddress();
      } catch (java.net.UnknownHostException e) {
        return false;
      }
    }
  }

  public static final String LOOPBACK = "127.0.0.1";
  /** Why {@code --member} is refused (issue 17). */
  public static final String CLUSTERING_UNSUPPORTED = "clustering (--member) is not supported yet: Hazelcast member "
      + "traffic would be unauthenticated and unencrypted (TLS and member authentication are Enterprise-only in "
      + "Hazelcast 5.3), so any host that reaches the member port could read and rewrite every study. Clustering "
      + "needs an authenticated, encrypted member transport, which arrives with the clustering work (issue 17). "
      + "Run one coordinator without --member; its Hazelcast member stays on loopback.";

  public CoordinatorConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(pkiDir, "pkiDir");
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(clusterHost, "clusterHost");
    Objects.requireNonNull(limits, "limits");
    requirePort(apiPort, "apiPort");
    requirePort(agentPort, "agentPort");
    requirePort(hazelcastPort, "hazelcastPort");
    if (apiPort != 0 && apiPort == agentPort) {
      throw new IllegalArgumentException("the API and agent ports must differ (both " + apiPort
          + "): the agent port requires site certificates, which browsers and API clients do not have");
    }
    clusterMembers = List.copyOf(clusterMembers);
  }

  public CoordinatorConfig(String host, int apiPort, int agentPort, Path dataDir, Path pkiDir, String clusterName,
                           String clusterHost, int hazelcastPort, List<String> clusterMembers, NetworkLimits limits) {
    this(host, apiPort, agentPort, dataDir, pkiDir, clusterName, clusterHost, hazelcastPort, clusterMembers, limits, null);
  }

  /** A coordinator with the Hazelcast member on loopback and the default limits. */
  public CoordinatorConfig(String host, int apiPort, int agentPort, Path dataDir, Path pkiDir, String clusterName,
                           int hazelcastPort, List<String> clusterMembers) {
    this(host, apiPort, agentPort, dataDir, pkiDir, clusterName, LOOPBACK, hazelcastPort, clusterMembers, NetworkLimits.DEFAULTS);
  }

  static void requirePort(int port, String name) {
    if (port < 0 || port > 65535) throw new IllegalArgumentException(name + " must be 0..65535, was " + port);
  }

  /** Whether other coordinators are configured (refused at start until issue 17). */
  public boolean clustered() {
    return !clusterMembers.isEmpty();
  }

  public CoordinatorConfig withLimits(NetworkLimits l) {
    return new CoordinatorConfig(host, apiPort, agentPort, dataDir, pkiDir, clusterName, clusterHost, hazelcastPort, clusterMembers, l,
        metricsListener);
  }

  /** With the separate metrics listener on {@code host:port} (null: none). */
  public CoordinatorConfig withMetricsListener(MetricsListener m) {
    return new CoordinatorConfig(host, apiPort, agentPort, dataDir, pkiDir, clusterName, clusterHost, hazelcastPort, clusterMembers,
        limits, m);
  }

  /** Loopback, ephemeral ports, one coordinator: for tests and the local demo. */
  public static CoordinatorConfig loopback(Path dataDir, Path pkiDir) {
    return new CoordinatorConfig(LOOPBACK, 0, 0, dataDir, pkiDir, "dure", 0, List.of());
  }
}
