package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.dure.agent.SiteAgent;
import org.dure.agent.SiteAgentMain;
import org.dure.agent.connection.CoordinatorLink;
import org.dure.agent.connection.LinkSettings;
import org.dure.agent.connection.ProxySettings;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.outbound.OutboundLedger;
import org.dure.cohort.CohortGenerator;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Sites behind the hospital's outbound HTTP proxy: a real proxy server (Debian's tinyproxy, see {@link TestTinyproxy})
 * on loopback relays the agent's CONNECT tunnel to a real coordinator, mutual TLS inside it end to end; {@code dure
 * agent doctor} says in plain words when the proxy is unreachable, refuses CONNECT (403) or wants authentication (407).
 */
class HospitalProxyEndToEndTest {
  @TempDir Path dir;

  @BeforeEach void tinyproxy() {
    TestTinyproxy.requireInstalled();
  }

  @Test
  void aSiteBehindTheHospitalProxyTakesPartInASecureStudyWithMutualTlsEndToEndThroughTheTunnel() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 2, 300, 31);
    try (TestConsortium c = new TestConsortium(dir); TestTinyproxy proxy = TestTinyproxy.open(dir.resolve("proxy"))) {
      ProxySettings hospitalProxy = ProxySettings.parse(proxy.url(), null, null, List.of(), "test");
      c.agentConfig = config -> config.siteId().equals("hospital-a")
          ? config.withLink(LinkSettings.defaults().withProxy(hospitalProxy)) : config;
      SiteAgent behindProxy = c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      c.awaitSites(2);
      assertNotNull(behindProxy.link().proxy(), "hospital-a's link goes through the proxy");

      ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
      ((ObjectNode) s.path("training")).put("rounds", 2);
      String id = c.run(s.put("roundDeadlineSeconds", 20).toString());
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(1));

      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      assertTrue(rounds.get(2).path("secureAggregation").path("survivors").toString().contains("hospital-a"), rounds.get(2).toString());
      // The coordinator knew hospital-a by its certificate (mutual TLS, checked by the coordinator, not the proxy), and
      // the proxy only ever saw a CONNECT to the coordinator's agent port.
      String log = proxy.logText();
      assertTrue(log.contains("CONNECT") && log.contains("127.0.0.1:" + c.coordinator.agentPort()), log);
      assertTrue(log.contains("Established connection"), log);
    }
  }

  @Test
  void withProxyAuthenticationTheAgentConnectsWithItsCredentialsAndTheDoctorSaysWhenTheyAreMissingOrWrong() throws Exception {
    Path csv = TestConsortium.cohorts(dir, 1, 60, 32).get(0);
    try (TestConsortium c = new TestConsortium(dir);
         TestTinyproxy proxy = TestTinyproxy.requiringAuth(dir.resolve("proxy"), "dure-agent", "s3cret-proxy-pass")) {
      Path good = install(c, "hospital-a", csv, "{\"url\":\"" + proxy.url() + "\",\"username\":\"dure-agent\",\"passwordFile\":\"proxy-password\"}",
          "s3cret-proxy-pass");
      Run ok = doctor(good);
      assertTrue(ok.out().contains("proxy") && ok.out().contains("opens a tunnel to 127.0.0.1:" + c.coordinator.agentPort()), ok.out());
      assertTrue(ok.out().contains("the coordinator welcomed hospital-a (through the proxy http://dure-agent@127.0.0.1:"), ok.out());
      assertFalse(ok.out().contains("s3cret-proxy-pass"), "the doctor never prints the proxy password");

      Run none = doctor(install(c, "hospital-b", csv, "{\"url\":\"" + proxy.url() + "\"}", null));
      assertTrue(none.exit() != 0, none.out());
      assertTrue(none.out().contains("refused to connect to the coordinator: 407") && none.out().contains("proxy authentication required")
          && none.out().contains("no proxy user name and password are configured"), none.out());

      Run wrong = doctor(install(c, "hospital-c", csv, "{\"url\":\"http://dure-agent:not-it@127.0.0.1:" + proxy.port + "\"}", null));
      // tinyproxy answers a wrong password with 401 (a missing one with 407): both are named as authentication.
      assertTrue((wrong.out().contains(": 401") || wrong.out().contains(": 407")) && wrong.out().contains("proxy authentication required")
          && wrong.out().contains("for user 'dure-agent' was not accepted"), wrong.out());
      assertFalse(wrong.out().contains("not-it"), "nor a wrong one");

      // The agent itself, configured like the first doctor run, connects through the authenticating proxy.
      LinkSettings fromFile = org.dure.agent.AgentConfig.load(good).link();
      assertEquals("dure-agent", fromFile.proxy().username());
      c.agentConfig = config -> config.withLink(fromFile);
      SiteAgent a = c.agent("hospital-a", csv);
      c.awaitSites(1);
      assertTrue(a.isConnected() && a.link().proxy() != null);
    }
  }

  @Test
  void theDoctorSaysPlainlyWhenTheProxyRefusesConnectWith403OrCannotBeReached() throws Exception {
    Path csv = TestConsortium.cohorts(dir, 1, 60, 33).get(0);
    try (TestConsortium c = new TestConsortium(dir); TestTinyproxy proxy = TestTinyproxy.refusingConnect(dir.resolve("proxy"))) {
      Run refused = doctor(install(c, "hospital-a", csv, "{\"url\":\"" + proxy.url() + "\"}", null));
      assertTrue(refused.exit() != 0, refused.out());
      assertTrue(refused.out().contains("refused to connect to the coordinator: 403") && refused.out().contains("forbidden"), refused.out());
      assertTrue(refused.out().contains("ask the hospital's network team to allow HTTP CONNECT"), refused.out());

      // The agent's own connection attempt through that proxy says the same (what its log shows while it retries).
      Vertx vertx = Vertx.vertx();
      try {
        SiteIdentity identity = SiteIdentity.load(c.pki.siteTls().get("hospital-a"), "hospital-a");
        CoordinatorLink.Probe p = CoordinatorLink.probe(vertx, c.agentUri(), identity, "test",
            OutboundLedger.open(dir.resolve("probe-work")), Duration.ofSeconds(5),
            ProxySettings.parse(proxy.url(), null, null, List.of(), "test")).toCompletionStage().toCompletableFuture()
            .get(15, TimeUnit.SECONDS);
        assertFalse(p.welcomed());
        assertTrue(p.failure().contains("refused to connect to the coordinator: 403"), p.failure());
      } finally {
        vertx.close();
      }

      int closedPort;
      try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        closedPort = s.getLocalPort();
      }
      Run unreachable = doctor(install(c, "hospital-b", csv, "{\"url\":\"http://127.0.0.1:" + closedPort + "\"}", null));
      assertTrue(unreachable.exit() != 0, unreachable.out());
      assertTrue(unreachable.out().contains("the proxy http://127.0.0.1:" + closedPort) && unreachable.out().contains("is unreachable"),
          unreachable.out());
    }
  }

  record Run(int exit, String out) {}

  /** A site installation: enrolled, owner-only work directory, a config file whose "proxy" is {@code proxyJson}. */
  private Path install(TestConsortium c, String site, Path csv, String proxyJson, String password) throws Exception {
    Path root = Files.createDirectories(dir.resolve("install-" + site));
    Path tls = c.pki.enrol(site);
    Path work = Files.createDirectories(root.resolve("work"));
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
    if (password != null) {
      Path pw = Files.writeString(root.resolve("proxy-password"), password + "\n");
      Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    }
    return TestConsortium.write(root.resolve("agent.json"), List.of("{\"siteId\":\"" + site + "\",\"coordinator\":\"" + c.agentUri()
        + "\",\"data\":{\"csv\":\"" + csv + "\"},\"tls\":\"" + tls + "\",\"workDir\":\"work\",\"proxy\":" + proxyJson + "}"));
  }

  private static Run doctor(Path config) {
    StringWriter out = new StringWriter();
    int exit = new CommandLine(new SiteAgentMain()).setOut(new PrintWriter(out)).execute("doctor", "--config", config.toString());
    return new Run(exit, out.toString());
  }
}
