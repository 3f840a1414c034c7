package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.dure.coordinator.security.Refusals;
import org.dure.crypto.pki.ConsortiumCa;
import org.dure.crypto.pki.SiteCertificateException.Reason;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent port over real TLS 1.3 handshakes on loopback: only a current certificate of an enrolled site,
 * issued by the consortium CA, gets in; every refusal is recorded with a reason that names the problem.
 */
class AgentPortTest {
  @TempDir static Path dir;
  static SecuredCoordinator c;

  @BeforeAll static void start() throws Exception {
    c = new SecuredCoordinator(dir);
  }

  @AfterAll static void stop() {
    c.close();
  }

  record Site(KeyPair keys, X509Certificate cert) {}

  static Site enrol(String siteId, Duration validity) throws Exception {
    KeyPair keys = SiteKeys.generateKeyPair();
    String csr = SiteKeys.certificationRequestPem(SiteKeys.certificationRequest(siteId, keys));
    return new Site(keys, c.admin.enrolSite(csr, validity, SecuredCoordinator.PASSPHRASE).certificate());
  }

  /** Opens the agent WebSocket presenting {@code site} (or no certificate) and returns the first text message. */
  static Connection connect(Site site) throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(site == null ? c.tls(null, null) : c.tls(site.keys(), site.cert()))
        .connectTimeout(Duration.ofSeconds(5)).build();
    Connection conn = new Connection();
    WebSocket ws = http.newWebSocketBuilder().buildAsync(c.agentUri(), conn).get(10, TimeUnit.SECONDS);
    ws.sendText("{\"type\":\"hello\",\"agentVersion\":\"test\"}", true);
    return conn;
  }

  static final class Connection implements WebSocket.Listener {
    final CompletableFuture<String> first = new CompletableFuture<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();

    @Override public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        first.complete(text.toString());
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      closed.complete(status);
      return null;
    }

    @Override public void onError(WebSocket ws, Throwable error) {
      closed.complete(-1);
    }
  }

  static Refusals.Refusal refusalOf(String cn) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      List<Refusals.Refusal> r = c.coordinator.refusals().recent().stream().filter(x -> x.subject().equals("CN=" + cn)).toList();
      if (!r.isEmpty()) return r.get(r.size() - 1);
      Thread.sleep(20);
    }
    throw new AssertionError("no refusal recorded for " + cn + ": " + c.coordinator.refusals().recent());
  }

  static void assertRefused(Site site, String cn, Reason reason, String words) throws Exception {
    Exception e = assertThrows(Exception.class, () -> {
      Connection conn = connect(site);
      // With TLS 1.3 the server checks the client certificate after the client's Finished: a refused client
      // may see the upgrade fail or the connection close; it must never get a welcome.
      String first = conn.first.get(5, TimeUnit.SECONDS);
      throw new AssertionError("site " + cn + " was let in: " + first);
    });
    assertTrue(e instanceof ExecutionException || e instanceof TimeoutException || e instanceof java.io.IOException, e.toString());
    Refusals.Refusal r = refusalOf(cn);
    assertEquals(reason, r.reason(), r.message());
    assertTrue(r.message().contains(words), r.message());
  }

  @Test void anEnrolledSiteConnectsAndIsNamedByItsCertificate() throws Exception {
    Connection conn = connect(enrol("hospital-valid", Duration.ofDays(1)));
    String welcome = conn.first.get(10, TimeUnit.SECONDS);
    assertTrue(welcome.contains("\"type\":\"welcome\"") && welcome.contains("\"siteId\":\"hospital-valid\""), welcome);
  }

  @Test void aCertificateFromAnotherCaIsRefusedAsUntrusted() throws Exception {
    ConsortiumCa other = ConsortiumCa.create("Some other consortium", Duration.ofDays(1));
    KeyPair keys = SiteKeys.generateKeyPair();
    X509Certificate cert = other.signSite(SiteKeys.certificationRequest("hospital-foreign", keys), Duration.ofDays(1));
    assertRefused(new Site(keys, cert), "hospital-foreign", Reason.UNTRUSTED_ISSUER, "not issued by the consortium CA");
  }

  @Test void anExpiredCertificateIsRefusedAsExpired() throws Exception {
    Site site = enrol("hospital-expired", Duration.ofMillis(1));
    Thread.sleep(20);
    assertRefused(site, "hospital-expired", Reason.EXPIRED, "expired");
  }

  @Test void aCertificateOfARevokedSiteIsRefusedAsRevoked() throws Exception {
    Site site = enrol("hospital-revoked", Duration.ofDays(1));
    c.admin.revokeSite("hospital-revoked", "test", SecuredCoordinator.PASSPHRASE);
    Thread.sleep(2500); // the coordinator re-reads the CRL and register within a second of a change
    assertRefused(site, "hospital-revoked", Reason.REVOKED, "revoked");
  }

  @Test void aValidCertificateForASiteNotInTheRegisterIsRefusedAsNotEnrolled() throws Exception {
    ConsortiumCa ca = ConsortiumCa.load(c.admin.caDir(), SecuredCoordinator.PASSPHRASE);
    KeyPair keys = SiteKeys.generateKeyPair();
    X509Certificate cert = ca.signSite(SiteKeys.certificationRequest("hospital-unlisted", keys), Duration.ofDays(1));
    assertRefused(new Site(keys, cert), "hospital-unlisted", Reason.NOT_ENROLLED, "not an enrolled site");
  }

  @Test void aConnectionWithoutAClientCertificateFailsTheHandshake() {
    Exception e = assertThrows(Exception.class, () -> connect(null).first.get(5, TimeUnit.SECONDS));
    assertTrue(e instanceof ExecutionException || e instanceof TimeoutException || e instanceof java.io.IOException, e.toString());
  }

  /** Issue 13, finding 11: GET /api/sites showed researchers each hospital's IP:port and byte counters. */
  @Test void researchersSeeWhichSitesAreOnlineButNotTheirAddressesOrTraffic() throws Exception {
    Connection conn = connect(enrol("hospital-visible", Duration.ofDays(1)));
    assertTrue(conn.first.get(10, TimeUnit.SECONDS).contains("welcome"));
    com.fasterxml.jackson.databind.JsonNode mine = null;
    for (int i = 0; i < 50 && mine == null; i++) {
      for (com.fasterxml.jackson.databind.JsonNode n : c.send(c.aliceToken, "GET", "/api/sites", null).body())
        if (n.path("siteId").asText().equals("hospital-visible")) mine = n;
      if (mine == null) Thread.sleep(50);
    }
    assertTrue(mine != null, "the researcher sees the connected site");
    assertEquals(List.of("siteId", "online"), toList(mine.fieldNames()), mine.toString());
    assertTrue(mine.path("online").asBoolean());
    String all = c.send(c.aliceToken, "GET", "/api/sites", null).body().toString();
    for (String hidden : List.of("remoteAddress", "bytesSent", "bytesReceived", "certificateSerial", "127.0.0.1"))
      assertTrue(!all.contains(hidden), hidden + " shown to a researcher: " + all);
    for (String operator : new String[] {c.adminToken, c.auditorToken}) {
      com.fasterxml.jackson.databind.JsonNode full = null;
      for (com.fasterxml.jackson.databind.JsonNode n : c.send(operator, "GET", "/api/sites", null).body())
        if (n.path("siteId").asText().equals("hospital-visible")) full = n;
      assertTrue(full != null && full.path("remoteAddress").asText().contains("127.0.0.1:")
          && full.has("bytesSent") && full.has("bytesReceived") && full.has("certificateSerial"), String.valueOf(full));
    }
  }

  @Test void revokingALiveSiteDropsItsConnectionAtOnce() throws Exception {
    Connection conn = connect(enrol("hospital-live", Duration.ofDays(1)));
    assertTrue(conn.first.get(10, TimeUnit.SECONDS).contains("welcome"));

    c.admin.revokeSite("hospital-live", "withdrawn from the consortium", SecuredCoordinator.PASSPHRASE);

    int status = conn.closed.get(10, TimeUnit.SECONDS);
    assertNotEquals(1000, status, "the coordinator closes with a policy-violation code, not a normal close");
    assertEquals(Reason.REVOKED, refusalOf("hospital-live").reason());
  }

  @Test void opensslWithoutAClientCertificateCannotCompleteASession() throws Exception {
    Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + c.coordinator.agentPort(), "-tls1_3",
        "-servername", "localhost", "-CAfile", c.admin.coordinatorDir().resolve("ca-cert.pem").toString())
        .redirectErrorStream(true).start();
    p.getOutputStream().write("GET /agents HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes());
    p.getOutputStream().flush();
    assertTrue(p.waitFor(20, TimeUnit.SECONDS), "openssl s_client did not finish");
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(out.contains("alert certificate required") || out.contains("alert"), out);
    assertTrue(!out.contains("HTTP/1.1"), "the server must not answer HTTP without a client certificate:\n" + out);
  }

  private static List<String> toList(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
