package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, finding 6: an enrolled site sent 256 MiB messages before {@code hello} over many connections and took
 * the coordinator down. Real mutual-TLS WebSocket clients presenting real enrolled site certificates attack a real
 * coordinator's agent port: oversized messages before hello, a flood of connections for one certificate, a
 * connection that never says hello and one that sends faster than its byte budget are all closed with a reason,
 * and {@code /health} keeps answering.
 */
class AgentFloodTest {
  static final int HELLO_SECONDS = 8, PER_SITE = 2, BEFORE_HELLO = 64 * 1024, MAX_TEXT = 64 * 1024, MAX_BINARY = 1024 * 1024;
  static final long RATE = 128 * 1024;
  @TempDir static Path dir;
  static SecuredCoordinator c;
  static final List<HttpClient> clients = new CopyOnWriteArrayList<>();

  @BeforeAll static void start() throws Exception {
    NetworkLimits d = NetworkLimits.DEFAULTS;
    NetworkLimits limits = new NetworkLimits(d.tlsHandshakeSeconds(), d.apiHeaderSeconds(), d.apiIdleSeconds(), d.apiMaxHeaderBytes(),
        d.apiConnectionsPerClient(), HELLO_SECONDS, BEFORE_HELLO, MAX_TEXT, MAX_BINARY, PER_SITE, RATE);
    c = new SecuredCoordinator(dir, config -> config.withLimits(limits));
  }

  @AfterAll static void stop() {
    c.close();
  }

  record Site(KeyPair keys, X509Certificate cert) {}

  static Site enrol(String siteId) throws Exception {
    KeyPair keys = SiteKeys.generateKeyPair();
    String csr = SiteKeys.certificationRequestPem(SiteKeys.certificationRequest(siteId, keys));
    return new Site(keys, c.admin.enrolSite(csr, Duration.ofDays(1), SecuredCoordinator.PASSPHRASE).certificate());
  }

  static final class Conn implements WebSocket.Listener {
    final CompletableFuture<String> closed = new CompletableFuture<>();
    final List<String> texts = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> welcome = new CompletableFuture<>();
    volatile int status = -2;
    WebSocket ws;
    private final StringBuilder text = new StringBuilder();

    @Override public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String t = text.toString();
        texts.add(t);
        if (t.contains("\"welcome\"")) welcome.complete(t);
        text.setLength(0);
      }
      w.request(1);
      return null;
    }

    @Override public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
      status = code;
      closed.complete(code + " " + reason);
      return null;
    }

    @Override public void onError(WebSocket w, Throwable error) {
      closed.complete("error " + error);
    }

    boolean isClosed() {
      return closed.isDone();
    }
  }

  static Conn connect(Site site) throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(c.tls(site.keys(), site.cert())).connectTimeout(Duration.ofSeconds(5)).build();
    clients.add(http);
    Conn conn = new Conn();
    conn.ws = http.newWebSocketBuilder().buildAsync(c.agentUri(), conn).get(10, TimeUnit.SECONDS);
    return conn;
  }

  static void hello(Conn conn) {
    conn.ws.sendText("{\"type\":\"hello\",\"agentVersion\":\"test\"}", true).join();
  }

  static void assertHealthAnswersQuickly() throws Exception {
    long t0 = System.nanoTime();
    assertEquals(200, c.send(null, "GET", "/health", null).status());
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds < 2, "/health took " + seconds + " s");
  }

  @Test void anOversizedTextMessageBeforeHelloClosesTheConnectionWithAReason() throws Exception {
    Conn conn = connect(enrol("hospital-big-text"));
    conn.ws.sendText("{\"type\":\"hello\",\"agentVersion\":\"" + "a".repeat(BEFORE_HELLO + 1000) + "\"}", true);
    String closed = conn.closed.get(10, TimeUnit.SECONDS);
    assertEquals(1009, conn.status, closed);
    assertTrue(closed.contains("before hello"), closed);
    assertTrue(conn.texts.stream().anyMatch(t -> t.contains("refused") && t.contains("at most " + BEFORE_HELLO)), conn.texts.toString());
    assertFalse(conn.welcome.isDone());
    assertHealthAnswersQuickly();
  }

  @Test void anOversizedBinaryMessageBeforeHelloClosesTheConnectionWithAReason() throws Exception {
    Conn conn = connect(enrol("hospital-big-binary"));
    conn.ws.sendBinary(ByteBuffer.allocate(512 * 1024), true);
    String closed = conn.closed.get(10, TimeUnit.SECONDS);
    assertEquals(1009, conn.status, closed);
    assertTrue(closed.contains("before hello"), closed);
    assertHealthAnswersQuickly();
  }

  @Test void manyConnectionsForOneSiteKeepOnlyTheAllowedNumberAndNeverTheHelloSession() throws Exception {
    Site site = enrol("hospital-many");
    Conn session = connect(site);
    hello(session);
    session.welcome.get(10, TimeUnit.SECONDS);
    List<Conn> flood = new ArrayList<>();
    for (int i = 0; i < 6; i++) flood.add(connect(site));
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (flood.stream().filter(Conn::isClosed).count() < flood.size() - (PER_SITE - 1) && System.nanoTime() < deadline) Thread.sleep(20);
    assertEquals(flood.size() - (PER_SITE - 1), flood.stream().filter(Conn::isClosed).count(), "only " + PER_SITE + " connections stay");
    assertFalse(session.isClosed(), "the site's live session is not the one evicted: " + session.closed.getNow(""));
    assertFalse(flood.get(flood.size() - 1).isClosed(), "the newest connection stays");
    for (Conn f : flood.subList(0, flood.size() - 1)) {
      assertEquals(1008, f.status, f.closed.getNow(""));
      assertTrue(f.closed.getNow("").contains("too many connections"), f.closed.getNow(""));
    }
    // A reconnect replaces the old session.
    Conn newest = flood.get(flood.size() - 1);
    hello(newest);
    newest.welcome.get(10, TimeUnit.SECONDS);
    assertTrue(session.closed.get(10, TimeUnit.SECONDS).startsWith("4000"), session.closed.getNow(""));
    assertHealthAnswersQuickly();
  }

  @Test void aConnectionThatNeverSaysHelloIsClosedAfterTheHelloDeadline() throws Exception {
    Conn conn = connect(enrol("hospital-silent"));
    long t0 = System.nanoTime();
    String closed = conn.closed.get(HELLO_SECONDS + 10, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds > HELLO_SECONDS - 2, "closed after " + seconds + " s: " + closed);
    assertTrue(closed.contains("no hello within"), closed);
  }

  @Test void aConnectionSendingBeyondItsByteBudgetIsClosed() throws Exception {
    Conn conn = connect(enrol("hospital-fast"));
    hello(conn);
    conn.welcome.get(10, TimeUnit.SECONDS);
    long t0 = System.nanoTime();
    for (int i = 0; i < 400 && !conn.isClosed(); i++) {
      try {
        conn.ws.sendBinary(ByteBuffer.allocate(32 * 1024), true).get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        break; // the coordinator closed the connection under us
      }
    }
    String closed = conn.closed.get(10, TimeUnit.SECONDS);
    assertEquals(1008, conn.status, closed);
    assertTrue(closed.contains("rate"), closed);
    assertTrue((System.nanoTime() - t0) / 1e9 < 8, "closed within the burst plus a few seconds of the rate");
    assertHealthAnswersQuickly();
  }

  @Test void aModelFrameLargerThanTheLargestStudyPermitsIsRefusedAfterHello() throws Exception {
    // 3 inputs (age, sex F/M), hidden 1000 and 100: 104,201 parameters, frames of about 417 KB
    String study = HazelcastMemberPortTest.STUDY.replace("\"hiddenLayers\": [8]", "\"hiddenLayers\": [1000, 100]");
    assertEquals(201, c.send(c.aliceToken, "POST", "/api/studies", study).status());
    long frame = 48 + 4L * (104_201 + 2) + 512;
    Conn conn = connect(enrol("hospital-model-size"));
    hello(conn);
    conn.welcome.get(10, TimeUnit.SECONDS);
    conn.ws.sendBinary(ByteBuffer.allocate(300 * 1024), true).get(5, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (conn.texts.stream().noneMatch(t -> t.contains("undecodable")) && System.nanoTime() < deadline) Thread.sleep(20);
    assertFalse(conn.isClosed(), "a frame within the study's model size is read: " + conn.closed.getNow(""));
    conn.ws.sendBinary(ByteBuffer.allocate((int) frame + 1), true);
    String closed = conn.closed.get(10, TimeUnit.SECONDS);
    assertEquals(1009, conn.status, closed);
    assertTrue(conn.texts.stream().anyMatch(t -> t.contains("at most " + frame + " bytes")), conn.texts.toString());
  }
}
