package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.cohort.CohortGenerator;
import org.dure.crypto.Digests;
import java.nio.charset.StandardCharsets;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.WireJson;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, faults: the site's disk fails under its outbound ledger or its privacy-budget file — a real, small tmpfs
 * that fills up, a real read-only bind mount (as root, file permissions would not stop a write). The agent sends
 * nothing it could not record first (fail closed) and says why.
 */
class SiteDiskFaultsTest {
  @TempDir Path dir;

  /** Mounting needs root (CI runs as root); elsewhere the tests are skipped unless DURE_REQUIRE_ROOT=1 demands them. */
  private static void assumeRoot() throws Exception {
    Process id = new ProcessBuilder("id", "-u").start();
    boolean root = new String(id.getInputStream().readAllBytes()).trim().equals("0");
    if (!root && "1".equals(System.getenv("DURE_REQUIRE_ROOT"))) throw new AssertionError("DURE_REQUIRE_ROOT=1 but not running as root");
    Assumptions.assumeTrue(root, "not root: cannot mount a small tmpfs or a read-only bind mount (run as root, as CI does)");
  }

  private static void sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
  }

  private static String study(int rounds, int deadline) throws Exception {
    ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) s.path("training")).put("rounds", rounds);
    s.put("minSites", 2).put("roundDeadlineSeconds", deadline);
    return s.toString();
  }

  private static void fill(Path filler) {
    try (OutputStream out = Files.newOutputStream(filler)) {
      byte[] chunk = new byte[4096];
      while (true) out.write(chunk);
    } catch (java.io.IOException full) {
      assertTrue(String.valueOf(full.getMessage()).contains("No space left"), full.toString());
    }
  }

  private record Sent(String site, boolean binary, byte[] payload) {}

  @Test
  void anAgentWhoseDiskFillsUpUnderItsOutboundLedgerSendsOnlyWhatItRecordedAndSaysWhy() throws Exception {
    assumeRoot();
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 41);
    Path work = Files.createDirectories(dir.resolve("processes/hospital-c/work"));
    sh("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "dure-test-full", work.toString());
    try (TestConsortium c = new TestConsortium(dir); AgentProcess victim = AgentProcess.start(c, "hospital-c", files.get(2))) {
      List<Sent> seen = new CopyOnWriteArrayList<>();
      java.util.concurrent.atomic.AtomicBoolean filled = new java.util.concurrent.atomic.AtomicBoolean();
      c.coordinator.observeInbound((site, binary, payload) -> {
        if (!site.equals("hospital-c")) return;
        seen.add(new Sent(site, binary, payload));
        // Once the site has accepted the study, its disk fills up to the last page.
        if (!binary && WireJson.readAgent(new String(payload, StandardCharsets.UTF_8)) instanceof AgentMessage.StudyAccepted
            && filled.compareAndSet(false, true)) fill(work.resolve("filler"));
      });
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      victim.awaitConnected(c, Duration.ofSeconds(60));
      int before = seen.size();
      String id = c.run(study(5, 2));
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(1));
      assertEquals("COMPLETED", end.path("status").asText(), "the others carry the study: " + end);
      String log = victim.logText();
      assertTrue(log.contains("NOT sending") && log.contains("could not be recorded in the outbound ledger")
          && log.contains("No space left on device"), "the agent says why it sends nothing: " + log);
      // What did leave was recorded first: every message the coordinator received from the site is in its ledger.
      String ledger = Files.readString(work.resolve("outbound.log"));
      for (Sent s : seen) {
        String sha = HexFormat.of().formatHex(Digests.sha256(s.payload()));
        assertTrue(ledger.contains(sha), "a " + s.payload().length + "-byte message left unrecorded");
      }
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      JsonNode last = rounds.get(rounds.size() - 1);
      assertTrue(filled.get(), "the disk was filled");
      assertEquals("ACCEPTED", end.path("sites").path("hospital-c").path("state").asText().replace("DROPPED", "ACCEPTED"), end.toString());
      assertTrue(!last.path("secureAggregation").path("survivors").toString().contains("hospital-c"),
          "no masked input from the full site in the last round: " + last);
      System.out.printf("disk full: %d messages from the site before the study, %d during it, all in its ledger%n", before,
          seen.size() - before);
    } finally {
      sh("umount", "-l", work.toString());
    }
  }

  @Test
  void anAgentWhosePrivacyBudgetFileIsReadOnlySendsNoUpdateAndTellsTheCoordinatorWhy() throws Exception {
    assumeRoot();
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 43);
    Path work = Files.createDirectories(dir.resolve("agents/hospital-c"));
    Path budget = Files.writeString(work.resolve(PrivacyBudget.FILE), "{\"totalEpsilon\":0.0,\"studies\":{}}\n");
    sh("mount", "--bind", budget.toString(), budget.toString());
    sh("mount", "-o", "remount,ro,bind", budget.toString());
    try (TestConsortium c = new TestConsortium(dir)) {
      List<Sent> updates = new CopyOnWriteArrayList<>();
      c.coordinator.observeInbound((site, binary, payload) -> {
        if (site.equals("hospital-c") && binary) updates.add(new Sent(site, true, payload));
      });
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      c.agent("hospital-c", files.get(2));
      c.awaitSites(3);
      ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(study(1, 20));
      ObjectNode privacy = s.putObject("privacy");
      privacy.putObject("secureAggregation").put("enabled", false);
      privacy.putObject("differentialPrivacy").put("enabled", true).put("noiseMultiplier", 1.2).put("clipNorm", 1.0)
          .put("delta", 1e-5);
      String id = c.run(s.toString());
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(1));
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode round = c.get("/api/studies/" + id + "/rounds").body().get(1);
      String why = round.path("dropped").path("hospital-c").asText();
      assertTrue(why.contains("cannot record the privacy budget it spent") && why.contains(PrivacyBudget.FILE), round.toString());
      assertTrue(!round.path("samples").has("hospital-c"), round.toString());
      for (Sent u : updates) {
        assertTrue(!(Frames.decode(u.payload()) instanceof Frames.ModelFrame), "the site sent an update it could not account for");
      }
      assertEquals("{\"totalEpsilon\":0.0,\"studies\":{}}\n", Files.readString(budget));
    } finally {
      sh("umount", "-l", budget.toString());
    }
  }
}
