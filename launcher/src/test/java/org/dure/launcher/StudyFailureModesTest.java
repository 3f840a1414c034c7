package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpClient;
import java.io.ByteArrayOutputStream;
import java.net.http.WebSocket;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.dure.crypto.Digests;
import org.dure.crypto.pki.SiteKeys;
import org.dure.crypto.sign.SiteSignatures;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.protocol.wire.Frames;
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

  /** What a scripted peer does when the global model of a round arrives. */
  interface OnRound {
    void act(WebSocket ws, Frames.ModelFrame global) throws Exception;
  }

  /** A real WebSocket peer that joins the study, sends statistics, then never answers a round. */
  private static WebSocket silentPeer(TestConsortium c, String site, AtomicInteger framesIgnored) throws Exception {
    return scriptedPeer(c, site, (ws, global) -> framesIgnored.incrementAndGet());
  }

  /**
   * A real enrolled site over mutual TLS (JDK WebSocket, the site's own key and certificate) that approves
   * the study with a valid signature, sends statistics, and then does whatever {@code onRound} says.
   */
  private static WebSocket scriptedPeer(TestConsortium c, String site, OnRound onRound) throws Exception {
    Path tls = c.pki.enrol(site);
    PrivateKey key = SiteKeys.readPrivateKey(Files.readString(tls.resolve("site-key.pem")));
    X509Certificate cert = SiteKeys.readCertificate(Files.readString(tls.resolve("site-cert.pem")));
    WebSocket.Listener listener = new WebSocket.Listener() {
      final StringBuilder text = new StringBuilder();
      final ByteArrayOutputStream binary = new ByteArrayOutputStream();

      @Override public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
          CoordinatorMessage m = WireJson.readCoordinator(text.toString());
          text.setLength(0);
          if (m instanceof CoordinatorMessage.StudyOffer o) {
            byte[] sig = SiteSignatures.sign(key, Purpose.STUDY_APPROVAL, site, o.studyId(), 0,
                Digests.sha256(o.spec().getBytes(StandardCharsets.UTF_8)));
            ws.sendText(WireJson.write(new AgentMessage.StudyAccepted(o.studyId(), 100, Base64.getEncoder().encodeToString(sig))), true);
          } else if (m instanceof CoordinatorMessage.StatisticsRequest r) {
            ws.sendText(WireJson.write(new AgentMessage.Statistics(r.studyId(), statistics(r.studyId(), c))), true);
          }
        }
        ws.request(1);
        return null;
      }

      @Override public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        byte[] chunk = new byte[data.remaining()];
        data.get(chunk);
        binary.writeBytes(chunk);
        if (last) {
          Frames.ModelFrame f = Frames.decode(binary.toByteArray());
          binary.reset();
          try {
            if (f.kind() == Frames.Kind.GLOBAL_TRAIN) onRound.act(ws, f);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
        ws.request(1);
        return null;
      }
    };
    WebSocket ws = HttpClient.newBuilder().sslContext(siteTls(c, key, cert)).build().newWebSocketBuilder()
        .buildAsync(c.agentUri(), listener).get();
    ws.sendText(WireJson.write(new AgentMessage.Hello("test")), true);
    return ws;
  }

  private static SSLContext siteTls(TestConsortium c, PrivateKey key, X509Certificate cert) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("site", key, new char[0], new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", SiteKeys.readCertificate(Files.readString(c.pki.coordinatorPki().resolve("ca-cert.pem"))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
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
      WebSocket peer = scriptedPeer(c, "hospital-m", (ws, global) -> {
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
      String id = c.run(study(3, 2, 20));
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
