package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.dure.agent.SiteAgentMain;
import org.dure.agent.connection.CoordinatorLink;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.outbound.OutboundEntry;
import org.dure.agent.outbound.OutboundLedger;
import org.dure.agent.outbound.OutboundReader;
import org.dure.cohort.CohortGenerator;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The outbound ledger against a real coordinator: everything the coordinator received from a site is in the site's
 * ledger, with the same size and SHA-256, in the same order; and a message the ledger cannot record never leaves.
 */
class OutboundLedgerEndToEndTest {
  @TempDir Path dir;

  record Received(boolean binary, byte[] payload) {}

  @Test void everyMessageTheCoordinatorReceivedIsInTheSitesLedgerInOrderWithTheSameHashAndSize() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 2, 300, 11);
    try (TestConsortium c = new TestConsortium(dir)) {
      Map<String, List<Received>> wire = new ConcurrentHashMap<>();
      c.coordinator.observeInbound((site, binary, payload) ->
          wire.computeIfAbsent(site, s -> Collections.synchronizedList(new ArrayList<>())).add(new Received(binary, payload)));
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      c.awaitSites(2);
      com.fasterxml.jackson.databind.node.ObjectNode secure =
          (com.fasterxml.jackson.databind.node.ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
      ((com.fasterxml.jackson.databind.node.ObjectNode) secure.path("training")).put("rounds", 2);
      String secureId = c.run(secure.toString());
      assertEquals("COMPLETED", c.awaitEnd(secureId, Duration.ofMinutes(2)).path("status").asText());
      String plainId = c.run(TestConsortium.plain(secure.toString()));
      assertEquals("COMPLETED", c.awaitEnd(plainId, Duration.ofMinutes(2)).path("status").asText());

      for (String site : List.of("hospital-a", "hospital-b")) {
        Path ledger = dir.resolve("agents").resolve(site).resolve(OutboundLedger.FILE);
        List<Received> received = wire.get(site);
        List<OutboundEntry> recorded = awaitRecorded(ledger, received);
        assertEquals(received.size(), recorded.size(), site + ": messages received vs recorded (hello aside)");
        for (int i = 0; i < received.size(); i++) {
          Received r = received.get(i);
          OutboundEntry e = recorded.get(i);
          assertEquals(OutboundLedger.sha256Hex(r.payload()), e.sha256(), site + " message " + (i + 1) + " (" + e.kind() + ")");
          assertEquals(r.payload().length, e.bytes(), site + " message " + (i + 1));
          if (r.binary()) assertEquals(Frames.readHeader(r.payload()).round(), e.round());
        }
        Set<String> kinds = new java.util.TreeSet<>();
        recorded.forEach(e -> kinds.add(e.kind()));
        assertTrue(kinds.containsAll(Set.of("study-accepted", "statistics", "evaluation", "secagg-keys", "secagg-shares",
            "masked-input", "site-update")), kinds.toString());
        assertTrue(recorded.stream().filter(e -> e.kind().equals("masked-input")).allMatch(e -> secureId.equals(e.study())));
        // Each entry names the site's privacy filters the message went through, in the chain's order.
        assertTrue(recorded.stream().filter(e -> e.kind().equals("masked-input"))
            .allMatch(e -> e.filters().equals(List.of("approval", "secure-aggregation"))), recorded.toString());
        assertTrue(recorded.stream().filter(e -> e.kind().equals("site-update"))
            .allMatch(e -> e.filters().equals(List.of("approval"))), recorded.toString());
        assertTrue(recorded.stream().filter(e -> e.kind().equals("study-accepted"))
            .allMatch(e -> e.filters().equals(List.of("policy", "approval"))), recorded.toString());
        assertTrue(recorded.stream().filter(e -> e.kind().equals("evaluation"))
            .allMatch(e -> e.filters().equals(List.of("policy", "approval"))), recorded.toString());
        OutboundReader.Verification v = OutboundReader.read(ledger);
        assertTrue(v.intact(), v.problem());
        assertEquals("hello", v.entries().get(0).kind());
      }

      // The data officer's view: entries, totals per study, chain verdict.
      Path config = TestConsortium.write(dir.resolve("hospital-a.json"), List.of("{\"siteId\":\"hospital-a\","
          + "\"coordinator\":\"" + c.agentUri() + "\",\"data\":{\"csv\":\"" + files.get(0) + "\"},"
          + "\"tls\":\"" + c.pki.siteTls().get("hospital-a") + "\",\"workDir\":\"" + dir.resolve("agents").resolve("hospital-a") + "\"}"));
      StringWriter out = new StringWriter();
      int exit = new CommandLine(new SiteAgentMain()).setOut(new PrintWriter(out)).execute("outbound", "--config", config.toString(), "--study", secureId);
      assertEquals(0, exit, out.toString());
      assertTrue(out.toString().contains("chain intact: "), out.toString());
      assertTrue(out.toString().contains(secureId), out.toString());
      assertFalse(out.toString().contains(plainId), "--study shows only that study");

      // A flipped byte in the file is named by its line.
      Path ledger = dir.resolve("agents").resolve("hospital-a").resolve(OutboundLedger.FILE);
      byte[] bytes = Files.readAllBytes(ledger);
      int line5 = 0;
      for (int i = 0, lines = 0; i < bytes.length && lines < 4; i++) if (bytes[i] == '\n' && ++lines == 4) line5 = i + 1;
      int at = line5 + 30;
      bytes[at] = (byte) (bytes[at] ^ 1);
      Files.write(ledger, bytes);
      StringWriter broken = new StringWriter();
      assertEquals(1, new CommandLine(new SiteAgentMain()).setOut(new PrintWriter(broken)).execute("outbound", "--config", config.toString()));
      assertTrue(broken.toString().contains("chain BROKEN at line 5: line 5 "), broken.toString());
    }
  }

  /** The ledger's entries other than hello (the coordinator's observer sees hello only as the session's start). */
  private static List<OutboundEntry> awaitRecorded(Path ledger, List<Received> received) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      List<OutboundEntry> recorded = OutboundReader.read(ledger).entries().stream().filter(e -> !e.kind().equals("hello")).toList();
      if (recorded.size() == received.size() || System.nanoTime() > deadline) return recorded;
      Thread.sleep(50);
    }
  }

  @Test void aMessageTheLedgerCannotRecordIsNotSent() throws Exception {
    try (TestConsortium c = new TestConsortium(dir)) {
      List<Received> wire = Collections.synchronizedList(new ArrayList<>());
      c.coordinator.observeInbound((site, binary, payload) -> wire.add(new Received(binary, payload)));
      SiteIdentity identity = SiteIdentity.load(c.pki.enrol("hospital-a"), "hospital-a");
      OutboundLedger real = OutboundLedger.open(dir.resolve("work"));
      AtomicBoolean failing = new AtomicBoolean(true);
      AtomicInteger attempts = new AtomicInteger();
      CountDownLatch connected = new CountDownLatch(1);
      Vertx vertx = Vertx.vertx();
      CoordinatorLink link = new CoordinatorLink(vertx, c.agentUri(), identity, "test", (binary, payload) -> {
        attempts.incrementAndGet();
        if (failing.get()) throw new IOException("disk full");
        real.record(binary, payload);
      }, new CoordinatorLink.Listener() {
        @Override public void connected() {
          connected.countDown();
        }

        @Override public void message(CoordinatorMessage message) {}

        @Override public void frame(Frames.ModelFrame frame) {}

        @Override public void disconnected() {}
      });
      try {
        link.open();
        Thread.sleep(1500);
        assertTrue(attempts.get() >= 1, "the hello was offered to the ledger");
        assertEquals(1, connected.getCount(), "a hello that could not be recorded was not sent, so the site never joined");
        assertEquals(0, c.get("/api/sites").body().size());

        failing.set(false);
        assertTrue(connected.await(30, TimeUnit.SECONDS), "once the ledger works, the next attempt connects");
        failing.set(true);
        assertFalse(link.send(new AgentMessage.StudyDeclined("75c6c45a-883b-4a75-a956-9b6fe1786cac", "test")));
        assertFalse(link.sendBinary(Frames.encode(Frames.Kind.SITE_UPDATE, java.util.UUID.randomUUID(), 1, 0, 1, 0f, new float[] {1})));
        failing.set(false);
        assertTrue(link.send(new AgentMessage.StudyDeclined("75c6c45a-883b-4a75-a956-9b6fe1786cac", "recorded")));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (wire.isEmpty() && System.nanoTime() < deadline) Thread.sleep(20);
        Thread.sleep(200);
        assertEquals(1, wire.size(), "only the recorded message arrived");
        assertTrue(new String(wire.get(0).payload(), java.nio.charset.StandardCharsets.UTF_8).contains("recorded"));
        OutboundReader.Verification v = OutboundReader.read(real.file());
        assertEquals(List.of("hello", "study-declined"), v.entries().stream().map(OutboundEntry::kind).toList());
        assertTrue(v.intact(), v.problem());
      } finally {
        link.close();
        vertx.close().toCompletionStage().toCompletableFuture().get();
      }
    }
  }
}
