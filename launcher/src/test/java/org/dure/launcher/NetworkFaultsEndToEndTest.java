package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.dure.agent.SiteAgent;
import org.dure.agent.connection.LinkSettings;
import org.dure.agent.outbound.OutboundEntry;
import org.dure.agent.outbound.OutboundLedger;
import org.dure.agent.outbound.OutboundReader;
import org.dure.cohort.CohortGenerator;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real coordinator and real agents, one of them behind a {@link FaultProxy}: a bad network between a hospital and
 * the coordinator (latency, a bandwidth cap, resets, a half-open connection) costs the site a round at most, never a
 * contribution sent twice, and the study completes.
 */
class NetworkFaultsEndToEndTest {
  @TempDir Path dir;

  /**
   * Fast liveness for tests: a ping every 0.25 s, dead after 1 s of silence (slack for a loaded build machine); reconnect
   * from 0.1 s up to 1 s.
   */
  static final LinkSettings FAST = LinkSettings.defaults()
      .withLiveness(Duration.ofMillis(250), Duration.ofSeconds(1))
      .withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1))
      .withConnectTimeout(Duration.ofSeconds(1));

  private static String study(int rounds, int deadlineSeconds, boolean secure) {
    ObjectNode s = (ObjectNode) read(CohortGenerator.exampleStudyJson());
    ((ObjectNode) s.path("training")).put("rounds", rounds);
    s.put("minSites", 2).put("roundDeadlineSeconds", deadlineSeconds);
    return secure ? s.toString() : TestConsortium.plain(s.toString());
  }

  /** The sites' networks: hospital-a and -b share a sound one, hospital-c has its own, where the faults strike. */
  record Networks(FaultProxy wan, FaultProxy faulty) implements AutoCloseable {
    @Override public void close() {
      wan.close();
      faulty.close();
    }
  }

  /**
   * Three sites, each 50 ms (one way) from the coordinator, so that a round takes a few hundred milliseconds, as over
   * a real wide-area network, and a site that reconnects finds rounds left to rejoin; hospital-c, behind the faulty
   * network, with the fast liveness settings.
   */
  private Networks consortium(TestConsortium c, List<Path> files) throws Exception {
    Networks n = new Networks(new FaultProxy(c.coordinator.agentPort()).latency(Duration.ofMillis(50)),
        new FaultProxy(c.coordinator.agentPort()).latency(Duration.ofMillis(50)));
    c.agentConfig = config -> config.siteId().equals("hospital-c") ? config.withLink(FAST).withMetricsPort(0) : config;
    c.agent("hospital-a", files.get(0), n.wan().agentUri());
    c.agent("hospital-b", files.get(1), n.wan().agentUri());
    c.agent("hospital-c", files.get(2), n.faulty().agentUri());
    c.awaitSites(3);
    return n;
  }

  /** The first round after {@code round} that used hospital-c's update, or -1. */
  private static int rejoined(JsonNode rounds, int round) {
    for (int r = round + 1; r < rounds.size(); r++) if (rounds.get(r).path("samples").has("hospital-c")) return r;
    return -1;
  }

  @Test
  void aHalfOpenLinkIsFoundByPingsTheSiteIsDroppedAtTheRoundDeadlineAndRejoinsWithoutSendingAnUpdateTwice() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 21);
    try (TestConsortium c = new TestConsortium(dir); Networks net = consortium(c, files)) {
      FaultProxy proxy = net.faulty();
      SiteAgent siteC = c.agents.get(2);
      AtomicLong struck = new AtomicLong();
      // Once the coordinator has hospital-c's round-1 update, the link goes half-open on c's next message (round 2's):
      // the proxy swallows it and everything after, both ways, and closes nothing; new connections too, for now.
      c.coordinator.observeInbound((site, binary, payload) -> {
        if (site.equals("hospital-c") && binary && struck.get() == 0 && !proxy.armed()) {
          proxy.armOnUpload(200, FaultProxy.Fault.HALF_OPEN, () -> {
            proxy.halfOpen();
            struck.set(System.nanoTime());
          });
        }
      });
      String id = c.run(study(12, 3, false));

      await(() -> struck.get() != 0, Duration.ofSeconds(30), "the half-open fault never struck");
      await(() -> !siteC.isConnected(), Duration.ofSeconds(5), "hospital-c never noticed its link went half-open");
      double detected = (System.nanoTime() - struck.get()) / 1e9;
      assertTrue(siteC.link().deadLinksDetected() >= 1, "found by an unanswered ping, not by a close");
      assertTrue(detected < 4, "found within a ping and its deadline (0.25 + 1 s), took " + detected + " s");
      int beforeOutage = proxy.accepted();
      // The coordinator hears nothing from hospital-c either (its side of the connection is still open): the round's
      // deadline drops it, with the reason.
      JsonNode dropped = awaitRound(c, id, r -> r.path("dropped").has("hospital-c"), Duration.ofSeconds(20));
      assertTrue(dropped.path("dropped").path("hospital-c").asText().contains("deadline"), dropped.toString());
      assertTrue(proxy.accepted() > beforeOutage, "hospital-c kept trying to reconnect during the outage");
      proxy.heal();

      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(1));
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      assertTrue(rounds.get(1).path("samples").has("hospital-c"), "hospital-c trained round 1: " + rounds.get(1));
      assertTrue(rejoined(rounds, dropped.path("round").asInt()) > 0, "hospital-c rejoined a later round: " + rounds);
      assertTrue(siteC.isConnected());
      // What the hospital's own monitoring sees (the agent's loopback metrics).
      PrometheusText metrics = PrometheusText.parse(java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + siteC.metricsPort() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body());
      assertTrue(metrics.sum("dure_site_agent_dead_connections_total") >= 1, "the dead link is counted");
      assertTrue(metrics.sum("dure_site_agent_reconnects_total") >= 1, "and the reconnection after the outage");
      assertEquals(1, metrics.sum("dure_site_agent_connected"));

      Map<Integer, Integer> updates = updatesPerRound(dir.resolve("agents/hospital-c"), id);
      updates.forEach((round, n) -> assertEquals(1, n, "hospital-c sent round " + round + "'s update " + n + " times: " + updates));
      int round = dropped.path("round").asInt();
      assertEquals(1, updates.getOrDefault(round, 0),
          "the update swallowed by the half-open link was sent once and not again after reconnecting: " + updates);
      for (int r = 1; r < rounds.size(); r++) {
        boolean used = rounds.get(r).path("samples").has("hospital-c");
        if (used) assertEquals(1, updates.getOrDefault(r, 0), "round " + r);
      }
    }
  }

  @Test
  void inASecureStudyAHalfOpenLinkCostsTheSiteItsRoundAtTheStageDeadlineAndItRevealsAndMasksAtMostOncePerAttempt() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 25);
    try (TestConsortium c = new TestConsortium(dir); Networks net = consortium(c, files)) {
      FaultProxy proxy = net.faulty();
      SiteAgent siteC = c.agents.get(2);
      AtomicLong struck = new AtomicLong();
      // After hospital-c's round-1 masked input arrives, its next message (its reveal, or round 2's keys) is swallowed
      // and the link goes half-open.
      c.coordinator.observeInbound((site, binary, payload) -> {
        if (site.equals("hospital-c") && binary && struck.get() == 0 && !proxy.armed()) {
          proxy.armOnUpload(200, FaultProxy.Fault.HALF_OPEN, () -> {
            proxy.halfOpen();
            struck.set(System.nanoTime());
          });
        }
      });
      String id = c.run(study(6, 3, true));
      await(() -> struck.get() != 0, Duration.ofSeconds(30), "the half-open fault never struck");
      await(() -> siteC.link().deadLinksDetected() >= 1, Duration.ofSeconds(5), "hospital-c never noticed its link went half-open");
      JsonNode dropped = awaitRound(c, id, r -> r.path("dropped").path("hospital-c").asText().contains("deadline")
          || r.path("abortedAttempts").toString().contains("deadline"), Duration.ofSeconds(30));
      proxy.heal();

      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(1));
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      int hit = dropped.path("round").asInt();
      int back = -1;
      for (int r = hit + 1; r < rounds.size() && back < 0; r++)
        if (rounds.get(r).path("secureAggregation").path("survivors").toString().contains("hospital-c")) back = r;
      assertTrue(back > 0, "hospital-c is in a later secure sum: " + rounds);
      Map<String, Integer> perRound = new TreeMap<>();
      for (OutboundEntry e : OutboundReader.read(dir.resolve("agents/hospital-c").resolve(OutboundLedger.FILE)).entries()) {
        if (id.equals(e.study()) && (e.kind().equals("masked-input") || e.kind().equals("secagg-reveal")))
          perRound.merge(e.kind() + "@" + e.round(), 1, Integer::sum);
      }
      for (int r = 1; r < rounds.size(); r++) {
        int attempts = rounds.get(r).path("abortedAttempts").size() + 1;
        assertTrue(perRound.getOrDefault("masked-input@" + r, 0) <= attempts, "round " + r + ": " + perRound);
        assertTrue(perRound.getOrDefault("secagg-reveal@" + r, 0) <= 1, "revealed once at most in round " + r + ": " + perRound);
      }
    }
  }

  @Test
  void aConnectionResetMidRoundDropsTheSiteFromThatRoundAndItRejoinsALaterOne() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 22);
    try (TestConsortium c = new TestConsortium(dir); Networks net = consortium(c, files)) {
      FaultProxy proxy = net.faulty();
      SiteAgent siteC = c.agents.get(2);
      AtomicLong struck = new AtomicLong();
      c.coordinator.observeInbound((site, binary, payload) -> {
        if (site.equals("hospital-c") && binary && struck.get() == 0 && !proxy.armed()) {
          proxy.armOnUpload(200, FaultProxy.Fault.RESET, () -> struck.set(System.nanoTime()));
        }
      });
      int before = siteC.link().attempts();
      String id = c.run(study(10, 5, false));
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(1));

      assertTrue(struck.get() != 0, "the reset never struck");
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      JsonNode hit = null;
      for (JsonNode r : rounds) if (r.path("dropped").has("hospital-c")) hit = hit == null ? r : hit;
      assertTrue(hit != null, "hospital-c was dropped from the round the reset hit: " + rounds);
      assertTrue(hit.path("dropped").path("hospital-c").asText().contains("disconnected during round"), hit.toString());
      assertEquals(2, TestConsortium.contributors(hit), "that round completed with the other two: " + hit);
      assertTrue(rejoined(rounds, hit.path("round").asInt()) > 0, "hospital-c rejoined a later round: " + rounds);
      assertTrue(siteC.link().attempts() > before, "it reconnected");
      Map<Integer, Integer> updates = updatesPerRound(dir.resolve("agents/hospital-c"), id);
      updates.forEach((round, n) -> assertEquals(1, n, "round " + round + ": " + updates));
    }
  }

  @Test
  void aSecureStudyCompletesOverALinkWithAddedLatencyAndABandwidthCap() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 23);
    try (TestConsortium c = new TestConsortium(dir)) {
      long cap = 16 * 1024;
      FaultProxy proxy = new FaultProxy(c.coordinator.agentPort()).latency(Duration.ofMillis(80)).bandwidth(cap);
      try (proxy) {
        // The pong deadline must allow for what a capped link holds in its buffers ahead of a ping (a few tens of KiB
        // here, seconds at 16 KiB/s); the defaults (20 s) allow for megabytes at hospital uplink speeds.
        c.agentConfig = config -> config.withLink(FAST.withLiveness(Duration.ofMillis(500), Duration.ofSeconds(5)));
        for (int i = 0; i < 3; i++) c.agent("hospital-" + (char) ('a' + i), files.get(i), proxy.agentUri());
        c.awaitSites(3);
        long t0 = System.nanoTime();
        String id = c.run(study(2, 20, true));
        JsonNode end = c.awaitEnd(id, Duration.ofMinutes(1));
        double seconds = (System.nanoTime() - t0) / 1e9;

        assertEquals("COMPLETED", end.path("status").asText(), end.toString());
        JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
        for (int r = 1; r <= 2; r++) assertEquals(3, TestConsortium.contributors(rounds.get(r)), "round " + r + ": " + rounds.get(r));
        for (SiteAgent a : c.agents) assertEquals(0, a.link().deadLinksDetected(), "a slow link is not a dead one");
        assertTrue(seconds > 0.08 * 2 * 4, "the latency was there: " + seconds + " s");
        double capped = (double) proxy.busiestDirectionBytes() / cap;
        assertTrue(capped >= 1, "the cap shaped the traffic: the busiest direction carried " + proxy.busiestDirectionBytes()
            + " bytes, at least " + capped + " s at " + cap + " B/s");
      }
    }
  }

  @Test
  void reconnectAttemptsBackOffWhileTheCoordinatorIsUnreachable() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 100, 24);
    try (TestConsortium c = new TestConsortium(dir); Networks net = consortium(c, files)) {
      FaultProxy proxy = net.faulty();
      SiteAgent siteC = c.agents.get(2);
      proxy.refuse();
      int before = proxy.accepted();
      proxy.resetAll();
      Thread.sleep(3000);
      int attempts = proxy.accepted() - before;
      // 0.1 s doubling (each wait drawn in [half, all]) to 1 s: about 6 attempts in 3 s, never a tight loop.
      assertTrue(attempts >= 3 && attempts <= 12, attempts + " attempts in 3 s");
      assertFalse(siteC.isConnected());
      proxy.heal();
      await(siteC::isConnected, Duration.ofSeconds(5), "hospital-c did not reconnect once the coordinator was reachable");
    }
  }

  @Test
  void aPingStuckBehindALargeUploadThatNoLongerDrainsStillFindsTheDeadLink() throws Exception {
    try (TestConsortium c = new TestConsortium(dir); FaultProxy proxy = new FaultProxy(c.coordinator.agentPort())) {
      org.dure.agent.identity.SiteIdentity identity = org.dure.agent.identity.SiteIdentity.load(c.pki.enrol("hospital-a"), "hospital-a");
      OutboundLedger ledger = OutboundLedger.open(dir.resolve("work"));
      java.util.concurrent.CountDownLatch connected = new java.util.concurrent.CountDownLatch(1);
      io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
      org.dure.agent.connection.CoordinatorLink link = new org.dure.agent.connection.CoordinatorLink(vertx, proxy.agentUri(),
          identity, "test", ledger, FAST, new org.dure.agent.connection.CoordinatorLink.Listener() {
            @Override public void connected() {
              connected.countDown();
            }

            @Override public void message(org.dure.protocol.wire.CoordinatorMessage message) {}

            @Override public void frame(org.dure.protocol.wire.Frames.ModelFrame frame) {}

            @Override public void disconnected() {}
          });
      try {
        link.open();
        assertTrue(connected.await(10, java.util.concurrent.TimeUnit.SECONDS));
        // The path stops taking anything while the agent has a 32 MiB message to send (far more than the socket buffers
        // hold): the ping queued behind it never leaves, and nothing arrives.
        proxy.halfOpenAndStopReading();
        long t0 = System.nanoTime();
        assertTrue(link.sendBinary(new byte[32 << 20]));
        await(() -> link.deadLinksDetected() >= 1, Duration.ofSeconds(10), "the stuck link was never given up");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 6, "found within a few pong deadlines (1 s each), took " + seconds + " s");
      } finally {
        link.close();
        vertx.close();
      }
    }
  }

  /** Per round of the study: how many site updates the site's outbound ledger records it sent. */
  static Map<Integer, Integer> updatesPerRound(Path workDir, String study) throws Exception {
    Map<Integer, Integer> out = new TreeMap<>();
    for (OutboundEntry e : OutboundReader.read(workDir.resolve(OutboundLedger.FILE)).entries()) {
      if (e.kind().equals("site-update") && study.equals(e.study())) out.merge(e.round(), 1, Integer::sum);
    }
    return out;
  }

  private static JsonNode awaitRound(TestConsortium c, String id, java.util.function.Predicate<JsonNode> p, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      if (rounds != null) for (JsonNode r : rounds) if (p.test(r)) return r;
      Thread.sleep(50);
    }
    throw new AssertionError("no such round after " + timeout + ": " + c.get("/api/studies/" + id + "/rounds").body());
  }

  private static void await(BooleanSupplier condition, Duration timeout, String failure) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError(failure + " (after " + timeout + ")");
      Thread.sleep(20);
    }
  }

  private static JsonNode read(String json) {
    try {
      return TestConsortium.JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
