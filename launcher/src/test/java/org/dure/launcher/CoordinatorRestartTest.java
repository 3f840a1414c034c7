package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dure.agent.AgentConfig;
import org.dure.agent.SiteAgent;
import org.dure.cohort.CohortGenerator;
import org.dure.cohort.SiteCohort;
import org.dure.coordinator.Coordinator;
import org.dure.coordinator.CoordinatorConfig;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agents ride out a coordinator restart: they reconnect with backoff and the study resumes from its checkpoint. */
class CoordinatorRestartTest {
  @TempDir Path dir;

  @Test
  void agentsReconnectAfterACoordinatorRestartAndTheStudyResumesWithTheNextRound() throws Exception {
    Restartable restartable = restartable();
    TestConsortium fixture = restartable.fixture();
    CoordinatorConfig config = restartable.config();
    int port = config.apiPort(), agentPort = config.agentPort();
    List<SiteCohort> cohorts = CohortGenerator.builder().sites(2).patientsPerSite(3000).seed(9).build().writeTo(dir.resolve("data"));
    ObjectNode study = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) study.path("training")).put("rounds", 30).put("localEpochs", 3).put("batchSize", 8);
    study.put("minSites", 2).put("roundDeadlineSeconds", 30);

    List<SiteAgent> agents = new ArrayList<>();
    Coordinator first = Coordinator.start(config).toCompletionStage().toCompletableFuture().get();
    Coordinator second = null;
    try {
      for (SiteCohort c : cohorts)
        agents.add(fixture.agent(c.site(), dir.resolve("data").resolve(c.fileName()),
            URI.create("wss://127.0.0.1:" + agentPort + "/agents")));
      await(() -> agents.stream().allMatch(SiteAgent::isConnected), "agents connected");
      String id = post(port, "/api/studies", study.toString()).path("id").asText();
      post(port, "/api/studies/" + id + "/start", "");
      await(() -> get(port, "/api/studies/" + id).path("completedRounds").asInt() >= 2, "two rounds completed");

      first.close();
      await(() -> agents.stream().noneMatch(SiteAgent::isConnected), "agents noticed the coordinator is gone");
      second = Coordinator.start(config).toCompletionStage().toCompletableFuture().get();
      await(() -> agents.stream().allMatch(SiteAgent::isConnected), "agents reconnected");
      JsonNode end = awaitEnd(port, id);

      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      assertEquals(30, end.path("completedRounds").asInt());
      JsonNode rounds = get(port, "/api/studies/" + id + "/rounds");
      assertEquals(31, rounds.size());
      for (int r = 1; r <= 30; r++) {
        assertEquals("COMPLETED", rounds.get(r).path("status").asText(), "round " + r + ": " + rounds.get(r));
        assertEquals(2, TestConsortium.contributors(rounds.get(r)), "round " + r);
      }
      assertTrue(rounds.get(30).path("pooled").path("auc").asDouble() > 0.7, rounds.get(30).toString());
      // The ledger survived the restart: every entry and every published tree head still verifies, all 30 rounds
      // are committed in it, and neither site found an inconsistency in the receipts across the restart.
      agents.forEach(SiteAgent::close);
      second.close();
      second = null;
      org.dure.ledger.VerificationReport report = org.dure.ledger.LogVerifier.verify(dir.resolve("coordinator").resolve("ledger"),
          org.dure.crypto.pki.SiteKeys.readCertificate(java.nio.file.Files.readString(fixture.pki.coordinatorPki()
              .resolve("tls-cert.pem"))).getPublicKey());
      assertTrue(report.ok(), report.toString());
      long commits = java.nio.file.Files.readAllLines(dir.resolve("coordinator").resolve("ledger").resolve("entries.jsonl"))
          .stream().filter(l -> l.contains("\"AGGREGATE_COMMITTED\"") && l.contains(id)).count();
      assertEquals(30, commits);
      for (SiteCohort c : cohorts) {
        assertTrue(!java.nio.file.Files.exists(dir.resolve("agents").resolve(c.site()).resolve("ledger-alarms.log")),
            c.site() + " raised a ledger alarm");
      }
    } finally {
      agents.forEach(SiteAgent::close);
      if (second != null) second.close();
    }
  }

  /** Issue 18, faults: a checkpoint that cannot be read at restart fails the study naming it, never a silent reset. */
  @Test
  void aCorruptCheckpointAtRestartFailsTheStudyNamingTheFileInsteadOfStartingOver() throws Exception {
    Restartable restartable = restartable();
    TestConsortium fixture = restartable.fixture();
    CoordinatorConfig config = restartable.config();
    int port = config.apiPort(), agentPort = config.agentPort();
    List<SiteCohort> cohorts = CohortGenerator.builder().sites(2).patientsPerSite(1500).seed(11).build().writeTo(dir.resolve("data"));
    ObjectNode study = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) study.path("training")).put("rounds", 30).put("localEpochs", 3).put("batchSize", 8);
    study.put("minSites", 2).put("roundDeadlineSeconds", 30);
    List<SiteAgent> agents = new ArrayList<>();
    Coordinator first = Coordinator.start(config).toCompletionStage().toCompletableFuture().get();
    Coordinator second = null;
    try {
      for (SiteCohort c : cohorts)
        agents.add(fixture.agent(c.site(), dir.resolve("data").resolve(c.fileName()),
            URI.create("wss://127.0.0.1:" + agentPort + "/agents")));
      await(() -> agents.stream().allMatch(SiteAgent::isConnected), "agents connected");
      String id = post(port, "/api/studies", study.toString()).path("id").asText();
      post(port, "/api/studies/" + id + "/start", "");
      await(() -> get(port, "/api/studies/" + id).path("completedRounds").asInt() >= 2, "two rounds completed");
      first.close();
      JsonNode stored = TestConsortium.JSON.readTree(java.nio.file.Files.readString(
          dir.resolve("coordinator").resolve("state/studies").resolve(id + ".json")));
      java.nio.file.Path checkpoint = java.nio.file.Path.of(stored.path("modelDir").asText());
      int rounds = stored.path("completedRounds").asInt();
      try (var files = java.nio.file.Files.list(checkpoint)) {
        for (java.nio.file.Path f : files.filter(f -> f.toString().endsWith(".npy")).toList())
          java.nio.file.Files.write(f, new byte[] {1, 2, 3});
      }
      second = Coordinator.start(config).toCompletionStage().toCompletableFuture().get();
      JsonNode end = awaitEnd(port, id);
      assertEquals("FAILED", end.path("status").asText(), end.toString());
      String reason = end.path("statusReason").asText();
      assertTrue(reason.contains("the checkpoint " + checkpoint) && reason.contains("not restarted from its initial model")
          && reason.contains("discard " + rounds + " completed rounds"), reason);
      assertEquals(rounds, end.path("completedRounds").asInt(), "nothing was trained again from the start");
    } finally {
      agents.forEach(SiteAgent::close);
      if (second != null) second.close();
    }
  }

  /**
   * Issue 18, faults: the coordinator is its own process and is killed with SIGKILL in the middle of a round (no
   * shutdown hook, no flush). Started again on the same data directory it resumes the study from its checkpoint, every
   * ledger entry a site had acknowledged (the signed tree head each agent keeps) is still in the ledger, the agents find
   * no inconsistency, and {@code dure ledger verify} passes.
   */
  @Test
  void aCoordinatorKilledWithSigkillMidRoundResumesFromItsCheckpointKeepingEveryAcknowledgedLedgerEntry() throws Exception {
    Restartable restartable = restartable();
    TestConsortium fixture = restartable.fixture();
    CoordinatorConfig config = restartable.config();
    int port = config.apiPort(), agentPort = config.agentPort();
    List<SiteCohort> cohorts = CohortGenerator.builder().sites(3).patientsPerSite(400).seed(13).build().writeTo(dir.resolve("data"));
    ObjectNode study = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) study.path("training")).put("rounds", 4).put("localEpochs", 1).put("batchSize", 8);
    study.put("minSites", 3).put("roundDeadlineSeconds", 20);
    List<SiteAgent> agents = new ArrayList<>();
    Process coordinator = coordinatorProcess(config, "first");
    try {
      for (SiteCohort c : cohorts)
        agents.add(fixture.agent(c.site(), dir.resolve("data").resolve(c.fileName()),
            URI.create("wss://127.0.0.1:" + agentPort + "/agents")));
      await(() -> agents.stream().allMatch(SiteAgent::isConnected), "agents connected");
      String id = post(port, "/api/studies", study.toString()).path("id").asText();
      post(port, "/api/studies/" + id + "/start", "");
      await(() -> get(port, "/api/studies/" + id).path("completedRounds").asInt() >= 2, "two rounds completed");
      // Mid-round: the next round has started (the API says so) and not completed.
      await(() -> {
        JsonNode v = get(port, "/api/studies/" + id);
        return v.path("currentRound").asInt() > v.path("completedRounds").asInt();
      }, "a round running");
      coordinator.destroyForcibly().waitFor();
      int before = TestConsortium.JSON.readTree(java.nio.file.Files.readString(dir.resolve("coordinator/state/studies").resolve(id + ".json")))
          .path("completedRounds").asInt();
      Map<String, org.dure.ledger.SignedTreeHead> acknowledged = new java.util.TreeMap<>();
      for (SiteCohort c : cohorts) {
        java.nio.file.Path head = dir.resolve("agents").resolve(c.site()).resolve(org.dure.agent.ledger.ReceiptChecker.HEAD_FILE);
        if (java.nio.file.Files.exists(head)) acknowledged.put(c.site(), org.dure.ledger.SignedTreeHead.parse(java.nio.file.Files.readString(head).trim()));
      }
      assertEquals(3, acknowledged.size(), "every site acknowledged ledger entries before the kill");
      await(() -> agents.stream().noneMatch(SiteAgent::isConnected), "agents noticed the coordinator is gone");
      coordinator = coordinatorProcess(config, "second");
      JsonNode end = awaitEnd(port, id);
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode rounds = get(port, "/api/studies/" + id + "/rounds");
      assertEquals(5, rounds.size(), rounds.toString());
      for (int r = 1; r <= 4; r++) assertEquals(3, TestConsortium.contributors(rounds.get(r)), "round " + r + ": " + rounds.get(r));
      assertTrue(before >= 2, "the checkpoint held the completed rounds: " + before);
      agents.forEach(SiteAgent::close);
      coordinator.destroy();
      coordinator.waitFor();
      java.nio.file.Path ledger = dir.resolve("coordinator").resolve("ledger");
      java.io.StringWriter out = new java.io.StringWriter();
      int code = new picocli.CommandLine(new DureCommand()).setOut(new java.io.PrintWriter(out, true)).execute("ledger", "verify",
          "--data-dir", dir.resolve("coordinator").toString(), "--cert", fixture.pki.coordinatorPki().resolve("tls-cert.pem").toString());
      assertEquals(0, code, "dure ledger verify: " + out);
      assertTrue(out.toString().startsWith("ledger OK"), out.toString());
      // Every head a site acknowledged is one the restarted coordinator's ledger still publishes (same size, same root).
      List<org.dure.ledger.SignedTreeHead> published = new ArrayList<>();
      for (String line : java.nio.file.Files.readAllLines(ledger.resolve(org.dure.ledger.TransparencyLog.TREE_HEADS_FILE)))
        if (!line.isBlank()) published.add(org.dure.ledger.SignedTreeHead.parse(line));
      for (var e : acknowledged.entrySet()) {
        assertTrue(published.stream().anyMatch(h -> h.size() == e.getValue().size()
                && java.util.Arrays.equals(h.rootHash(), e.getValue().rootHash())),
            e.getKey() + " acknowledged a tree head of size " + e.getValue().size() + " that the ledger no longer has");
      }
      long commits = java.nio.file.Files.readAllLines(ledger.resolve("entries.jsonl"))
          .stream().filter(l -> l.contains("\"AGGREGATE_COMMITTED\"") && l.contains(id)).count();
      assertEquals(4, commits, "each round committed once");
      for (SiteCohort c : cohorts) {
        assertTrue(!java.nio.file.Files.exists(dir.resolve("agents").resolve(c.site()).resolve("ledger-alarms.log")),
            c.site() + " raised a ledger alarm");
      }
    } finally {
      agents.forEach(SiteAgent::close);
      if (coordinator.isAlive()) coordinator.destroyForcibly().waitFor();
    }
  }

  /** {@code dure coordinator} as its own process on the config's ports and data directory; waits until it serves. */
  private Process coordinatorProcess(CoordinatorConfig config, String name) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m"));
    cmd.addAll(List.of(DureCommand.HAZELCAST_OPENS.split(" ")));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DureCommand.class.getName(), "coordinator",
        "--host", "127.0.0.1", "--api-port", String.valueOf(config.apiPort()), "--agent-port", String.valueOf(config.agentPort()),
        "--hazelcast-port", "0", "--pki", config.pkiDir().toString(), "--data-dir", config.dataDir().toString()));
    java.nio.file.Path log = dir.resolve("coordinator-" + name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!get(config.apiPort(), "/api/sites").isArray()) {
      if (!p.isAlive()) throw new AssertionError("the coordinator exited: " + java.nio.file.Files.readString(log));
      if (System.nanoTime() > deadline) throw new AssertionError("the coordinator did not serve in 60 s: " + java.nio.file.Files.readString(log));
      Thread.sleep(100);
    }
    return p;
  }

  /** A consortium whose coordinator runs on fixed ports (so agents find it again after a restart), not yet started. */
  private record Restartable(TestConsortium fixture, CoordinatorConfig config) {}

  private Restartable restartable() throws Exception {
    int apiPort, agentPort;
    try (ServerSocket s = new ServerSocket(0); ServerSocket t = new ServerSocket(0)) {
      apiPort = s.getLocalPort();
      agentPort = t.getLocalPort();
    }
    TestConsortium fixture = new TestConsortium(dir);
    fixture.coordinator.close();
    fixture.coordinator = null;
    http = HttpClient.newBuilder().sslContext(fixture.pki.clientTls()).build();
    token = fixture.researcherToken;
    return new Restartable(fixture, new CoordinatorConfig("127.0.0.1", apiPort, agentPort, dir.resolve("coordinator"),
        fixture.pki.coordinatorPki(), "dure-restart", 0, List.of()));
  }

  private HttpClient http;
  private String token;

  interface Check {
    boolean ok() throws Exception;
  }

  private static void await(Check c, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!c.ok()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
      Thread.sleep(50);
    }
  }

  private JsonNode awaitEnd(int port, String id) throws Exception {
    await(() -> get(port, "/api/studies/" + id).path("status").asText().matches("COMPLETED|FAILED|STOPPED"), "study ended");
    return get(port, "/api/studies/" + id);
  }

  private JsonNode post(int port, String path, String body) throws Exception {
    return TestConsortium.JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  private JsonNode get(int port, String path) throws Exception {
    try {
      return TestConsortium.JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + token)
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
    } catch (java.io.IOException e) {
      return TestConsortium.JSON.createObjectNode();
    }
  }
}
