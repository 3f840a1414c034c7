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
import org.dure.agent.connection.LinkSettings;
import org.dure.agent.connection.ProxySettings;
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
 * @param link the connection's liveness pings, reconnect backoff, timeouts and the hospital's HTTP proxy ({@code
 *     "connection"} and {@code "proxy"}; see {@link LinkSettings} and {@link ProxySettings}). Read from a file, a
 *     configuration without {@code "proxy"} takes it from {@code HTTPS_PROXY}/{@code NO_PROXY}; built in code, the
 *     default is a direct connection
 */
public record AgentConfig(String siteId, URI coordinator, DataSource data, Path tlsDir, Path workDir,
                          LocalPolicy policy, PseudonymisationConfig pseudonymisation, Integer metricsPort,
                          LinkSettings link) {
  public AgentConfig(String siteId, URI coordinator, DataSource data, Path tlsDir, Path workDir,
                     LocalPolicy policy, PseudonymisationConfig pseudonymisation) {
    this(siteId, coordinator, data, tlsDir, workDir, policy, pseudonymisation, null);
  }

  public AgentConfig(String siteId, URI coordinator, DataSource data, Path tlsDir, Path workDir,
                     LocalPolicy policy, PseudonymisationConfig pseudonymisation, Integer metricsPort) {
    this(siteId, coordinator, data, tlsDir, workDir, policy, pseudonymisation, metricsPort, LinkSettings.defaults());
  }

  /** The same configuration with the loopback metrics listener on {@code port} (null: off). */
  public AgentConfig withMetricsPort(Integer port) {
    return new AgentConfig(siteId, coordinator, data, tlsDir, workDir, policy, pseudonymisation, port, link);
  }

  /** The same configuration with other connection settings (pings, backoff, proxy). */
  public AgentConfig withLink(LinkSettings settings) {
    return new AgentConfig(siteId, coordinator, data, tlsDir, workDir, policy, pseudonymisation, metricsPort, settings);
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
    if (link == null) link = LinkSettings.defaults();
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
        PseudonymisationConfig.SECTION, "metrics", "connection", "proxy"), file, "");
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
    LinkSettings link = link(root, file, base, System.getenv());
    DataSource data;
    try {
      data = DataSourceConfig.parse(root.path("data"), base);
    } catch (IOException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
    try {
      return new AgentConfig(root.path("siteId").asText(null), URI.create(root.path("coordinator").asText("")), data,
          base.resolve(root.path("tls").asText("pki")).normalize(),
          base.resolve(root.path("workDir").asText("agent-work")).normalize(), policy, pseudonymisation, metricsPort, link);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The {@code "connection"} and {@code "proxy"} settings: {@code "connection": {"pingSeconds": 15,
   * "pongTimeoutSeconds": 20, "minBackoffSeconds": 0.5, "maxBackoffSeconds": 30, "connectTimeoutSeconds": 10}} (each
   * optional); {@code "proxy": {"url": "http://proxy.hospital.local:3128", "username": "dure", "passwordFile":
   * "proxy-password", "noProxy": "localhost,.hospital.local"}} or {@code "proxy": "none"}; without {@code "proxy"},
   * {@code env}'s {@code HTTPS_PROXY}/{@code https_proxy} and {@code NO_PROXY}/{@code no_proxy}.
   */
  static LinkSettings link(JsonNode root, Path file, Path base, java.util.Map<String, String> env) throws IOException {
    LinkSettings d = LinkSettings.defaults();
    JsonNode c = root.path("connection");
    java.time.Duration ping = d.pingInterval(), pong = d.pongTimeout(), min = d.minBackoff(), max = d.maxBackoff(),
        connect = d.connectTimeout();
    if (!c.isMissingNode()) {
      if (!c.isObject()) throw new IOException(file + ": \"connection\" must be an object like {\"pingSeconds\": 15, \"pongTimeoutSeconds\": 20}");
      check(c, Set.of("pingSeconds", "pongTimeoutSeconds", "minBackoffSeconds", "maxBackoffSeconds", "connectTimeoutSeconds"), file, "connection.");
      ping = seconds(c, "pingSeconds", ping, file);
      pong = seconds(c, "pongTimeoutSeconds", pong, file);
      min = seconds(c, "minBackoffSeconds", min, file);
      max = seconds(c, "maxBackoffSeconds", max, file);
      connect = seconds(c, "connectTimeoutSeconds", connect, file);
    }
    org.dure.agent.connection.ProxySettings proxy;
    JsonNode p = root.path("proxy");
    try {
      if (p.isMissingNode()) {
        proxy = org.dure.agent.connection.ProxySettings.fromEnvironment(env);
      } else if (p.isTextual() && p.asText().equals("none")) {
        proxy = null;
      } else if (p.isObject()) {
        check(p, Set.of("url", "username", "passwordFile", "noProxy"), file, "proxy.");
        if (!p.path("url").isTextual() || p.path("url").asText().isBlank())
          throw new IOException(file + ": \"proxy.url\" must be the proxy's URL, e.g. \"http://proxy.hospital.local:3128\"");
        String user = null, password = null;
        if (p.has("username") || p.has("passwordFile")) {
          if (!p.path("username").isTextual() || !p.path("passwordFile").isTextual())
            throw new IOException(file + ": proxy authentication needs both \"proxy.username\" and \"proxy.passwordFile\""
                + " (a file holding the password on one line, owner-only: chmod 600)");
          user = p.path("username").asText();
          password = org.dure.agent.data.PasswordFile.readChecked(base.resolve(p.path("passwordFile").asText()).normalize(), "proxy");
        }
        java.util.List<String> noProxy;
        JsonNode np = p.path("noProxy");
        if (np.isMissingNode()) noProxy = java.util.List.of();
        else if (np.isTextual()) noProxy = org.dure.agent.connection.ProxySettings.noProxyList(np.asText());
        else if (np.isArray()) {
          noProxy = new java.util.ArrayList<>();
          for (JsonNode n : np) {
            if (!n.isTextual()) throw new IOException(file + ": \"proxy.noProxy\" must list host names, was " + np);
            noProxy.add(n.asText());
          }
        } else throw new IOException(file + ": \"proxy.noProxy\" must be a list of hosts or a string like \"localhost,.hospital.local\"");
        proxy = org.dure.agent.connection.ProxySettings.parse(p.path("url").asText(), user, password, noProxy, file.getFileName().toString());
      } else {
        throw new IOException(file + ": \"proxy\" must be an object like {\"url\": \"http://proxy.hospital.local:3128\"}"
            + " or \"none\" (a direct connection, whatever HTTPS_PROXY says)");
      }
      return new LinkSettings(ping, pong, min, max, connect, proxy);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + (p.isMissingNode() ? "" : "\"proxy\": ") + e.getMessage(), e);
    }
  }

  private static java.time.Duration seconds(JsonNode c, String name, java.time.Duration fallback, Path file) throws IOException {
    if (!c.has(name)) return fallback;
    JsonNode v = c.path(name);
    if (!v.isNumber() || v.asDouble() <= 0 || v.asDouble() > 86_400)
      throw new IOException(file + ": \"connection." + name + "\" must be a number of seconds above 0 (e.g. 15), was " + v);
    return java.time.Duration.ofMillis(Math.max(1, Math.round(v.asDouble() * 1000)));
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
