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
 *   "coordinator": "ws://127.0.0.1:8470/agents",
 *   "data": { "csv": "hospital-a.csv" },
 *   "workDir": "agent-work"
 * }
 * }</pre>
 *
 * @param siteId this hospital's id in the consortium
 * @param coordinator the coordinator's agent channel URL (ws:// on loopback, wss:// elsewhere)
 * @param csv the local data extract; only the columns a study names are ever read into training
 * @param workDir where the agent keeps its local files
 */
public record AgentConfig(String siteId, URI coordinator, Path csv, Path workDir) {
  public AgentConfig {
    if (!SiteIds.valid(siteId)) throw new IllegalArgumentException("siteId '" + siteId + "' is invalid: " + SiteIds.RULE);
    String scheme = coordinator == null ? null : coordinator.getScheme();
    if (!"ws".equals(scheme) && !"wss".equals(scheme))
      throw new IllegalArgumentException("coordinator must be a ws:// or wss:// URL such as ws://127.0.0.1:8470/agents, was " + coordinator);
    if ("ws".equals(scheme) && !isLoopback(coordinator.getHost()))
      throw new IllegalArgumentException("coordinator " + coordinator + " is not on this machine: use wss:// (TLS) for a remote coordinator");
  }

  private static boolean isLoopback(String host) {
    return "localhost".equals(host) || "127.0.0.1".equals(host) || "[::1]".equals(host) || "::1".equals(host);
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
    check(root, Set.of("siteId", "coordinator", "data", "workDir"), file, "");
    Path base = file.toAbsolutePath().getParent();
    JsonNode data = root.path("data");
    if (!data.isObject() || !data.path("csv").isTextual())
      throw new IOException(file + ": \"data\": {\"csv\": \"path/to/extract.csv\"} is required");
    check(data, Set.of("csv"), file, "data.");
    try {
      return new AgentConfig(root.path("siteId").asText(null), URI.create(root.path("coordinator").asText("")),
          base.resolve(data.path("csv").asText()).normalize(),
          base.resolve(root.path("workDir").asText("agent-work")).normalize());
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
