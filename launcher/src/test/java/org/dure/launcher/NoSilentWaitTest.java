package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.dure.cohort.CohortGenerator;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 20: no study waits in silence. A study the sites cannot run is refused before anything starts; a study that
 * cannot get enough sites ends at once naming every site's answer, or waits with the reason and a deadline; a site
 * that never answers the offer is named and counted out at the offer deadline.
 */
class NoSilentWaitTest {
  @TempDir Path dir;

  private static String study(int minSites, Consumer<ObjectNode> edit) throws Exception {
    ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) s.path("training")).put("rounds", 1);
    s.put("minSites", minSites).put("roundDeadlineSeconds", 20);
    edit.accept(s);
    return s.toString();
  }

  private static void threshold(ObjectNode study, int t) {
    ObjectNode privacy = study.has("privacy") ? (ObjectNode) study.get("privacy") : study.putObject("privacy");
    privacy.putObject("secureAggregation").put("threshold", t);
  }

  private static JsonNode await(TestConsortium c, String id, Predicate<JsonNode> condition, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode v = null;
    while (System.nanoTime() < deadline) {
      v = c.get("/api/studies/" + id).body();
      if (condition.test(v)) return v;
      Thread.sleep(50);
    }
    throw new AssertionError("study " + id + " never reached: " + what + "; last " + v);
  }

  // ------------------------------------------------------------------------------------------ dure rehearse

  private record Cli(int exit, String out, String err) {}

  private Cli rehearse(String studyJson, int sites, String... more) throws Exception {
    Path study = Files.writeString(dir.resolve("study.json"), studyJson);
    List<String> args = new ArrayList<>(List.of("rehearse", "--study", study.toString(), "--out", dir.resolve("out").toString()));
    for (int i = 0; i < sites; i++) {
      Path csv = Files.writeString(dir.resolve("site-" + i + ".csv"), "age,outcome\n50,1\n");
      args.addAll(List.of("--site", "hospital-" + (char) ('a' + i) + "=" + csv));
    }
    args.addAll(List.of(more));
    PrintStream stdout = System.out, stderr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int exit = new CommandLine(new DureCommand()).execute(args.toArray(String[]::new));
      return new Cli(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }

  /** Refused at once with exit 2, one line naming the field, its value and the sites given; nothing was started. */
  private void assertRefusedBeforeStarting(Cli cli, String... needles) {
    assertEquals(RehearseCommand.REFUSED, cli.exit(), cli.toString());
    assertEquals(1, cli.err().strip().lines().count(), "one plain sentence: " + cli.err());
    for (String n : needles) assertTrue(cli.err().contains(n), "'" + n + "' in: " + cli.err());
    assertFalse(Files.exists(dir.resolve("out")), "nothing was started or written");
  }

  @Test
  void rehearseRefusesMoreMinSitesThanSitesGivenBeforeStartingAnything() throws Exception {
    assertRefusedBeforeStarting(rehearse(study(3, s -> {}), 2), "minSites is 3", "only 2 sites were given with --site");
  }

  @Test
  void rehearseRefusesASecureAggregationThresholdAboveTheSitesGiven() throws Exception {
    assertRefusedBeforeStarting(rehearse(study(2, s -> threshold(s, 10)), 3), "privacy.secureAggregation.threshold is 10", "only 3 sites were given with --site");
  }

  @Test
  void rehearseRefusesSecureAggregationWithOneSite() throws Exception {
    assertRefusedBeforeStarting(rehearse(study(1, s -> {}), 1), "minSites", "secure aggregation needs at least 2 sites",
        "privacy.secureAggregation.enabled");
    ObjectNode defaults = (ObjectNode) TestConsortium.JSON.readTree(study(2, s -> {}));
    defaults.remove("minSites");
    assertRefusedBeforeStarting(rehearse(defaults.toString(), 1), "secure aggregation needs at least 2 sites",
        "only 1 site was given with --site");
  }

  @Test
  void theRehearsalClientWaitsForACoordinatorThatIsSlowToStartAndFailsWithOneSentenceAtTheDeadline() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    URI health = URI.create("http://127.0.0.1:" + port + "/health");
    HttpClient http = HttpClient.newHttpClient();
    HttpServer[] server = new HttpServer[1];
    Thread starter = new Thread(() -> {
      try {
        Thread.sleep(1500); // the coordinator is still starting: connections are refused meanwhile
        server[0] = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server[0].createContext("/health", x -> {
          x.sendResponseHeaders(200, -1);
          x.close();
        });
        server[0].start();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    starter.start();
    long t0 = System.nanoTime();
    try {
      ConsortiumRun.awaitReady(http, health, System.nanoTime() + Duration.ofSeconds(20).toNanos(), "the deadline", () -> {});
      assertTrue((System.nanoTime() - t0) / 1e9 >= 1.4, "it waited for the server instead of failing");
    } finally {
      starter.join();
      server[0].stop(0);
    }

    long deadline = System.nanoTime() + Duration.ofMillis(700).toNanos();
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> ConsortiumRun.awaitReady(http, health, deadline, "the deadline", () -> {}));
    String sentence = e.getMessage();
    assertTrue(sentence.contains("was not ready before the deadline") && sentence.contains("could not connect to the local coordinator")
        && !sentence.contains("\n"), sentence);
    assertFalse(sentence.contains("Exception"), "a sentence, not an exception name: " + sentence);
  }

  @Test
  void aRehearsalThatRunsOutOfTimeWhileTheCoordinatorStartsSaysSoInOneSentenceWithItsExitCode() throws Exception {
    Cli cli = rehearse(study(2, s -> {}), 2, "--timeout", "1");
    assertEquals(RehearseCommand.RUN_FAILED, cli.exit(), cli.toString());
    String err = cli.err().strip();
    assertEquals(1, err.lines().count(), "one plain sentence: " + err);
    assertTrue(err.startsWith("dure rehearse: ") && err.contains("--timeout 1 s"), err);
    assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
  }

  // ------------------------------------------------------------------------------------------ the coordinator

  @Test
  void whenEverySiteDeclinesTheStudyFailsAtOnceNamingEachSitesReason() throws Exception {
    Path unrelated = TestConsortium.write(dir.resolve("data/unrelated.csv"), List.of("patient_id,weight_kg,ward", "p1,70,A", "p2,82,B"));
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", unrelated);
      c.agent("hospital-b", unrelated);
      c.awaitSites(2);
      long t0 = System.nanoTime();
      String id = c.run(study(2, s -> {}));
      JsonNode end = c.awaitEnd(id, Duration.ofSeconds(30));
      double seconds = (System.nanoTime() - t0) / 1e9;

      assertEquals("FAILED", end.path("status").asText(), end.toString());
      String reason = end.path("statusReason").asText();
      assertTrue(reason.startsWith("not enough sites can take part: 0 of at least 2 sites accepted"), reason);
      for (String site : List.of("hospital-a", "hospital-b")) {
        assertTrue(reason.contains(site + " declined: "), reason);
        assertEquals("DECLINED", end.path("sites").path(site).path("state").asText());
        assertTrue(reason.contains(end.path("sites").path(site).path("reason").asText()), "the site's own reason: " + reason);
      }
      assertTrue(reason.contains("none of the study's feature columns"), reason);
      assertTrue(seconds < 15, "ended at once, not at a deadline: " + seconds + " s");
    }
  }

  @Test
  void aSiteThatNeverAnswersTheOfferIsNamedAtTheOfferDeadlineAndTheStudyEndsWhenItWasNeeded() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 1, 300, 3);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      ScriptedPeer ghost = ScriptedPeer.mute(c, "ghost");
      c.awaitSites(2);
      String id = c.run(study(2, s -> s.put("offerDeadlineSeconds", 2)));
      JsonNode waiting = await(c, id, v -> v.path("statusReason").asText().contains("ghost has not answered yet")
          || v.path("status").asText().equals("FAILED"), "ghost named as not having answered yet");
      if (waiting.path("status").asText().equals("WAITING_FOR_SITES"))
        assertTrue(waiting.path("statusReason").asText().contains("waiting until"), waiting.toString());
      JsonNode end = c.awaitEnd(id, Duration.ofSeconds(30));

      assertEquals("FAILED", end.path("status").asText(), end.toString());
      String reason = end.path("statusReason").asText();
      assertTrue(reason.contains("1 of at least 2 sites accepted (hospital-a; needed: minSites 2)")
          && reason.contains("ghost did not answer the offer within 2 s"), reason);
      assertEquals("NO_ANSWER", end.path("sites").path("ghost").path("state").asText(), end.toString());
      assertTrue(end.path("sites").path("ghost").path("reason").asText().contains("offerDeadlineSeconds"), end.toString());
      ghost.abort();
    }
  }

  @Test
  void aSilentSiteThatIsNotNeededIsCountedOutAtTheOfferDeadlineAndTheStudyGoesOnWithoutIt() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 2, 300, 4);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      ScriptedPeer ghost = ScriptedPeer.mute(c, "ghost");
      c.awaitSites(3);
      String id = c.run(TestConsortium.plain(study(2, s -> s.put("offerDeadlineSeconds", 2).put("roundDeadlineSeconds", 600))));
      JsonNode end = c.awaitEnd(id, Duration.ofSeconds(60));

      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      assertEquals("NO_ANSWER", end.path("sites").path("ghost").path("state").asText(), end.toString());
      JsonNode round = c.get("/api/studies/" + id + "/rounds").body().get(1);
      assertEquals(2, round.path("participants").size(), "the round went ahead without the silent site: " + round);
      ghost.abort();
    }
  }

  @Test
  void aThresholdAboveTheConsortiumsRosterFailsAtOnceSayingSoAndWhatToChange() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 2, 300, 5);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      c.awaitSites(2);
      String id = c.run(study(2, s -> threshold(s, 10)));
      JsonNode end = c.awaitEnd(id, Duration.ofSeconds(30));

      assertEquals("FAILED", end.path("status").asText(), end.toString());
      String reason = end.path("statusReason").asText();
      assertTrue(reason.contains("of at least 10 sites accepted") && reason.contains("needed: privacy.secureAggregation.threshold 10")
          && reason.contains("the consortium has only 2 enrolled sites, fewer than the 10 needed")
          && reason.contains("lower privacy.secureAggregation.threshold or enrol more sites"), reason);
    }
  }

  @Test
  void whileAnEnrolledSiteCouldStillComeTheStudyWaitsNamingItAndFailsAtItsDeadline() throws Exception {
    Path unrelated = TestConsortium.write(dir.resolve("data/unrelated.csv"), List.of("patient_id,weight_kg,ward", "p1,70,A", "p2,82,B"));
    List<Path> files = TestConsortium.cohorts(dir, 1, 300, 6);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.pki.enrol("hospital-c"); // enrolled (before the others, so the register the study reads holds it), never connects
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", unrelated);
      c.awaitSites(2);
      String id = c.run(TestConsortium.plain(study(2, s -> s.put("waitForSitesSeconds", 4))));
      JsonNode waiting = await(c, id, v -> v.path("statusReason").asText().contains("hospital-b declined")
          && v.path("statusReason").asText().startsWith("1 of"), "hospital-a accepted, hospital-b declined");

      assertEquals("WAITING_FOR_SITES", waiting.path("status").asText(), waiting.toString());
      String reason = waiting.path("statusReason").asText();
      assertTrue(reason.startsWith("1 of at least 2 sites accepted (hospital-a; needed: minSites 2)")
          && reason.contains("none of the study's feature columns") && reason.contains("hospital-c is not connected")
          && reason.contains("waiting until ") && reason.contains("(waitForSitesSeconds 4)"), reason);
      JsonNode end = c.awaitEnd(id, Duration.ofSeconds(30));
      assertEquals("FAILED", end.path("status").asText(), end.toString());
      String failed = end.path("statusReason").asText();
      assertTrue(failed.startsWith("not enough sites accepted within 4 s (waitForSitesSeconds): 1 of at least 2 sites accepted")
          && failed.contains("hospital-b declined") && failed.contains("hospital-c is not connected"), failed);
    }
  }

  /**
   * Two sites whose policies allow secure rounds of at least three sites: the coordinator does not start a round they
   * must both refuse (which aborted, and excluded them from its retry); it fails at once naming the policy that sets the
   * number, and with a third site the same study runs.
   */
  @Test
  void aSitesMinimumSecureRosterIsWaitedForInsteadOfStartingARoundItMustRefuse() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 8);
    org.dure.agent.policy.LocalPolicy three = org.dure.agent.policy.LocalPolicy.rehearsal().withMinSecureRoster(3);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0), three);
      c.agent("hospital-b", files.get(1), three);
      c.awaitSites(2);
      String id = c.run(study(2, s -> {}));
      JsonNode end = c.awaitEnd(id, Duration.ofSeconds(30));
      assertEquals("FAILED", end.path("status").asText(), end.toString());
      String reason = end.path("statusReason").asText();
      assertTrue(reason.contains("2 of at least 3 sites accepted") && reason.contains("needed: hospital-a's policy minSecureRoster 3")
          && reason.contains("enrol more sites (a site's own policy sets this minimum"), reason);
      assertFalse(reason.contains("aborted"), "no round was started to be refused: " + reason);

      c.agent("hospital-c", files.get(2), three);
      c.awaitSites(3);
      String again = c.run(study(2, s -> {}));
      JsonNode done = c.awaitEnd(again, Duration.ofSeconds(60));
      assertEquals("COMPLETED", done.path("status").asText(), done.toString());
    }
  }

  /**
   * The researchers' guide's rehearsal example, two sites with secure aggregation (the default), completes: the rehearsal's agents take
   * secure rounds of two sites and have no cohort minimum (with the hospital defaults, minSecureRoster 3, it failed).
   */
  @Test
  void aTwoSiteRehearsalWithSecureAggregationCompletes() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 2, 300, 12);
    Path study = Files.writeString(dir.resolve("study2.json"), study(2, s -> ((ObjectNode) s.path("training")).put("rounds", 2)));
    PrintStream stdout = System.out, stderr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      exit = new CommandLine(new DureCommand()).execute("rehearse", "--study", study.toString(), "--out",
          dir.resolve("rehearsal").toString(), "--site", "hospital-a=" + files.get(0), "--site", "hospital-b=" + files.get(1));
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, printed + err.toString(StandardCharsets.UTF_8));
    assertTrue(printed.contains("COMPLETED: completed 2 rounds") && printed.contains("secure t=2"), printed);
  }
}
