package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.dure.cohort.CohortGenerator;
import org.dure.cohort.SiteCohort;
import org.dure.crypto.Digests;
import org.dure.crypto.pki.SiteKeys;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.crypto.sign.SiteSignatures;
import org.dure.protocol.study.FeatureSpec;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SiteStatistics;
import org.dure.protocol.wire.WireJson;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What happens when sites cannot or do not take part: the researcher sees why, the study goes on. */
class StudyFailureModesTest {
  @TempDir Path dir;

  private List<Path> cohorts(int sites) throws Exception {
    return TestConsortium.cohorts(dir, sites, 400, 5);
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
    // an extract without direct identifiers (so no pseudonymisation, only the scan): the clinical columns
    List<String> header = List.of(bad.get(0).split(","));
    List<Integer> keep = new java.util.ArrayList<>();
    for (int i = 0; i < header.size(); i++)
      if (!List.of("patient_id", "mrn", "name", "rrn", "birth_date", "phone", "address").contains(header.get(i))) keep.add(i);
    bad.replaceAll(l -> {
      String[] f = l.split(",", -1);
      return keep.stream().map(i -> f[i]).collect(java.util.stream.Collectors.joining(","));
    });
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
          && notNumber.contains("not a number") && !notNumber.contains("twenty"), "file, line, column, never the value: " + notNumber);
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      assertEquals(2, TestConsortium.contributors(rounds.get(2)), "the two able sites trained round 2");
    }
  }

  @Test
  void anAgentThatVanishesMidRoundIsDroppedAtTheDeadlineAndTheRoundCompletesWithoutIt() throws Exception {
    List<Path> files = cohorts(2);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      AtomicInteger framesIgnored = new AtomicInteger();
      ScriptedPeer ghost = silentPeer(c, "ghost", framesIgnored);
      c.awaitSites(3);
      long t0 = System.nanoTime();
      String id = c.run(study(2, 2, 4));
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(2));
      double seconds = (System.nanoTime() - t0) / 1e9;

      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode round1 = c.get("/api/studies/" + id + "/rounds").body().get(1);
      assertEquals("COMPLETED", round1.path("status").asText());
      assertEquals(3, round1.path("participants").size(), round1.toString());
      assertEquals(2, TestConsortium.contributors(round1), round1.toString());
      assertTrue(round1.path("dropped").path("ghost").asText().contains("deadline"), round1.toString());
      assertTrue(round1.path("seconds").asDouble() >= 3.9, "round 1 waited for the deadline: " + round1);
      assertEquals("DROPPED", end.path("sites").path("ghost").path("state").asText());
      assertTrue(framesIgnored.get() >= 1, "the silent peer received the global model");
      assertTrue(seconds < 60, "took " + seconds + " s");
      ghost.abort();
    }
  }

  /** A real WebSocket peer that joins the study, sends statistics, then never answers a round. */
  private static ScriptedPeer silentPeer(TestConsortium c, String site, AtomicInteger framesIgnored) throws Exception {
    return ScriptedPeer.connect(c, site, (ws, global) -> framesIgnored.incrementAndGet());
  }

  /** The site's signed update for a round: the global parameters sent back, trained on "100 rows". */
  private static byte[] signedUpdate(PrivateKey key, String signer, Frames.ModelFrame global, int round) {
    byte[] frame = Frames.encode(Frames.Kind.SITE_UPDATE, global.studyId(), round, round - 1, 100, 0.5f, global.valuesUnsafe());
    byte[] sig = SiteSignatures.sign(key, Purpose.CONTRIBUTION, signer, global.studyId().toString(), round, Frames.signedDigest(frame));
    return Frames.withSignature(frame, sig);
  }

  @Test
  void aSignedUpdateReplayedIntoALaterRoundOrSignedByAnotherSiteIsRejected() throws Exception {
    List<Path> files = cohorts(2);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      PrivateKey keyOfA = SiteKeys.readPrivateKey(Files.readString(c.pki.siteTls().get("hospital-a").resolve("site-key.pem")));
      byte[][] roundOne = new byte[1][];
      AtomicReference<PrivateKey> ownKey = new AtomicReference<>();
      ScriptedPeer peer = ScriptedPeer.connect(c, "hospital-m", (ws, global) -> {
        if (ownKey.get() == null) {
          ownKey.set(SiteKeys.readPrivateKey(Files.readString(c.pki.siteTls().get("hospital-m").resolve("site-key.pem"))));
        }
        byte[] update;
        if (global.round() == 1) {
          update = roundOne[0] = signedUpdate(ownKey.get(), "hospital-m", global, 1); // honest
        } else if (global.round() == 2) {
          update = roundOne[0].clone(); // replay round 1's signed update, relabelled as round 2
          ByteBuffer.wrap(update).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 2).putInt(28, 1);
        } else {
          update = signedUpdate(keyOfA, "hospital-a", global, global.round()); // hospital-a's signature on hospital-m's connection
        }
        ws.sendBinary(ByteBuffer.wrap(update), true);
      });
      c.awaitSites(3);
      String id = c.run(TestConsortium.plain(study(3, 2, 20)));
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(2));

      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      assertEquals(3, rounds.get(1).path("samples").size(), "the honest round-1 update counts: " + rounds.get(1));
      String replay = rounds.get(2).path("dropped").path("hospital-m").asText();
      assertTrue(replay.contains("signature does not verify") && replay.contains("round 2"), rounds.get(2).toString());
      assertEquals(2, rounds.get(2).path("samples").size());
      String foreign = rounds.get(3).path("dropped").path("hospital-m").asText();
      assertTrue(foreign.contains("signature does not verify") && foreign.contains("hospital-m"), rounds.get(3).toString());
      assertEquals(2, rounds.get(3).path("samples").size());
      peer.abort();
    }
  }

  private static JsonNode readTree(String json) {
    try {
      return TestConsortium.JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
