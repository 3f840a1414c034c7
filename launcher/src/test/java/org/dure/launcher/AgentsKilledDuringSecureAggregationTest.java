package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.dure.cohort.CohortGenerator;
import org.dure.protocol.model.ModelFiles;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.WireJson;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, faults: site agents running as their own processes are killed with SIGKILL while the coordinator's secure
 * round is at each of its four stages. The kill is triggered deterministically from the coordinator's inbound stream
 * (the moment the message that closes the previous stage arrives, before the coordinator handles it), and the killed
 * process is gone before the coordinator moves on. With at least the threshold left the round completes and its model
 * equals the sample-weighted mean of exactly the surviving sites' true updates (taken from a plain run of the same
 * round); below the threshold the attempt aborts and is retried with the sites still online.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentsKilledDuringSecureAggregationTest {
  @TempDir static Path dir;
  private TestConsortium c;
  private List<Path> files;
  private AgentProcess x, y;
  /** Each site's true round-1 update (trained from the initial model), from the plain run. */
  private final Map<String, Frames.ModelFrame> plainUpdates = new ConcurrentHashMap<>();
  private volatile Consumer<Object> trigger = m -> {};

  @BeforeAll
  void consortiumWithTwoInProcessSurvivorsAndAVictimProcess() throws Exception {
    files = TestConsortium.cohorts(dir, 4, 300, 23);
    c = new TestConsortium(dir);
    c.coordinator.observeInbound((site, binary, payload) -> {
      Object m = binary ? Frames.decode(payload) : WireJson.readAgent(new String(payload, StandardCharsets.UTF_8));
      trigger.accept(new Inbound(site, m));
    });
    c.agent("hospital-a", files.get(0));
    c.agent("hospital-b", files.get(1));
    x = AgentProcess.start(c, "hospital-x", files.get(2));
    x.awaitConnected(c, Duration.ofSeconds(60));
    // The reference: the same round in the clear, every site's update as it arrives.
    trigger = in -> {
      if (((Inbound) in).message() instanceof Frames.ModelFrame f && f.round() == 1) plainUpdates.put(((Inbound) in).site(), f);
    };
    String plain = c.run(TestConsortium.plain(study()));
    assertEquals("COMPLETED", c.awaitEnd(plain, Duration.ofMinutes(1)).path("status").asText());
    trigger = m -> {};
    assertEquals(Set.of("hospital-a", "hospital-b", "hospital-x"), plainUpdates.keySet());
  }

  @AfterAll
  void stop() {
    if (x != null) x.close();
    if (y != null) y.close();
    if (c != null) c.close();
  }

  private record Inbound(String site, Object message) {}

  private static String study() throws Exception {
    ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) s.path("training")).put("rounds", 1);
    s.put("minSites", 2).put("roundDeadlineSeconds", 10);
    return s.toString();
  }

  private void victimOnline() throws Exception {
    if (!x.alive()) x.restart();
    x.awaitConnected(c, Duration.ofSeconds(60));
  }

  /** Counts the messages of one kind for the study and runs {@code then} when the count reaches {@code n}. */
  private Consumer<Object> onCount(Class<?> kind, int n, Runnable then) {
    java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
    return in -> {
      if (kind.isInstance(((Inbound) in).message()) && seen.incrementAndGet() == n) then.run();
    };
  }

  @Test
  void anAgentKilledAtKeyAdvertisementIsDroppedAndTheSumIsTheTwoSurvivorsExactly() throws Exception {
    victimOnline();
    Consumer<Object> killWhenOthersAdvertised = onCount(AgentMessage.SecAggKeys.class, 2, x::kill9);
    trigger = in -> {
      Inbound i = (Inbound) in;
      // Frozen once its statistics are in: the round starts with it in the roster, it never advertises keys; killed
      // when both other sites have (the coordinator is waiting for its keys).
      if (i.site().equals("hospital-x") && i.message() instanceof AgentMessage.Statistics) {
        try {
          x.freeze();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
      killWhenOthersAdvertised.accept(in);
    };
    JsonNode round = secureRound();
    assertDropped(round, "key advertisement");
    assertSumOf(round, "hospital-a", "hospital-b");
  }

  @Test
  void anAgentKilledDuringTheShareExchangeIsDroppedAndTheSumIsTheTwoSurvivorsExactly() throws Exception {
    victimOnline();
    trigger = onCount(AgentMessage.SecAggKeys.class, 3, x::kill9); // all keys in: the share exchange opens without it
    JsonNode round = secureRound();
    assertDropped(round, "share exchange");
    assertSumOf(round, "hospital-a", "hospital-b");
  }

  @Test
  void anAgentKilledBeforeItsMaskedInputIsUnmaskedFromTheSurvivorsSharesAndTheSumIsTheTwoSurvivorsExactly() throws Exception {
    victimOnline();
    trigger = onCount(AgentMessage.SecAggShares.class, 3, x::kill9); // all shares in: masked inputs open without it
    JsonNode round = secureRound();
    assertDropped(round, "masked input");
    assertSumOf(round, "hospital-a", "hospital-b");
  }

  @Test
  void anAgentKilledDuringUnmaskingAfterItsMaskedInputKeepsItsUpdateInTheSumOfAllThree() throws Exception {
    victimOnline();
    trigger = onCount(Frames.MaskedFrame.class, 3, x::kill9); // all masked inputs in: unmasking opens without it
    JsonNode round = secureRound();
    assertDropped(round, "unmasking");
    assertSumOf(round, "hospital-a", "hospital-b", "hospital-x");
  }

  @Test
  void twoOfFourAgentsKilledInTheShareExchangeAbortTheAttemptBelowThresholdAndTheRetryIsTheSurvivorsSum() throws Exception {
    victimOnline();
    if (y == null) y = AgentProcess.start(c, "hospital-y", files.get(3));
    else if (!y.alive()) y.restart();
    y.awaitConnected(c, Duration.ofSeconds(60));
    trigger = onCount(AgentMessage.SecAggKeys.class, 4, () -> {
      x.kill9();
      y.kill9();
    });
    String id = c.run(study());
    JsonNode end = c.awaitEnd(id, Duration.ofMinutes(1));
    trigger = m -> {};
    assertEquals("COMPLETED", end.path("status").asText(), end.toString());
    JsonNode round = c.get("/api/studies/" + id + "/rounds").body().get(1);
    assertEquals(2, round.path("attempt").asInt(), round.toString());
    JsonNode aborted = round.path("abortedAttempts");
    assertEquals(1, aborted.size(), round.toString());
    String reason = aborted.get(0).path("reason").asText();
    assertTrue(reason.contains("threshold is 3"), reason);
    assertTrue(aborted.get(0).path("dropped").path("hospital-x").asText().contains("share exchange"), aborted.toString());
    assertTrue(aborted.get(0).path("dropped").path("hospital-y").asText().contains("share exchange"), aborted.toString());
    assertEquals(2, round.path("secureAggregation").path("threshold").asInt(), round.toString());
    // A retried attempt trains again with fresh randomness (by design: two sums from the same model must not be
    // differenced), so its model is not the plain run's bit for bit. What proves the masks cancelled exactly: the
    // masked sum's weight element decodes to exactly the two survivors' rows, and the model is theirs to training noise.
    JsonNode sa = round.path("secureAggregation");
    assertEquals(List.of("hospital-a", "hospital-b"), List.of(sa.path("survivors").get(0).asText(), sa.path("survivors").get(1).asText()));
    assertEquals(plainUpdates.get("hospital-a").samples() + plainUpdates.get("hospital-b").samples(), sa.path("survivorSamples").asLong(),
        round.toString());
    float[] model = ModelFiles.readParameters(c.dir.resolve("coordinator").resolve("studies").resolve(id)
        .resolve("checkpoints").resolve("round-0001"));
    double d = maxDiff(model, mean(Set.of("hospital-a", "hospital-b")));
    System.out.printf("retried secure round: max |Δw| vs the survivors' plain mean (first attempt's shuffle) %.3g%n", d);
    assertTrue(d < 0.1, "max parameter difference " + d);
  }

  private String lastStudy;

  private JsonNode secureRound() throws Exception {
    lastStudy = c.run(study());
    JsonNode end = c.awaitEnd(lastStudy, Duration.ofMinutes(1));
    trigger = m -> {};
    assertEquals("COMPLETED", end.path("status").asText(), end.toString());
    assertTrue(!x.alive(), "the victim was killed");
    JsonNode round = c.get("/api/studies/" + lastStudy + "/rounds").body().get(1);
    assertEquals(1, round.path("attempt").asInt(), "completed from the survivors, no retry: " + round);
    return round;
  }

  private static void assertDropped(JsonNode round, String stage) {
    String why = round.path("dropped").path("hospital-x").asText();
    assertTrue(why.contains(stage + " stage"), "hospital-x dropped at the " + stage + " stage: " + round);
  }

  private void assertSumOf(JsonNode round, String... survivors) throws Exception {
    assertStudySumOf(round, lastStudy, survivors);
  }

  /**
   * The round's model is the sample-weighted mean of exactly these sites' true updates, and measurably not the mean
   * of any other subset of the three (so a wrong sum could not pass).
   */
  private void assertStudySumOf(JsonNode round, String id, String... survivors) throws Exception {
    Set<String> expected = new TreeSet<>(List.of(survivors));
    Set<String> reported = new TreeSet<>();
    round.path("secureAggregation").path("survivors").forEach(s -> reported.add(s.asText()));
    assertEquals(expected, reported, round.toString());
    float[] model = ModelFiles.readParameters(c.dir.resolve("coordinator").resolve("studies").resolve(id)
        .resolve("checkpoints").resolve("round-0001"));
    double own = maxDiff(model, mean(expected));
    System.out.printf("secure round with a killed agent: survivors %s, max |Δw| vs their plain mean %.3g%n", expected, own);
    assertTrue(own < 1e-5, "the aggregate is not the survivors' sum: max parameter difference " + own);
    for (Set<String> other : List.of(Set.of("hospital-a", "hospital-b"), Set.of("hospital-a", "hospital-b", "hospital-x"),
        Set.of("hospital-a", "hospital-x"), Set.of("hospital-b", "hospital-x"))) {
      if (other.equals(expected)) continue;
      double d = maxDiff(model, mean(other));
      assertTrue(d > 100 * Math.max(own, 1e-7), "the check tells " + expected + " from " + other + ": " + d + " vs " + own);
    }
  }

  private float[] mean(Set<String> sites) {
    double[] sum = null;
    long samples = 0;
    for (String s : sites) {
      Frames.ModelFrame f = plainUpdates.get(s);
      float[] v = f.valuesUnsafe();
      if (sum == null) sum = new double[v.length];
      for (int i = 0; i < v.length; i++) sum[i] += (double) f.samples() * v[i];
      samples += f.samples();
    }
    float[] out = new float[sum.length];
    for (int i = 0; i < out.length; i++) out[i] = (float) (sum[i] / samples);
    return out;
  }

  private static double maxDiff(float[] a, float[] b) {
    assertEquals(b.length, a.length, "parameter count");
    double d = 0;
    for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    return d;
  }
}
