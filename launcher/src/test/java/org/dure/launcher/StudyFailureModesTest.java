package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.dure.cohort.CohortGenerator;
import org.dure.cohort.SiteCohort;
import org.dure.protocol.study.FeatureSpec;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.SiteStatistics;
import org.dure.protocol.wire.WireJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What happens when sites cannot or do not take part: the researcher sees why, the study goes on. */
class StudyFailureModesTest {
  @TempDir Path dir;

  private List<Path> cohorts(int sites) throws Exception {
    List<SiteCohort> generated = CohortGenerator.builder().sites(sites).patientsPerSite(400).seed(5).build().writeTo(dir.resolve("data"));
    List<Path> files = new ArrayList<>();
    for (SiteCohort c : generated) files.add(dir.resolve("data").resolve(c.fileName()));
    return files;
  }

  private static String study(int rounds, int minSites, int deadlineSeconds) {
    ObjectNode s = (ObjectNode) readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) s.path("training")).put("rounds", rounds);
    s.put("minSites", minSites).put("roundDeadlineSeconds", deadlineSeconds);
    return s.toString();
  }

  @Test
  void sitesThatCannotTakePartDeclineWithAReasonTheResearcherSeesAndTheStudyProceedsWithTheOthers() throws Exception {
    List<Path> files = cohorts(2);
    Path unrelated = TestConsortium.write(dir.resolve("data/unrelated.csv"), List.of("patient_id,weight_kg,ward", "p1,70,A", "p2,82,B"));
    List<String> all = Files.readAllLines(files.get(1));
    List<String> bad = new ArrayList<>(List.of(all.get(0)));
    all.stream().skip(1).filter(l -> !l.contains("\"")).limit(5).forEach(bad::add); // unquoted rows: safe to split
    int bmi = List.of(bad.get(0).split(",")).indexOf("bmi");
    String[] row = bad.get(3).split(",", -1);
    row[bmi] = "twenty";
    bad.set(3, String.join(",", row));
    Path nonNumeric = TestConsortium.write(dir.resolve("data/non-numeric.csv"), bad);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      c.agent("hospital-c", unrelated);
      c.agent("hospital-d", nonNumeric);
      c.awaitSites(4);
      String id = c.run(study(2, 2, 30));
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(2));

      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode sites = end.path("sites");
      assertEquals("ACCEPTED", sites.path("hospital-a").path("state").asText());
      assertEquals("ACCEPTED", sites.path("hospital-b").path("state").asText());
      assertEquals("DECLINED", sites.path("hospital-c").path("state").asText());
      String noColumns = sites.path("hospital-c").path("reason").asText();
      assertTrue(noColumns.contains("none of the study's feature columns") && noColumns.contains("unrelated.csv"), noColumns);
      assertEquals("DECLINED", sites.path("hospital-d").path("state").asText());
      String notNumber = sites.path("hospital-d").path("reason").asText();
      assertTrue(notNumber.contains("non-numeric.csv") && notNumber.contains("line 4") && notNumber.contains("bmi")
          && notNumber.contains("twenty"), notNumber);
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      assertEquals(2, rounds.get(2).path("samples").size(), "the two able sites trained round 2");
    }
  }

  @Test
  void anAgentThatVanishesMidRoundIsDroppedAtTheDeadlineAndTheRoundCompletesWithoutIt() throws Exception {
    List<Path> files = cohorts(2);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      AtomicInteger framesIgnored = new AtomicInteger();
      WebSocket ghost = silentPeer(c, "ghost", framesIgnored);
      c.awaitSites(3);
      long t0 = System.nanoTime();
      String id = c.run(study(2, 2, 4));
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(2));
      double seconds = (System.nanoTime() - t0) / 1e9;

      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode round1 = c.get("/api/studies/" + id + "/rounds").body().get(1);
      assertEquals("COMPLETED", round1.path("status").asText());
      assertEquals(3, round1.path("participants").size(), round1.toString());
      assertEquals(2, round1.path("samples").size(), round1.toString());
      assertTrue(round1.path("dropped").path("ghost").asText().contains("deadline"), round1.toString());
      assertTrue(round1.path("seconds").asDouble() >= 3.9, "round 1 waited for the deadline: " + round1);
      assertEquals("DROPPED", end.path("sites").path("ghost").path("state").asText());
      assertTrue(framesIgnored.get() >= 1, "the silent peer received the global model");
      assertTrue(seconds < 60, "took " + seconds + " s");
      ghost.abort();
    }
  }

  /** A real WebSocket peer that joins the study, sends statistics, then never answers a round. */
  private static WebSocket silentPeer(TestConsortium c, String site, AtomicInteger framesIgnored) throws Exception {
    WebSocket.Listener listener = new WebSocket.Listener() {
      final StringBuilder text = new StringBuilder();

      @Override public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
          CoordinatorMessage m = WireJson.readCoordinator(text.toString());
          text.setLength(0);
          if (m instanceof CoordinatorMessage.StudyOffer o) {
            ws.sendText(WireJson.write(new AgentMessage.StudyAccepted(o.studyId(), 100)), true);
          } else if (m instanceof CoordinatorMessage.StatisticsRequest r) {
            ws.sendText(WireJson.write(new AgentMessage.Statistics(r.studyId(), statistics(r.studyId(), c))), true);
          }
        }
        ws.request(1);
        return null;
      }

      @Override public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        if (last) framesIgnored.incrementAndGet();
        ws.request(1);
        return null;
      }
    };
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(c.agentUri(), listener).get();
    ws.sendText(WireJson.write(new AgentMessage.Hello(site, "test")), true);
    return ws;
  }

  private static SiteStatistics statistics(String studyId, TestConsortium c) {
    StudySpec spec = StudySpecParser.parse(CohortGenerator.exampleStudyJson());
    List<SiteStatistics.NumericMoments> moments = new ArrayList<>();
    for (FeatureSpec f : spec.features())
      if (f.type() == FeatureSpec.Type.NUMERIC) moments.add(new SiteStatistics.NumericMoments(f.name(), 100, 5000, 260000));
    return new SiteStatistics(100, 100, 0, 0, Map.of(), Map.of(), moments);
  }

  private static JsonNode readTree(String json) {
    try {
      return TestConsortium.JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
