package org.dure.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import org.dure.json.JsonFields;
import org.dure.agent.data.CsvSource;
import org.dure.agent.data.DataSource;
import org.dure.agent.data.DataSourceConfig;
import org.dure.agent.policy.LocalPolicy;
import org.dure.protocol.wire.SiteIds;
import org.dure.pseudonymisation.PseudonymisationConfig;

/**
 * A site agent's configuration file (JSON). Relative paths are resolved against the file's directory.
 *
 * <pre>{@code
 * {
 *   "siteId": "hospital-a",
 *   "coordinator": "wss://coordinator.example.org:8471/agents",
 *   "data": { "csv": "hospital-a.csv", "columns": { "hba1c": "measurement_hba1c" } },
 *   "tls": "pki",
 *   "workDir": "agent-work",
 *   "policy": "policy.json"
 * }
 * }</pre>
 *
 * {@code "data"} may instead name a read-only PostgreSQL query ({@code "jdbc"}); see {@link DataSourceConfig}.
 *
 * @param siteId this hospital's id in the consortium
 * @param coordinator the coordinator's agent channel URL; always {@code wss://} (mutual TLS)
 * @param data where the local data comes from (a CSV extract or a database query) and how its columns map to
 *     the names studies use; only the columns a study names are ever read into training
 * @param tlsDir the site's TLS directory (key, certificate, CA certificate; see {@code SiteIdentity})
 * @param workDir where the agent keeps its local files
 * @param policy the data officer's local policy ({@code "policy"}: a file, see {@link LocalPolicy}); without one,
 *     {@link LocalPolicy#defaults()}: manual approval, secure aggregation required, at least 50 usable rows. The differential-privacy caps
 *     live in it; {@code "privacyBudget"} in the agent config is still read, for configurations that predate it.
 * @param pseudonymisation how the data is pseudonymised before any study sees it ({@code "pseudonymisation"}, see
 *     {@link PseudonymisationConfig}); null: none, and the agent then refuses data that looks like it holds direct
 *     identifiers
 * @param metricsPort where the agent serves its Prometheus metrics on loopback ({@code "metrics": {"port": 9464}},
 *     {@code http://127.0.0.1:<port>/metrics}; 0 picks a free one); null (the default): no metrics listener. The
 *     address is always 127.0.0.1: see {@link org.dure.agent.metrics.AgentMetrics}
 */
public record AgentConfig(String siteId, URI coordinator, DataSource data, Path tlsDir, Path workDir,
                          LocalPolicy policy, PseudonymisationConfig pseudonymisation, Integer metricsPort) {
  public AgentConfig(String siteId, URI coordinator, DataSource data, Path tlsDir, Path workDir,
                     LocalPolicy policy, PseudonymisationConfig pseudonymisation) {
    this(siteId, coordinator, data, tlsDir, workDir, policy, pseudonymisation, null);
  }

  /** The same configuration with the loopback metrics listener on {@code port} (null: off). */
  public AgentConfig withMetricsPort(Integer port) {
    return new AgentConfig(siteId, coordinator, data, tlsDir, workDir, policy, pseudonymisation, port);
  }

  public AgentConfig(String siteId, URI coordinator, DataSource data, Path tlsDir, Path workDir, LocalPolicy policy) {
    this(siteId, coordinator, data, tlsDir, workDir, policy, null);
  }

  /** A configuration reading the CSV extract {@code csv}, without column mapping or privacy caps. */
  public AgentConfig(String siteId, URI coordinator, Path csv, Path tlsDir, Path workDir) {
    this(siteId, coordinator, new CsvSource(csv), tlsDir, workDir, LocalPolicy.defaults());
  }

  public AgentConfig {
    Objects.requireNonNull(data, "data");
    if (!SiteIds.valid(siteId)) throw new IllegalArgumentException("siteId '" + siteId + "' is invalid: " + SiteIds.RULE);
    String scheme = coordinator == null ? null : coordinator.getScheme();
    if (!"wss".equals(scheme))
      throw new IllegalArgumentException("coordinator must be a wss:// URL such as wss://coordinator.example.org:8471/agents"
          + " (the agent channel is always mutual TLS), was " + coordinator);
    if (coordinator.getHost() == null)
      throw new IllegalArgumentException("coordinator URL " + coordinator + " names no host");
    if (policy == null) policy = LocalPolicy.defaults();
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535))
      throw new IllegalArgumentException("metrics.port must be 0..65535, was " + metricsPort);
  }

  /** The data officer's differential-privacy caps (from the local policy). */
  public org.dure.agent.privacy.PrivacyBudget.Caps privacyCaps() {
    return policy.caps();
  }

  public static AgentConfig load(Path file) throws IOException {
    if (!Files.isReadable(file)) throw new IOException("cannot read agent config " + file.toAbsolutePath());
    JsonNode root;
    try {
      root = org.dure.json.StrictJson.read(file);
    } catch (org.dure.json.StrictJson.MalformedJsonException e) {
      throw new IOException("agent config " + file + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IOException(file + " is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) throw new IOException(file + ": expected a JSON object");
    check(root, Set.of("siteId", "coordinator", "data", "tls", "workDir", "policy", "privacyBudget",
        PseudonymisationConfig.SECTION, "metrics"), file, "");
    Integer metricsPort = null;
    JsonNode metrics = root.path("metrics");
    if (!metrics.isMissingNode()) {
      if (!metrics.isObject()) throw new IOException(file + ": \"metrics\" must be an object like {\"port\": 9464}");
      check(metrics, Set.of("port"), file, "metrics.");
      if (!metrics.path("port").isInt() || metrics.path("port").asInt() < 0 || metrics.path("port").asInt() > 65535)
        throw new IOException(file + ": \"metrics.port\" must be a port number 0..65535 (the agent serves its metrics on"
            + " 127.0.0.1 only), was " + metrics.path("port"));
      metricsPort = metrics.path("port").asInt();
    }
    JsonNode budget = root.path("privacyBudget");
    if (!budget.isMissingNode()) {
      if (!budget.isObject()) throw new IOException(file + ": \"privacyBudget\" must be an object like {\"maxEpsilonPerStudy\": 8}");
      check(budget, Set.of("maxEpsilonPerStudy", "maxEpsilonTotal"), file, "privacyBudget.");
      for (String f : new String[] {"maxEpsilonPerStudy", "maxEpsilonTotal"}) {
        if (budget.has(f) && !(budget.path(f).isNumber() && budget.path(f).asDouble() > 0))
          throw new IOException(file + ": \"privacyBudget." + f + "\" must be a number > 0, was " + budget.path(f));
      }
    }
    if (root.has("tls") && !root.path("tls").isTextual())
      throw new IOException(file + ": \"tls\" must be the path of the site's TLS directory, e.g. \"pki\"");
    Path base = file.toAbsolutePath().getParent();
    LocalPolicy policy = LocalPolicy.defaults();
    if (root.has("policy")) {
      if (!root.path("policy").isTextual()) throw new IOException(file + ": \"policy\" must be the path of the local policy file, e.g. \"policy.json\"");
      policy = LocalPolicy.load(base.resolve(root.path("policy").asText()).normalize());
    }
    if (!budget.isMissingNode()) {
      if (policy.caps().any()) throw new IOException(file + ": the privacy caps are set both in \"privacyBudget\" and in"
          + " the local policy; keep them in the policy file only (maxEpsilonPerStudy, maxEpsilonTotal)");
      policy = policy.withCaps(new org.dure.agent.privacy.PrivacyBudget.Caps(
          budget.has("maxEpsilonPerStudy") ? budget.path("maxEpsilonPerStudy").asDouble() : null,
          budget.has("maxEpsilonTotal") ? budget.path("maxEpsilonTotal").asDouble() : null));
    }
    PseudonymisationConfig pseudonymisation = null;
    if (root.has(PseudonymisationConfig.SECTION)) {
      try {
        pseudonymisation = PseudonymisationConfig.parse(root.path(PseudonymisationConfig.SECTION), base);
      } catch (IllegalArgumentException e) {
        throw new IOException(file + ": " + e.getMessage(), e);
      }
    }
    DataSource data;
    try {
      data = DataSourceConfig.parse(root.path("data"), base);
    } catch (IOException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
    try {
      return new AgentConfig(root.path("siteId").asText(null), URI.create(root.path("coordinator").asText("")), data,
          base.resolve(root.path("tls").asText("pki")).normalize(),
          base.resolve(root.path("workDir").asText("agent-work")).normalize(), policy, pseudonymisation, metricsPort);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** Refuses a key that is not one of {@code allowed}, naming its full path ({@code prefix}: "" or "metrics."). */
  private static void check(JsonNode node, Set<String> allowed, Path file, String prefix) throws IOException {
    try {
      JsonFields.of(node, prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1), "setting",
          (path, problem) -> new IllegalArgumentException(path + ": " + problem)).allowOnly(allowed);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }
}
