package org.dure.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;
import org.dure.protocol.wire.SiteIds;

/**
 * A site agent's configuration file (JSON). Relative paths are resolved against the file's directory.
 *
 * <pre>{@code
 * {
 *   "siteId": "hospital-a",
 *   "coordinator": "wss://coordinator.example.org:8471/agents",
 *   "data": { "csv": "hospital-a.csv" },
 *   "tls": "pki",
 *   "workDir": "agent-work",
 *   "privacyBudget": { "maxEpsilonPerStudy": 8, "maxEpsilonTotal": 20 }
 * }
 * }</pre>
 *
 * @param siteId this hospital's id in the consortium
 * @param coordinator the coordinator's agent channel URL; always {@code wss://} (mutual TLS)
 * @param csv the local data extract; only the columns a study names are ever read into training
 * @param tlsDir the site's TLS directory (key, certificate, CA certificate; see {@code SiteIdentity})
 * @param workDir where the agent keeps its local files
 * @param privacyCaps the data officer's differential-privacy caps (optional: without a cap every study is accepted;
 *     with one, a study without differential privacy is refused and a round that would pass a cap is not trained)
 */
public record AgentConfig(String siteId, URI coordinator, Path csv, Path tlsDir, Path workDir,
                          org.dure.agent.privacy.PrivacyBudget.Caps privacyCaps) {
  public AgentConfig(String siteId, URI coordinator, Path csv, Path tlsDir, Path workDir) {
    this(siteId, coordinator, csv, tlsDir, workDir, org.dure.agent.privacy.PrivacyBudget.Caps.none());
  }

  public AgentConfig {
    if (!SiteIds.valid(siteId)) throw new IllegalArgumentException("siteId '" + siteId + "' is invalid: " + SiteIds.RULE);
    String scheme = coordinator == null ? null : coordinator.getScheme();
    if (!"wss".equals(scheme))
      throw new IllegalArgumentException("coordinator must be a wss:// URL such as wss://coordinator.example.org:8471/agents"
          + " (the agent channel is always mutual TLS), was " + coordinator);
    if (coordinator.getHost() == null)
      throw new IllegalArgumentException("coordinator URL " + coordinator + " names no host");
    if (privacyCaps == null) privacyCaps = org.dure.agent.privacy.PrivacyBudget.Caps.none();
  }

  public static AgentConfig load(Path file) throws IOException {
    if (!Files.isReadable(file)) throw new IOException("cannot read agent config " + file.toAbsolutePath());
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + " is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) throw new IOException(file + ": expected a JSON object");
    check(root, Set.of("siteId", "coordinator", "data", "tls", "workDir", "privacyBudget"), file, "");
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
    JsonNode data = root.path("data");
    if (!data.isObject() || !data.path("csv").isTextual())
      throw new IOException(file + ": \"data\": {\"csv\": \"path/to/extract.csv\"} is required");
    check(data, Set.of("csv"), file, "data.");
    try {
      return new AgentConfig(root.path("siteId").asText(null), URI.create(root.path("coordinator").asText("")),
          base.resolve(data.path("csv").asText()).normalize(),
          base.resolve(root.path("tls").asText("pki")).normalize(),
          base.resolve(root.path("workDir").asText("agent-work")).normalize(),
          new org.dure.agent.privacy.PrivacyBudget.Caps(
              budget.has("maxEpsilonPerStudy") ? budget.path("maxEpsilonPerStudy").asDouble() : null,
              budget.has("maxEpsilonTotal") ? budget.path("maxEpsilonTotal").asDouble() : null));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static void check(JsonNode node, Set<String> allowed, Path file, String prefix) throws IOException {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) throw new IOException(file + ": unknown setting \"" + prefix + f + "\"; expected one of " + allowed);
    }
  }
}
