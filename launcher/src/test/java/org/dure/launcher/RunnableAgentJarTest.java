package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.dure.cohort.CohortGenerator;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a hospital installs: the single runnable {@code dure-agent.jar} and one config file. The jar, started as its
 * own process with {@code java -jar}, enrols nothing by itself but takes part in a real study (mutual TLS,
 * pseudonymisation, ND4J natives loaded from the jar, secure aggregation) next to an in-process agent.
 */
class RunnableAgentJarTest {
  @TempDir Path dir;

  private static final Path JAR = Path.of("..", "site-agent", "target", "dure-agent.jar").toAbsolutePath().normalize();

  @Test
  void theShadedAgentJarRunsAsAHospitalWouldRunItAndContributesToEveryRound() throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(JAR), "no " + JAR + ": the build skipped it (-DskipShade=true)");
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 31);
    Process agent = null;
    try (TestConsortium c = new TestConsortium(dir)) {
      Path home = Files.createDirectories(dir.resolve("hospital-a"));
      Files.writeString(home.resolve("policy.json"), "{\"approval\": \"automatic\"}\n");
      ObjectNode cfg = TestConsortium.JSON.createObjectNode().put("siteId", "hospital-a")
          .put("coordinator", c.agentUri().toString()).put("tls", c.pki.enrol("hospital-a").toString())
          .put("workDir", "work").put("policy", "policy.json");
      cfg.putObject("data").put("csv", files.get(0).toString());
      cfg.set("pseudonymisation", TestConsortium.JSON.readTree(
          CohortGenerator.pseudonymisationJson(dir.resolve("secrets").resolve("pseudonym.key").toString())));
      Path config = Files.writeString(home.resolve("agent.json"), cfg.toPrettyString());
      Path log = home.resolve("agent.log");
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx1g", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-jar", JAR.toString(), "--config", config.toString())
          .redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().put("OMP_NUM_THREADS", "1");
      pb.environment().put("OPENBLAS_NUM_THREADS", "1");
      agent = pb.start();
      c.agent("hospital-b", files.get(1));
      c.agent("hospital-c", files.get(2)); // the jar's default policy takes part only in secure rounds of 3 or more sites
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (c.get("/api/sites").body().size() < 3) {
        assertTrue(agent.isAlive(), "the jar's agent exited (code " + (agent.isAlive() ? "" : agent.exitValue()) + "): "
            + Files.readString(log));
        assertTrue(System.nanoTime() < deadline, "the jar's agent did not connect in 90 s: " + Files.readString(log));
        Thread.sleep(100);
      }
      ObjectNode study = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
      ((ObjectNode) study.path("training")).put("rounds", 2);
      String id = c.run(study.toString());
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(2));
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      for (int r = 1; r <= 2; r++) {
        assertTrue(rounds.get(r).path("secureAggregation").path("survivors").toString().contains("hospital-a"),
            "round " + r + ": " + rounds.get(r));
      }
      assertTrue(Files.isRegularFile(home.resolve("work").resolve("outbound.log")), "the jar's agent keeps its outbound ledger");
      assertTrue(Files.isRegularFile(home.resolve("work").resolve("pseudonymisation-report.json")), "and its pseudonymisation report");
    } finally {
      if (agent != null) {
        agent.destroy();
        if (!agent.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) agent.destroyForcibly();
      }
    }
  }
}
