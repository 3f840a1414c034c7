package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, finding 8: half-sent unauthenticated requests held API connections until {@code /health} and the
 * sites starved. Real TLS sockets attack a real coordinator's API port: stalled request heads are closed after the
 * header deadline, connections beyond the per-client limit at once, silent TCP connections after the TLS handshake
 * timeout, and {@code /health} answers from another client throughout.
 */
class ApiSlowClientTest {
  static final int HEADER_SECONDS = 3, PER_CLIENT = 8, HANDSHAKE_SECONDS = 3;
  /** The attacker's source address: another loopback address, so the per-client limit does not hit the test's own client. */
  static final String ATTACKER = "127.0.0.2";
  @TempDir static Path dir;
  static SecuredCoordinator c;
  static SSLSocketFactory tls;

  @BeforeAll static void start() throws Exception {
    c = new SecuredCoordinator(dir, config -> config.withLimits(NetworkLimits.DEFAULTS.withApi(HEADER_SECONDS, 60, PER_CLIENT)
        .withTlsHandshakeSeconds(HANDSHAKE_SECONDS)));
    tls = c.tls(null, null).getSocketFactory();
  }

  @AfterAll static void stop() {
    c.close();
  }

  static SSLSocket attackerSocket() throws IOException {
    SSLSocket s = (SSLSocket) tls.createSocket(InetAddress.getByName("127.0.0.1"), c.coordinator.apiPort(),
        InetAddress.getByName(ATTACKER), 0);
    s.setSoTimeout(20_000);
    s.startHandshake();
    return s;
  }

  /** Blocks until the server closes the connection; returns the seconds since {@code t0}. */
  static double awaitClosed(Socket s, long t0) {
    try {
      InputStream in = s.getInputStream();
      while (in.read() != -1) {
        // drain whatever the server says before closing
      }
    } catch (IOException e) {
      // reset or closed: the server is done with us either way
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  static void assertHealthAnswersQuickly() throws Exception {
    long t0 = System.nanoTime();
    assertEquals(200, c.send(null, "GET", "/health", null).status());
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds < 2, "/health took " + seconds + " s");
  }

  @Test void stalledRequestHeadsAreClosedAfterTheHeaderDeadlineAndExcessConnectionsAtOnce() throws Exception {
    int sockets = 20;
    List<SSLSocket> open = new ArrayList<>();
    for (int i = 0; i < sockets; i++) {
      SSLSocket s = attackerSocket();
      s.getOutputStream().write("GET /health HT".getBytes(StandardCharsets.US_ASCII)); // and never the rest
      s.getOutputStream().flush();
      open.add(s);
    }
    long t0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(sockets);
    try {
      List<Future<Double>> closedAfter = new ArrayList<>();
      for (SSLSocket s : open) closedAfter.add(pool.submit(() -> awaitClosed(s, t0)));
      assertHealthAnswersQuickly();
      int atOnce = 0, atDeadline = 0;
      for (Future<Double> f : closedAfter) {
        double seconds = f.get(HEADER_SECONDS + 10, TimeUnit.SECONDS);
        if (seconds < HEADER_SECONDS - 1.0) atOnce++;
        else if (seconds < HEADER_SECONDS + 5) atDeadline++;
      }
      assertEquals(sockets - PER_CLIENT, atOnce, "connections beyond the per-client limit are closed at once");
      assertEquals(PER_CLIENT, atDeadline, "stalled request heads are closed at the header deadline");
      assertHealthAnswersQuickly();
    } finally {
      pool.shutdownNow();
      for (SSLSocket s : open) s.close();
    }
  }

  @Test void aKeptAliveConnectionThatStallsTheNextRequestHeadIsClosedToo() throws Exception {
    try (SSLSocket s = attackerSocket()) {
      s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      byte[] buf = new byte[4096];
      int n = s.getInputStream().read(buf);
      String response = new String(buf, 0, Math.max(n, 0), StandardCharsets.US_ASCII);
      assertTrue(response.startsWith("HTTP/1.1 200"), response);
      s.getOutputStream().write("GET /he".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      long t0 = System.nanoTime();
      double seconds = awaitClosed(s, t0);
      assertTrue(seconds > HEADER_SECONDS - 1.0 && seconds < HEADER_SECONDS + 5, "closed after " + seconds + " s");
    }
  }

  @Test void aSilentTcpConnectionIsClosedAfterTheTlsHandshakeTimeout() throws Exception {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(ATTACKER, 0));
      s.connect(new InetSocketAddress("127.0.0.1", c.coordinator.apiPort()), 2000);
      s.setSoTimeout(20_000);
      long t0 = System.nanoTime();
      double seconds = awaitClosed(s, t0);
      assertTrue(seconds > HANDSHAKE_SECONDS - 1.0 && seconds < HANDSHAKE_SECONDS + 5, "closed after " + seconds + " s");
    }
    assertHealthAnswersQuickly();
  }

  @Test void anOversizedRequestHeadIsRefused() throws Exception {
    try (SSLSocket s = attackerSocket()) {
      String big = "X-Filler: " + "a".repeat(NetworkLimits.DEFAULTS.apiMaxHeaderBytes() + 1024) + "\r\n";
      s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + big + "\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      byte[] buf = new byte[4096];
      int n = s.getInputStream().read(buf);
      String response = n < 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
      assertTrue(response.isEmpty() || response.startsWith("HTTP/1.1 431") || response.startsWith("HTTP/1.1 400"), response);
      assertTrue(!response.startsWith("HTTP/1.1 200"), response);
    }
  }
}
