package org.dure.agent.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The hospital proxy as HTTPS_PROXY/NO_PROXY give it, and as the agent configuration does. */
class ProxySettingsTest {
  static final URI COORDINATOR = URI.create("wss://coordinator.consortium.example.org:8471/agents");

  @Test void httpsProxyFromTheEnvironmentWithCredentialsInTheUrl() {
    ProxySettings p = ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", "http://dure%40ward:p%3Ass@proxy.hospital.local:3128"));
    assertEquals("proxy.hospital.local", p.host());
    assertEquals(3128, p.port());
    assertEquals("dure@ward", p.username());
    assertEquals("p:ss", p.password());
    assertEquals("HTTPS_PROXY", p.source());
    assertTrue(p.appliesTo(COORDINATOR));
    assertFalse(p.toString().contains("p:ss"), "the password never shows: " + p);
    assertEquals("proxy.hospital.local", p.vertx().getHost());
    assertEquals("dure@ward", p.vertx().getUsername());
  }

  @Test void lowerCaseVariablesAndASchemeLessValueAsCurlReadsThem() {
    ProxySettings p = ProxySettings.fromEnvironment(Map.of("https_proxy", "proxy:8080", "no_proxy", ".internal"));
    assertEquals("proxy", p.host());
    assertEquals(8080, p.port());
    assertEquals("https_proxy", p.source());
    assertFalse(p.appliesTo(URI.create("wss://coord.internal:8471/agents")));
    assertNull(ProxySettings.fromEnvironment(Map.of()), "no variable: direct");
    assertNull(ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", " ")), "blank: direct");
  }

  @Test void noProxyNamesHostsDomainsPortsAndEverything() {
    ProxySettings p = ProxySettings.parse("http://proxy:3128", null, null,
        ProxySettings.noProxyList("localhost, .hospital.local example.org,coord.example.net:9999"), "test");
    assertFalse(p.appliesTo(URI.create("wss://localhost:8471/agents")));
    assertFalse(p.appliesTo(URI.create("wss://pacs.hospital.local:8471/agents")));
    assertFalse(p.appliesTo(URI.create("wss://hospital.local:8471/agents")));
    assertFalse(p.appliesTo(URI.create("wss://a.b.example.org:8471/agents")));
    assertTrue(p.appliesTo(URI.create("wss://notexample.org:8471/agents")), "a domain matches at a dot only");
    assertTrue(p.appliesTo(URI.create("wss://coord.example.net:8471/agents")), "the entry names another port");
    assertFalse(p.appliesTo(URI.create("wss://coord.example.net:9999/agents")));
    assertTrue(p.appliesTo(URI.create("wss://coordinator.consortium.eu:8471/agents")));
    assertFalse(ProxySettings.parse("proxy:1", null, null, List.of("*"), "t").appliesTo(COORDINATOR));
  }

  @Test void aProxyFromTheEnvironmentIsNotAskedForLoopbackButOneFromTheConfigurationIs() {
    ProxySettings env = ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", "http://proxy:3128"));
    assertFalse(env.appliesTo(URI.create("wss://127.0.0.1:8471/agents")));
    assertFalse(env.appliesTo(URI.create("wss://localhost:8471/agents")));
    assertFalse(env.appliesTo(URI.create("wss://[::1]:8471/agents")));
    assertTrue(ProxySettings.parse("http://proxy:3128", null, null, List.of(), "agent.json").appliesTo(URI.create("wss://127.0.0.1:8471/agents")));
  }

  @Test void unusableProxyUrlsAreRefusedSayingWhatToWrite() {
    IllegalArgumentException tls = assertThrows(IllegalArgumentException.class,
        () -> ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", "https://u:secret@proxy:3128")));
    assertTrue(tls.getMessage().contains("HTTPS_PROXY") && tls.getMessage().contains("https:// is not supported")
        || tls.getMessage().contains("(https://) is not supported"), tls.getMessage());
    assertFalse(tls.getMessage().contains("secret"), "the password is not repeated: " + tls.getMessage());
    IllegalArgumentException noScheme = assertThrows(IllegalArgumentException.class,
        () -> ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", "user:hunter2@proxy:99999")));
    assertFalse(noScheme.getMessage().contains("hunter2"), noScheme.getMessage());
    IllegalArgumentException badChar = assertThrows(IllegalArgumentException.class,
        () -> ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", "http://user:hun ter2@proxy:3128")));
    assertFalse(badChar.getMessage().contains("ter2"), badChar.getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ProxySettings.parse("socks5://proxy:1080", null, null, null, "t"))
        .getMessage().contains("give the HTTP proxy as http://host:port"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ProxySettings.parse("http://proxy:99999", null, null, null, "t"))
        .getMessage().contains("port"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ProxySettings.parse("http:// bad host", null, null, null, "t"))
        .getMessage().contains("http://proxy.hospital.local:3128"));
  }

  @Test void theProxysAnswersBecomePlainWords() {
    ProxySettings p = ProxySettings.parse("http://proxy:3128", null, null, null, "agent.json");
    assertTrue(ProxyDiagnosis.refused(407, "Proxy Authentication Required", p).contains("no proxy user name and password are configured"));
    assertTrue(ProxyDiagnosis.refused(403, "Access violation", p).contains("forbidden"));
    assertTrue(ProxyDiagnosis.explain(new RuntimeException("http, none, proxy/127.0.0.1:3128 => c:8471, status: 403 Forbidden"), p)
        .contains("refused to connect to the coordinator: 403 Forbidden"));
    assertTrue(ProxyDiagnosis.explain(new java.net.ConnectException("Connection refused: proxy/127.0.0.1:3128"), p).contains("unreachable"));
    assertNull(ProxyDiagnosis.explain(new javax.net.ssl.SSLHandshakeException("certificate_unknown"), p), "past the proxy: not its fault");
  }

  @Test void backoffDoublesFromItsMinimumToItsMaximumWithJitter() {
    LinkSettings s = LinkSettings.defaults();
    assertEquals(250, s.backoffMillis(0, 0.0));
    assertEquals(500, s.backoffMillis(0, 0.999999));
    assertEquals(1000, s.backoffMillis(1, 0.999999));
    assertEquals(2000, s.backoffMillis(2, 0.999999));
    assertEquals(30_000, s.backoffMillis(10, 0.999999));
    assertEquals(15_000, s.backoffMillis(1000, 0.0), "capped, and no overflow however many failures");
    assertThrows(IllegalArgumentException.class, () -> s.withBackoff(java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> s.withLiveness(java.time.Duration.ZERO, java.time.Duration.ofSeconds(1)));
  }
}
