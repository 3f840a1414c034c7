package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.dure.cohort.CohortGenerator;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: a study a site cannot train is declined at once with the reason and what to change, never left waiting
 * for an answer that does not come (real coordinator, real agents).
 */
class SitesDeclineWithReasonsTest {
  @TempDir Path dir;

  private static ObjectNode study() throws Exception {
    ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) s.path("training")).put("rounds", 3);
    s.put("minSites", 2).put("roundDeadlineSeconds", 30);
    return s;
  }

  /** Both sites' answers, once each has answered (declined, here). */
  private static JsonNode declinedByBoth(TestConsortium c, String id) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode sites = null;
    while (System.nanoTime() < deadline) {
      sites = c.get("/api/studies/" + id).body().path("sites");
      if ("DECLINED".equals(sites.path("hospital-a").path("state").asText())
          && "DECLINED".equals(sites.path("hospital-b").path("state").asText())) return sites;
      Thread.sleep(50);
    }
    throw new AssertionError("the sites did not both decline: " + sites);
  }

  @Test
  void anUnreachableDifferentialPrivacyTargetIsDeclinedByEverySiteNamingTheTargetDeltaRoundsAndWhatToChange() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 2, 200, 3);
    ObjectNode s = study();
    ObjectNode privacy = s.putObject("privacy");
    privacy.putObject("secureAggregation").put("enabled", false);
    privacy.putObject("differentialPrivacy").put("enabled", true).put("targetEpsilon", 1e-9).put("clipNorm", 1.0)
        .put("delta", 1e-5);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      c.awaitSites(2);
      String id = c.run(s.toString());

      JsonNode sites = declinedByBoth(c, id);

      for (String site : List.of("hospital-a", "hospital-b")) {
        String reason = sites.path(site).path("reason").asText();
        assertTrue(reason.startsWith(site + " declines: the study's differential-privacy target"
            + " (privacy.differentialPrivacy.targetEpsilon) ε = 1.0E-9 at δ = 1.0E-5 over 3 rounds cannot be reached: even"
            + " unlimited noise gives ε = "), reason);
        assertTrue(reason.contains("at that δ; set targetEpsilon above ") && reason.endsWith("(1 to 10 is usual) or raise delta"), reason);
      }
    }
  }

  @Test
  void aLabelPositiveThatMatchesNoRowIsDeclinedPerSiteNamingTheLabelAndNoFigureOfTheSite() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 2, 200, 4);
    ObjectNode s = study();
    ((ObjectNode) s.path("label")).put("positive", "yes"); // the files hold 0 and 1
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      c.awaitSites(2);
      String id = c.run(TestConsortium.plain(s.toString()));

      JsonNode sites = declinedByBoth(c, id);

      for (String site : List.of("hospital-a", "hospital-b")) {
        assertEquals(site + " declines: no patient in its data has label.column 'outcome' = label.positive 'yes', so it"
            + " would train on one class only; check label.positive against the values the sites' outcome column holds",
            sites.path(site).path("reason").asText());
      }
      assertEquals(0, c.get("/api/studies/" + id + "/rounds").body().size(), "no round trained on one class");
    }
  }

  @Test
  void aLabelPositiveThatMatchesEveryRowIsDeclinedToo() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 2, 200, 5);
    ObjectNode s = study();
    ((ObjectNode) s.path("label")).put("column", "sex").put("positive", "F");
    s.set("features", TestConsortium.JSON.readTree("[\"age\", \"bmi\"]"));
    // every row of the label column sex is F at neither site: keep only F rows in hospital-a's file
    List<String> rows = java.nio.file.Files.readAllLines(files.get(0));
    int sex = List.of(rows.get(0).split(",")).indexOf("sex");
    List<String> onlyF = new java.util.ArrayList<>(List.of(rows.get(0)));
    rows.stream().skip(1).filter(l -> !l.contains("\"") && "F".equals(l.split(",", -1)[sex])).forEach(onlyF::add);
    Path female = TestConsortium.write(dir.resolve("data/only-f.csv"), onlyF);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", female);
      c.agent("hospital-b", files.get(1));
      c.awaitSites(2);
      String id = c.run(TestConsortium.plain(s.toString()));

      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      String reason = "";
      while (System.nanoTime() < deadline && reason.isEmpty()) {
        JsonNode a = c.get("/api/studies/" + id).body().path("sites").path("hospital-a");
        if ("DECLINED".equals(a.path("state").asText())) reason = a.path("reason").asText();
        else Thread.sleep(50);
      }
      assertEquals("hospital-a declines: every patient in its data has label.column 'sex' = label.positive 'F', so it"
          + " would train on one class only; check label.positive against the values the sites' sex column holds", reason);
      assertFalse(reason.matches(".*\\d.*"), "no count of the site's: " + reason);
    }
  }

  /** Issue 20: an unexpected error while an offer is handled used to leave the coordinator without an answer. */
  @Test
  void anUnexpectedErrorWhileHandlingAnOfferIsADeclineWithTheDetailsLeftInTheSitesLog() throws Exception {
    try (HostileCoordinator c = new HostileCoordinator(dir, List.of("hospital-a"), TestConsortium.plain(study().toString()), 100)) {
      // a study record the agent cannot read (a disk error, a hand edit): reading it throws
      java.nio.file.Path record = dir.resolve("agents/hospital-a/studies/" + c.studyId + ".json");
      java.nio.file.Files.createDirectories(record.getParent());
      java.nio.file.Files.writeString(record, "{\"id\": ");

      java.util.Map<String, String> declined = c.offer();

      assertEquals(java.util.Map.of("hospital-a", "hospital-a cannot take part: an unexpected error while preparing the"
          + " study at this site (the reason is in the site's log for its data officer)"), declined);
    }
  }
}
