package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dure.crypto.pki.ConsortiumCa;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's endpoints of a real coordinator: {@code GET /api/metrics} (administrators and auditors only),
 * {@code /health} against {@code /ready}, the optional plain-HTTP metrics listener, and TLS handshake failures
 * counted by reason. The metrics of a whole study are checked in the launcher's {@code OperationsEndToEndTest}.
 */
class OperationsEndpointsTest {
  @TempDir static Path dir;
  static SecuredCoordinator c;

  @BeforeAll static void start() throws Exception {
    c = new SecuredCoordinator(dir);
  }

  @AfterAll static void stop() {
    c.close();
  }

  static HttpResponse<String> get(String token, String path) throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(c.tls(null, null)).build();
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + c.coordinator.apiPort() + path));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The value of the first sample of {@code name} whose labels include every {@code labels} pair (NaN if none). */
  static double sample(String exposition, String name, String... labels) {
    for (String line : exposition.split("\n")) {
      if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) continue;
      boolean all = true;
      for (int i = 0; i + 1 < labels.length; i += 2) all &= line.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
      if (all) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    return Double.NaN;
  }

  @Test void metricsAreForAdministratorsAndAuditorsOnly() throws Exception {
    assertEquals(401, get(null, "/api/metrics").statusCode());
    assertEquals(404, get(c.adminToken, "/api/no/such/" + "x".repeat(40)).statusCode());
    HttpResponse<String> researcher = get(c.aliceToken, "/api/metrics");
    assertEquals(403, researcher.statusCode());
    assertTrue(researcher.body().contains("needs the auditor or admin role"), researcher.body());
    for (String token : new String[] {c.auditorToken, c.adminToken}) {
      HttpResponse<String> r = get(token, "/api/metrics");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
      String m = r.body();
      assertEquals(1.0, sample(m, "dure_build_info", "component", "coordinator", "version", Coordinator.VERSION), m);
      assertEquals(0.0, sample(m, "dure_studies", "state", "TRAINING"));
      assertEquals(0.0, sample(m, "dure_sites_online"));
      assertTrue(sample(m, "dure_ledger_entries") >= 0, "the ledger's size is exported");
      assertTrue(sample(m, "jvm_memory_used_bytes", "area", "heap") > 0);
      assertTrue(sample(m, "process_uptime_seconds") > 0);
      assertTrue(sample(m, "dure_api_requests_total", "route", "/api/metrics", "method", "GET", "status", "403") >= 1, m);
      assertTrue(sample(m, "dure_api_requests_total", "route", "/api/metrics", "method", "GET", "status", "401") >= 1, m);
      assertTrue(sample(m, "dure_network_sent_bytes_total", "channel", "api") > 0, m);
      assertFalse(m.contains("/api/no/such"), "a path a client made up is no label value");
      assertTrue(sample(m, "dure_api_requests_total", "route", "unmatched", "status", "404") >= 1, m);
      assertFalse(m.contains(c.aliceToken) || m.contains(c.adminToken) || m.contains(c.auditorToken), "no token in the metrics");
    }
    HttpResponse<String> open = get(c.adminToken, "/api/metrics");
    HttpResponse<String> om = HttpClient.newBuilder().sslContext(c.tls(null, null)).build().send(HttpRequest.newBuilder(
        URI.create("https://127.0.0.1:" + c.coordinator.apiPort() + "/api/metrics")).header("Authorization", "Bearer " + c.adminToken)
        .header("Accept", "application/openmetrics-text; version=1.0.0").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, open.statusCode());
    assertTrue(om.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
    assertTrue(om.body().trim().endsWith("# EOF"), "OpenMetrics ends with # EOF");
  }

  @Test void healthIsLivenessAndReadyChecksHazelcastLedgerStorageAndPki() throws Exception {
    HttpResponse<String> health = get(null, "/health");
    assertEquals(200, health.statusCode());
    HttpResponse<String> ready = get(null, "/ready");
    assertEquals(200, ready.statusCode(), ready.body());
    var json = SecuredCoordinator.JSON.readTree(ready.body());
    assertEquals("ready", json.path("status").asText());
    for (String check : new String[] {"hazelcast", "ledger", "storage", "pki"}) assertEquals("ok", json.path("checks").path(check).asText(), check);
  }

  @Test void handshakeFailuresAndRefusalsAreCountedByReason() throws Exception {
    ConsortiumCa ca = ConsortiumCa.load(c.admin.caDir(), SecuredCoordinator.PASSPHRASE);
    KeyPair keys = SiteKeys.generateKeyPair();
    X509Certificate unlisted = ca.signSite(SiteKeys.certificationRequest("hospital-unlisted", keys), Duration.ofDays(1));
    tryConnect(null, null);
    tryConnect(keys, unlisted);
    String m = "";
    for (int i = 0; i < 100; i++) {
      m = get(c.adminToken, "/api/metrics").body();
      if (sample(m, "dure_tls_handshake_failures_total", "listener", "agents", "reason", "not_enrolled") >= 1
          && sample(m, "dure_tls_handshake_failures_total", "listener", "agents", "reason", "no_certificate") >= 1) break;
      Thread.sleep(50);
    }
    assertTrue(sample(m, "dure_tls_handshake_failures_total", "listener", "agents", "reason", "no_certificate") >= 1, m);
    assertTrue(sample(m, "dure_tls_handshake_failures_total", "listener", "agents", "reason", "not_enrolled") >= 1, m);
    assertTrue(sample(m, "dure_site_refusals_total", "reason", "not_enrolled") >= 1, m);
  }

  private static void tryConnect(KeyPair keys, X509Certificate cert) throws Exception {
    try {
      HttpClient.newBuilder().sslContext(c.tls(keys, cert)).connectTimeout(Duration.ofSeconds(5)).build()
          .newWebSocketBuilder().buildAsync(c.agentUri(), new WebSocket.Listener() {}).get(10, TimeUnit.SECONDS)
          .sendText("{\"type\":\"hello\",\"agentVersion\":\"test\"}", true).get(5, TimeUnit.SECONDS);
    } catch (Exception expected) {
      // refused: what the metric counts
    }
  }

  @Test void theMetricsListenerIsOffByDefaultServesPlainHttpWhenConfiguredAndReadinessFollowsTheParts(@TempDir Path other)
      throws Exception {
    assertEquals(-1, c.coordinator.metricsPort());
    try (SecuredCoordinator m = new SecuredCoordinator(other, config -> config.withMetricsListener(
        new CoordinatorConfig.MetricsListener("127.0.0.1", 0)))) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + m.coordinator.metricsPort();
      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      assertEquals(1.0, sample(metrics.body(), "dure_build_info", "component", "coordinator"));
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + "/api/studies")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());

      m.coordinator.ledger().close();
      HttpResponse<String> noLedger = http.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(503, noLedger.statusCode());
      var json = SecuredCoordinator.JSON.readTree(noLedger.body());
      assertEquals("not ready", json.path("status").asText());
      assertEquals("failed", json.path("checks").path("ledger").asText());
      assertEquals("ok", json.path("checks").path("hazelcast").asText());
      m.coordinator.clusterState().close();
      json = SecuredCoordinator.JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      assertEquals("failed", json.path("checks").path("hazelcast").asText());
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode(),
          "liveness does not follow readiness");
    }
  }
}
