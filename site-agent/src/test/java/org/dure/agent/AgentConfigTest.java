package org.dure.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
  @TempDir Path dir;

  private Path write(String json) throws IOException {
    return Files.writeString(dir.resolve("agent.json"), json);
  }

  @Test void relativeDataPathsAreResolvedAgainstTheConfigFile() throws Exception {
    AgentConfig c = AgentConfig.load(write("""
        {"siteId": "hospital-a", "coordinator": "wss://127.0.0.1:8471/agents", "data": {"csv": "extract.csv"}}"""));
    assertEquals(new org.dure.agent.data.CsvSource(dir.resolve("extract.csv")), c.data());
    assertEquals(dir.resolve("agent-work"), c.workDir());
    assertEquals(dir.resolve("pki"), c.tlsDir());
  }

  @Test void metricsAreOffByDefaultAndOnlyAPortCanBeSet() throws Exception {
    String base = "\"siteId\": \"hospital-a\", \"coordinator\": \"wss://127.0.0.1:8471/agents\", \"data\": {\"csv\": \"x.csv\"}";
    assertEquals(null, AgentConfig.load(write("{" + base + "}")).metricsPort());
    assertEquals(9464, AgentConfig.load(write("{" + base + ", \"metrics\": {\"port\": 9464}}")).metricsPort());
    IOException host = assertThrows(IOException.class, () -> AgentConfig.load(write("{" + base
        + ", \"metrics\": {\"port\": 9464, \"host\": \"0.0.0.0\"}}")));
    assertTrue(host.getMessage().contains("metrics.host: unknown setting"), host.getMessage());
    IOException port = assertThrows(IOException.class, () -> AgentConfig.load(write("{" + base + ", \"metrics\": {\"port\": 70000}}")));
    assertTrue(port.getMessage().contains("127.0.0.1 only"), port.getMessage());
  }

  @Test void connectionAndProxySettingsAreReadWithTheirDefaultsAndTheEnvironmentWhenNoProxyIsConfigured() throws Exception {
    String base = "\"siteId\": \"hospital-a\", \"coordinator\": \"wss://coord.example.org:8471/agents\", \"data\": {\"csv\": \"x.csv\"}";
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    Path file = dir.resolve("agent.json");
    org.dure.agent.connection.LinkSettings d = AgentConfig.link(json.readTree("{" + base + "}"), file, dir, java.util.Map.of());
    assertEquals(org.dure.agent.connection.LinkSettings.defaults(), d, "defaults, direct");
    org.dure.agent.connection.LinkSettings env = AgentConfig.link(json.readTree("{" + base + "}"), file, dir,
        java.util.Map.of("HTTPS_PROXY", "http://proxy.hospital.local:3128", "NO_PROXY", ".hospital.local"));
    assertEquals("proxy.hospital.local", env.proxy().host());
    assertEquals(null, AgentConfig.link(json.readTree("{" + base + ", \"proxy\": \"none\"}"), file, dir,
        java.util.Map.of("HTTPS_PROXY", "http://proxy:3128")).proxy(), "\"none\" overrides the environment");
    Path pw = Files.writeString(dir.resolve("proxy-password"), "pass word\n");
    Files.setPosixFilePermissions(pw, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    org.dure.agent.connection.LinkSettings set = AgentConfig.link(json.readTree("{" + base + ", \"connection\": {\"pingSeconds\": 5,"
        + " \"pongTimeoutSeconds\": 7.5, \"maxBackoffSeconds\": 60}, \"proxy\": {\"url\": \"http://proxy:3128\", \"username\": \"dure\","
        + " \"passwordFile\": \"proxy-password\", \"noProxy\": [\"localhost\"]}}"), file, dir, java.util.Map.of("HTTPS_PROXY", "http://other:1"));
    assertEquals(java.time.Duration.ofSeconds(5), set.pingInterval());
    assertEquals(java.time.Duration.ofMillis(7500), set.pongTimeout());
    assertEquals(java.time.Duration.ofSeconds(60), set.maxBackoff());
    assertEquals("proxy", set.proxy().host());
    assertEquals("pass word", set.proxy().password());
    assertEquals(java.util.List.of("localhost"), set.proxy().noProxy());
    Files.setPosixFilePermissions(pw, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    IOException open = assertThrows(IOException.class, () -> AgentConfig.link(json.readTree("{" + base + ", \"proxy\": {\"url\": \"http://proxy:3128\","
        + " \"username\": \"dure\", \"passwordFile\": \"proxy-password\"}}"), file, dir, java.util.Map.of()));
    assertTrue(open.getMessage().contains("proxy password file") && open.getMessage().contains("chmod 600"), open.getMessage());
    IOException misspelt = assertThrows(IOException.class, () -> AgentConfig.link(json.readTree("{" + base
        + ", \"connection\": {\"pingSecs\": 5}}"), file, dir, java.util.Map.of()));
    assertTrue(misspelt.getMessage().contains("connection.pingSecs: unknown setting"), misspelt.getMessage());
    IOException zero = assertThrows(IOException.class, () -> AgentConfig.link(json.readTree("{" + base
        + ", \"connection\": {\"pongTimeoutSeconds\": 0}}"), file, dir, java.util.Map.of()));
    assertTrue(zero.getMessage().contains("connection.pongTimeoutSeconds"), zero.getMessage());
    IOException badEnv = assertThrows(IOException.class, () -> AgentConfig.link(json.readTree("{" + base + "}"), file, dir,
        java.util.Map.of("HTTPS_PROXY", "socks5://proxy:1080")));
    assertTrue(badEnv.getMessage().contains("HTTPS_PROXY"), badEnv.getMessage());
  }

  @Test void aPlainWebSocketIsRefusedEvenOnLoopback() throws Exception {
    IOException e = assertThrows(IOException.class, () -> AgentConfig.load(write("""
        {"siteId": "hospital-a", "coordinator": "ws://127.0.0.1:8471/agents", "data": {"csv": "x.csv"}}""")));
    assertTrue(e.getMessage().contains("must be a wss:// URL"), e.getMessage());
  }

  @Test void aMisspeltSettingIsNamed() throws Exception {
    IOException e = assertThrows(IOException.class, () -> AgentConfig.load(write("""
        {"siteId": "hospital-a", "coordinater": "ws://127.0.0.1/agents", "data": {"csv": "x.csv"}}""")));
    assertTrue(e.getMessage().contains("coordinater: unknown setting"), e.getMessage());
  }

  @Test void anInvalidSiteIdSaysWhatIsAllowed() throws Exception {
    IOException e = assertThrows(IOException.class, () -> AgentConfig.load(write("""
        {"siteId": "Hospital A", "coordinator": "wss://127.0.0.1/agents", "data": {"csv": "x.csv"}}""")));
    assertTrue(e.getMessage().contains("use 1-64 lower-case letters"), e.getMessage());
  }

  @Test void missingDataSectionExplainsTheExpectedShape() throws Exception {
    IOException e = assertThrows(IOException.class, () -> AgentConfig.load(write("""
        {"siteId": "hospital-a", "coordinator": "wss://127.0.0.1/agents"}""")));
    assertTrue(e.getMessage().contains("\"data\": {\"csv\""), e.getMessage());
  }

  @Test void theLocalPolicyIsReadRelativeToTheConfigAndCarriesThePrivacyCaps() throws Exception {
    Files.writeString(dir.resolve("policy.json"), "{\"approval\": \"automatic\", \"maxEpsilonPerStudy\": 8}");
    AgentConfig c = AgentConfig.load(write("""
        {"siteId": "hospital-a", "coordinator": "wss://127.0.0.1:8471/agents", "data": {"csv": "x.csv"}, "policy": "policy.json"}"""));
    assertEquals(org.dure.agent.policy.LocalPolicy.Approval.AUTOMATIC, c.policy().approval());
    assertEquals(new org.dure.agent.privacy.PrivacyBudget.Caps(8.0, null), c.privacyCaps());
  }

  @Test void withoutAPolicyTheDefaultPolicyAppliesAndPrivacyBudgetIsStillRead() throws Exception {
    AgentConfig c = AgentConfig.load(write("""
        {"siteId": "hospital-a", "coordinator": "wss://127.0.0.1:8471/agents", "data": {"csv": "x.csv"},
         "privacyBudget": {"maxEpsilonTotal": 20}}"""));
    assertEquals(org.dure.agent.policy.LocalPolicy.defaults().withCaps(new org.dure.agent.privacy.PrivacyBudget.Caps(null, 20.0)),
        c.policy());
  }

  @Test void anUnreadablePolicyStopsTheAgentWithTheFileNamed() throws Exception {
    IOException e = assertThrows(IOException.class, () -> AgentConfig.load(write("""
        {"siteId": "hospital-a", "coordinator": "wss://127.0.0.1:8471/agents", "data": {"csv": "x.csv"}, "policy": "missing.json"}""")));
    assertTrue(e.getMessage().contains("cannot read the local policy") && e.getMessage().contains("missing.json"), e.getMessage());
  }
}
