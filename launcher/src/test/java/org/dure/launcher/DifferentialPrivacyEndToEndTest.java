package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.dure.agent.data.CsvSource;
import org.dure.agent.data.LocalData;
import org.dure.agent.policy.LocalPolicy;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.cohort.CohortGenerator;
import org.dure.learning.data.StudyData;
import org.dure.learning.train.DpSgdConfig;
import org.dure.protocol.privacy.RdpAccountant;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A differentially private study with secure aggregation over real agents: every site trains with DP-SGD and reports
 * the ε it spent each round; a site whose data officer capped ε trains until the next round would pass the cap,
 * then sits out with the reason, and nothing of its leaves for those rounds.
 */
class DifferentialPrivacyEndToEndTest {
  @TempDir Path dir;

  private static final int ROUNDS = 4;
  private static final double SIGMA = 1.2, DELTA = 1e-5;

  private static String study() throws Exception {
    ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) s.path("training")).put("rounds", ROUNDS).put("batchSize", 32);
    s.put("minSites", 2).put("roundDeadlineSeconds", 60);
    ObjectNode privacy = s.putObject("privacy");
    privacy.putObject("secureAggregation").put("enabled", true);
    privacy.putObject("differentialPrivacy").put("enabled", true).put("noiseMultiplier", SIGMA).put("clipNorm", 1.0)
        .put("delta", DELTA);
    return s.toString();
  }

  /** ε the accountant gives a site after {@code rounds} rounds of this study on its (pseudonymised) file. */
  private double epsilonAfter(TestConsortium c, Path csv, String studyJson, int rounds) throws Exception {
    StudySpec spec = StudySpecParser.parse(studyJson);
    LocalData local = LocalData.open(new CsvSource(csv), c.pseudonymisationFor("hospital-a", csv), dir.resolve("expected"));
    StudyData data = StudyData.load(local.read(), spec, local.patientColumn());
    double q = DpSgdConfig.samplingRate(spec.training().batchSize(), data.trainRows());
    long steps = new DpSgdConfig(SIGMA, 1.0, q).stepsPerRound(spec.training().localEpochs()) * rounds;
    return RdpAccountant.opacusDefaults().privacySpent(q, SIGMA, steps, DELTA).epsilon();
  }

  @Test
  void everySiteReportsTheEpsilonItSpentAndACappedSiteSitsOutTheRoundThatWouldPassItsCapSendingNothing() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 21);
    String json = study();
    try (TestConsortium c = new TestConsortium(dir)) {
      double afterOne = epsilonAfter(c, files.get(0), json, 1);
      double afterTwo = epsilonAfter(c, files.get(0), json, 2), afterThree = epsilonAfter(c, files.get(0), json, 3);
      double cap = (afterTwo + afterThree) / 2;            // room for two rounds, not three
      c.agent("hospital-a", files.get(0), LocalPolicy.rehearsal().withCaps(new PrivacyBudget.Caps(cap, null)));
      c.agent("hospital-b", files.get(1));
      c.agent("hospital-c", files.get(2));
      c.awaitSites(3);
      String id = c.run(json);
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(3));
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());

      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      double previousB = 0;
      for (JsonNode r : rounds) {
        int round = r.path("round").asInt();
        if (round == 0) continue;
        JsonNode eps = r.path("epsilonSpent");
        double b = eps.path("hospital-b").asDouble(Double.NaN);
        assertTrue(b > previousB, "round " + round + ": hospital-b's ε grows each round: " + eps);
        previousB = b;
        JsonNode survivors = r.path("secureAggregation").path("survivors");
        boolean aIn = false;
        for (JsonNode s : survivors) aIn |= s.asText().equals("hospital-a");
        if (round <= 2) {
          assertTrue(aIn, "round " + round + ": hospital-a contributes within its cap: " + r);
          assertEquals(round == 1 ? afterOne : afterTwo, eps.path("hospital-a").asDouble(), 1e-9,
              "round " + round + ": the ε hospital-a reports is the accountant's");
        } else {
          assertFalse(aIn, "round " + round + ": hospital-a must not contribute: " + r);
          assertFalse(eps.has("hospital-a"), "no ε spent by hospital-a in round " + round + ": " + eps);
          String reason = r.path("dropped").path("hospital-a").asText();
          assertTrue(reason.contains("privacy budget") && reason.contains("cap"), "round " + round + " says why: " + r);
        }
      }

      // hospital-a's own outbound ledger: updates (masked inputs) and ε reports for rounds 1 and 2 only; for rounds 3
      // and 4 nothing but the refusal left for this study
      var outbound = org.dure.agent.outbound.OutboundReader.read(
          dir.resolve("agents").resolve("hospital-a").resolve(org.dure.agent.outbound.OutboundLedger.FILE));
      assertTrue(outbound.intact(), outbound.problem());
      java.util.Map<Integer, java.util.List<String>> kinds = new java.util.TreeMap<>();
      for (var e : outbound.entries()) {
        if (id.equals(e.study()) && e.round() != null) kinds.computeIfAbsent(e.round(), k -> new java.util.ArrayList<>()).add(e.kind());
      }
      for (int round = 1; round <= ROUNDS; round++) {
        java.util.List<String> sent = kinds.getOrDefault(round, java.util.List.of());
        if (round <= 2) {
          assertTrue(sent.contains("masked-input") && sent.contains("privacy-spent"), "round " + round + ": " + sent);
        } else {
          assertFalse(sent.contains("masked-input") || sent.contains("site-update") || sent.contains("privacy-spent")
              || sent.contains("secagg-keys"), "round " + round + ": hospital-a sent " + sent);
          assertTrue(sent.contains("round-failed"), "round " + round + ": hospital-a said why: " + sent);
        }
      }

      // each masked input went through every filter of hospital-a's privacy chain that applies to a DP-SGD secure study
      for (var e : outbound.entries()) {
        if (!id.equals(e.study())) continue;
        if (e.kind().equals("masked-input")) {
          assertEquals(java.util.List.of("approval", "budget", "clip-noise", "secure-aggregation"), e.filters(), e.toString());
        }
        if (e.kind().equals("privacy-spent")) assertEquals(java.util.List.of("approval", "budget"), e.filters(), e.toString());
      }

      // the coordinator's ledger: contributions of hospital-a only in rounds 1 and 2
      JsonNode entries = c.getAsAdmin("/api/ledger/entries?study=" + id + "&site=hospital-a").body();
      int contributions = 0;
      for (JsonNode e : entries) {
        if (!e.path("type").asText().equals("CONTRIBUTION_RECEIVED")) continue;
        contributions++;
        assertTrue(e.path("details").path("round").asInt() <= 2, "hospital-a contributed in round " + e.path("details").path("round") + ": " + e);
      }
      assertEquals(2, contributions, entries.toString());
    }
  }

  @Test
  void withSiteLevelNoiseEachRoundsAggregateCarriesTheNoiseAndTheSiteLevelEpsilonOfTheAccountant() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 23);
    double z = 4, clip = 0.5, delta = 1e-5;
    ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) s.path("training")).put("rounds", 2);
    s.put("minSites", 2).put("roundDeadlineSeconds", 60);
    ObjectNode privacy = s.putObject("privacy");
    privacy.putObject("secureAggregation").put("enabled", true);
    privacy.putObject("siteLevelNoise").put("noiseMultiplier", z).put("clipNorm", clip).put("delta", delta);
    try (TestConsortium c = new TestConsortium(dir)) {
      for (int i = 0; i < 3; i++) c.agent("hospital-" + (char) ('a' + i), files.get(i));
      c.awaitSites(3);
      String id = c.run(s.toString());
      assertEquals("COMPLETED", c.awaitEnd(id, Duration.ofMinutes(2)).path("status").asText());
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      StudySpec spec = StudySpecParser.parse(s.toString());
      float[] before = org.dure.protocol.model.InitialModel.of(spec);
      for (int round = 1; round <= 2; round++) {
        JsonNode secure = rounds.get(round).path("secureAggregation");
        assertEquals(3, secure.path("survivors").size(), secure.toString());
        assertEquals(0, secure.path("survivorSamples").asLong(), "rows are not disclosed: " + secure);
        double expected = RdpAccountant.opacusDefaults().privacySpent(1.0, z, round, delta).epsilon();
        assertEquals(expected, secure.path("siteLevelEpsilon").asDouble(), 1e-9, secure.toString());
        // Each site adds sd z*S/sqrt(t) (t = 2); the mean of 3 then has sd z*S*sqrt(3)/(3*sqrt(2)) = 0.82 per element,
        // while the clipped mean change itself has L2 norm <= S = 0.5 (rms <= 0.15 over the 12 parameters).
        float[] after = org.dure.protocol.model.ModelFiles.readParameters(c.dir.resolve("coordinator").resolve("studies")
            .resolve(id).resolve("checkpoints").resolve(String.format("round-%04d", round)));
        double sumSq = 0;
        for (int i = 0; i < after.length; i++) sumSq += (after[i] - before[i]) * (double) (after[i] - before[i]);
        double rms = Math.sqrt(sumSq / after.length);
        assertTrue(rms > 0.45 && rms < 1.4, "round " + round + ": rms change " + rms + " (noise sd 0.82 expected)");
        before = after;
      }
    }
  }
}
