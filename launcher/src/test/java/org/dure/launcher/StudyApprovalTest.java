package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;
import org.dure.agent.AgentConfig;
import org.dure.agent.SiteAgent;
import org.dure.agent.SiteAgentMain;
import org.dure.cohort.CohortGenerator;
import java.util.Base64;
import org.dure.crypto.Digests;
import org.dure.crypto.sign.SiteSignatures;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.WireJson;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The data officer decides: the local policy refuses by rule, a pending study sends nothing, withdrawal stops a site. */
class StudyApprovalTest {
  @TempDir Path dir;

  /** What one site sent, in order: a text message (decoded) or a binary frame (null). */
  private record Sent(boolean binary, AgentMessage message) {}

  private static String study(int rounds, int minSites) {
    ObjectNode s = (ObjectNode) TestConsortium.JSON.valueToTree(readTree(CohortGenerator.exampleStudyJson()));
    ((ObjectNode) s.path("training")).put("rounds", rounds);
    s.put("minSites", minSites).put("roundDeadlineSeconds", 30);
    return s.toString();
  }

  private static JsonNode readTree(String json) {
    try {
      return TestConsortium.JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Starts a site's agent from a config file with the given policy, as a hospital runs it; returns the config. */
  private Path agentWithPolicy(TestConsortium c, String site, Path csv, String policyJson) throws Exception {
    Path tls = c.pki.siteTls().containsKey(site) ? c.pki.siteTls().get(site) : c.pki.enrol(site);
    Path home = Files.createDirectories(dir.resolve("hospitals").resolve(site));
    Files.writeString(home.resolve("policy.json"), policyJson);
    ObjectNode cfg = TestConsortium.JSON.createObjectNode().put("siteId", site).put("coordinator", c.agentUri().toString())
        .put("tls", tls.toString()).put("workDir", "work").put("policy", "policy.json");
    cfg.putObject("data").put("csv", csv.toAbsolutePath().toString());
    cfg.set("pseudonymisation", TestConsortium.JSON.readTree(org.dure.cohort.CohortGenerator.pseudonymisationJson(
        dir.resolve("secrets").resolve(site).resolve("pseudonym.key").toString())));
    Path file = Files.writeString(home.resolve("agent.json"), cfg.toString());
    c.agents.add(SiteAgent.start(AgentConfig.load(file)));
    return file;
  }

  private static String officer(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    CommandLine cli = new CommandLine(new SiteAgentMain());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    if (exit != 0) throw new AssertionError("dure agent " + String.join(" ", args) + " exited " + exit + ": " + err);
    return out.toString();
  }

  private record Officer(int exit, String out, String err) {}

  /** {@code dure agent ...} as the data officer runs it, whatever its exit code. */
  private static Officer officerRun(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    CommandLine cli = new CommandLine(new SiteAgentMain());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Officer(exit, out.toString(), err.toString());
  }

  private static List<Sent> capture(TestConsortium c, String site) {
    List<Sent> sent = Collections.synchronizedList(new ArrayList<>());
    c.coordinator.observeInbound((s, binary, payload) -> {
      if (s.equals(site)) sent.add(new Sent(binary, binary ? null : WireJson.readAgent(new String(payload, StandardCharsets.UTF_8))));
    });
    return sent;
  }

  private static JsonNode await(TestConsortium c, String id, Predicate<JsonNode> condition, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode v = c.get("/api/studies/" + id).body();
      if (condition.test(v)) return v;
      Thread.sleep(50);
    }
    throw new AssertionError("study " + id + " never reached: " + what + "; last " + c.get("/api/studies/" + id).body());
  }

  @Test
  void policyRulesAndTheOfficersRefusalAreDeclinedWithReasonsTheResearcherSees() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 5);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      agentWithPolicy(c, "hospital-b", files.get(1), "{\"approval\": \"automatic\", \"maxRounds\": 5}");
      Path cfgC = agentWithPolicy(c, "hospital-c", files.get(2), "{}");
      c.awaitSites(3);
      String id = c.run(study(10, 2));

      await(c, id, v -> "PENDING".equals(v.path("sites").path("hospital-c").path("state").asText()), "hospital-c pending");
      officer("refuse", id, "--reason", "no ethics approval for this cohort", "--config", cfgC.toString());
      JsonNode v = await(c, id, x -> "DECLINED".equals(x.path("sites").path("hospital-c").path("state").asText()),
          "hospital-c refused");

      v = c.awaitEnd(id, Duration.ofSeconds(30));
      assertEquals("FAILED", v.path("status").asText(), "one site accepted, two refused, minSites 2: " + v);
      String reason = v.path("statusReason").asText();
      assertTrue(reason.contains("1 of at least 2 sites accepted (hospital-a") && reason.contains("hospital-b declined: ")
          && reason.contains("no ethics approval for this cohort"), "every site's answer is in the reason: " + reason);
      JsonNode sites = v.path("sites");
      assertEquals("DECLINED", sites.path("hospital-b").path("state").asText());
      assertEquals("hospital-b refused the study: policy rule maxRounds: the study asks for 10 rounds, this site allows at most 5",
          sites.path("hospital-b").path("reason").asText());
      assertEquals("refused by hospital-c's data officer: no ethics approval for this cohort",
          sites.path("hospital-c").path("reason").asText());
      String table = officer("studies", "--config", cfgC.toString());
      assertTrue(table.contains(id) && table.contains("REFUSED"), table);
    }
  }

  @Test
  void aPendingStudyNeverTrainsAtTheSiteUntilTheOfficerApprovesItThenTheSiteJoinsTheNextRound() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 7);
    try (TestConsortium c = new TestConsortium(dir)) {
      List<Sent> sent = capture(c, "hospital-c");
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      Path cfgC = agentWithPolicy(c, "hospital-c", files.get(2), "{\"approval\": \"manual\"}");
      c.awaitSites(3);
      String id = c.run(study(40, 2));

      await(c, id, v -> v.path("completedRounds").asInt() >= 2, "two rounds without hospital-c");
      List<Sent> beforeApproval;
      synchronized (sent) {
        beforeApproval = List.copyOf(sent);
      }
      assertTrue(beforeApproval.stream().noneMatch(Sent::binary), "no frame left hospital-c before approval");
      assertEquals(List.of("StudyPending"),
          beforeApproval.stream().map(s -> s.message().getClass().getSimpleName()).toList());
      assertEquals("PENDING", c.get("/api/studies/" + id).body().path("sites").path("hospital-c").path("state").asText());

      officer("approve", id, "--config", cfgC.toString());
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(2));

      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      assertEquals("ACCEPTED", end.path("sites").path("hospital-c").path("state").asText(), end.toString());
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      boolean joined = false;
      for (JsonNode r : rounds) for (JsonNode s : r.path("secureAggregation").path("survivors")) joined |= s.asText().equals("hospital-c");
      assertTrue(joined, "hospital-c contributed to a later round: " + rounds);
      assertTrue(sent.stream().anyMatch(Sent::binary), "hospital-c sent masked inputs once approved");
    }
  }

  @Test
  void aWithdrawnSiteSendsNothingMoreForTheStudyAndTheLedgerHoldsItsSignedWithdrawal() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 9);
    try (TestConsortium c = new TestConsortium(dir)) {
      List<Sent> sent = capture(c, "hospital-c");
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      Path cfgC = agentWithPolicy(c, "hospital-c", files.get(2), "{\"approval\": \"automatic\"}");
      c.awaitSites(3);
      String id = c.run(study(40, 2));
      await(c, id, v -> v.path("completedRounds").asInt() >= 2, "two rounds with hospital-c");

      officer("withdraw", id, "--reason", "the ethics approval lapsed", "--config", cfgC.toString());
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(2));

      assertEquals("COMPLETED", end.path("status").asText(), "the study goes on with the two others: " + end);
      assertEquals("WITHDRAWN", end.path("sites").path("hospital-c").path("state").asText(), end.toString());
      assertTrue(end.path("sites").path("hospital-c").path("reason").asText().contains("the ethics approval lapsed"), end.toString());
      List<Sent> all;
      synchronized (sent) {
        all = List.copyOf(sent);
      }
      int at = -1;
      for (int i = 0; i < all.size(); i++) if (!all.get(i).binary() && all.get(i).message() instanceof AgentMessage.StudyWithdrawn) at = i;
      assertTrue(at > 0, "the withdrawal reached the coordinator");
      assertTrue(all.subList(0, at).stream().anyMatch(Sent::binary), "hospital-c took part before withdrawing");
      assertEquals(List.of(), all.subList(at + 1, all.size()).stream().map(s -> s.binary() ? "frame" : s.message().getClass().getSimpleName()).toList(),
          "nothing more after the withdrawal");
      JsonNode withdrawals = c.getAsAdmin("/api/ledger/entries?study=" + id + "&type=SITE_WITHDREW").body();
      assertEquals(1, withdrawals.size(), withdrawals.toString());
      assertEquals("hospital-c", withdrawals.get(0).path("siteId").asText());
      assertEquals("the ethics approval lapsed", withdrawals.get(0).path("details").path("reason").asText());
      assertTrue(withdrawals.get(0).path("siteSignature").asText().length() > 60, withdrawals.toString());
    }
  }

  /** Issue 20: an approval after a refusal used to be recorded locally and sent nowhere. */
  @Test
  void anApprovalAfterARefusalReachesTheCoordinatorAndTheSiteJoinsTheStudy() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 11);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      Path cfgC = agentWithPolicy(c, "hospital-c", files.get(2), "{\"approval\": \"manual\"}");
      c.awaitSites(3);
      String id = c.run(study(40, 2));
      await(c, id, v -> "PENDING".equals(v.path("sites").path("hospital-c").path("state").asText()), "hospital-c pending");
      officer("refuse", id, "--reason", "waiting for the ethics board", "--config", cfgC.toString());
      await(c, id, v -> "DECLINED".equals(v.path("sites").path("hospital-c").path("state").asText()), "hospital-c refused");

      officer("approve", id, "--config", cfgC.toString());

      JsonNode v = await(c, id, x -> "ACCEPTED".equals(x.path("sites").path("hospital-c").path("state").asText()),
          "hospital-c accepted at the coordinator after its approval");
      assertTrue(v.path("sites").path("hospital-c").path("rows").asLong() > 0, v.toString());
      await(c, id, x -> {
        try {
          for (JsonNode r : c.get("/api/studies/" + id + "/rounds").body())
            for (JsonNode site : r.path("secureAggregation").path("survivors")) if (site.asText().equals("hospital-c")) return true;
          return false;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, "hospital-c in a round's sum");
      String table = officer("studies", "--config", cfgC.toString());
      assertTrue(table.contains("APPROVED") && table.contains("approved by the data officer after refusing it"), table);
      c.post("/api/studies/" + id + "/stop", "");
    }
  }

  /**
   * Issue 20: withdrawing from a COMPLETED study was accepted and erased the site's participation record. The officer
   * is told the study is over; a withdrawal that reaches the coordinator anyway (an agent that missed the end) changes
   * nothing there, and the site is told the study ended.
   */
  @Test
  void withdrawingFromACompletedStudyIsRefusedAndTheSitesParticipationStaysOnRecord() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 13);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      Path cfgC = agentWithPolicy(c, "hospital-c", files.get(2), "{\"approval\": \"automatic\"}");
      c.awaitSites(3);
      String id = c.run(study(2, 2));
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(2));
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode before = end.path("sites").path("hospital-c");
      assertEquals("ACCEPTED", before.path("state").asText(), end.toString());
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!officer("studies", "--config", cfgC.toString()).contains("APPROVED, COMPLETED")) {
        if (System.nanoTime() > deadline) throw new AssertionError(officer("studies", "--config", cfgC.toString()));
        Thread.sleep(50);
      }

      Officer refused = officerRun("withdraw", id, "--reason", "changed my mind", "--config", cfgC.toString());

      assertEquals(1, refused.exit(), refused.err());
      assertEquals("dure agent withdraw: cannot withdraw from study " + id + " (cardiovascular-event-risk): the study is"
          + " over (COMPLETED); nothing more leaves this site for it, and its participation stays on record", refused.err().strip());

      // The coordinator's side: hospital-c's signed withdrawal arrives after the end (as from an agent that missed it).
      c.agents.get(2).close();
      List<CoordinatorMessage> received = Collections.synchronizedList(new ArrayList<>());
      ScriptedPeer late = ScriptedPeer.connect(c, "hospital-c", (ws, global) -> {}, (ws, m) -> received.add(m));
      String reason = "the ethics approval lapsed";
      byte[] sig = SiteSignatures.sign(late.key, Purpose.STUDY_WITHDRAWAL, "hospital-c", id, 0,
          Digests.sha256(reason.getBytes(StandardCharsets.UTF_8)));
      late.ws.sendText(WireJson.write(new AgentMessage.StudyWithdrawn(id, reason, Base64.getEncoder().encodeToString(sig))), true);
      deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (received.stream().noneMatch(m -> m instanceof CoordinatorMessage.StudyEnded e && e.studyId().equals(id))) {
        if (System.nanoTime() > deadline) throw new AssertionError("no study-ended answer: " + received);
        Thread.sleep(50);
      }
      JsonNode after = c.get("/api/studies/" + id).body().path("sites").path("hospital-c");
      assertEquals(before, after, "the participation record is unchanged");
      assertEquals(0, c.getAsAdmin("/api/ledger/entries?study=" + id + "&type=SITE_WITHDREW").body().size());
      late.abort();
    }
  }
}
