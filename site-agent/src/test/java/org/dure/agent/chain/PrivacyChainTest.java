package org.dure.agent.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.dure.agent.policy.LocalPolicy;
import org.dure.agent.policy.StudyDecisions;
import org.dure.agent.policy.StudyDecisions.Status;
import org.dure.agent.policy.StudyDecisions.StudyRecord;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.Frames;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The site's privacy chain: its order, what each filter stops or rewrites, and that a failing filter sends nothing. */
class PrivacyChainTest {
  static final String STUDY = "0b9d7a52-3c1e-4f2a-9d51-6f0e2b7c4a11";
  static final UUID ID = UUID.fromString(STUDY);
  static final PrivacyBudget.Mechanism DP = new PrivacyBudget.Mechanism(0.05, 1.1, 1e-5);

  @TempDir Path dir;
  StudyDecisions decisions;
  PrivacyBudget budget;
  record Sent(Object message, List<String> filters) {}
  final List<Sent> sent = new ArrayList<>();
  final PrivacyChain.Sink sink = new PrivacyChain.Sink() {
    @Override public boolean send(AgentMessage message, List<String> filters) {
      sent.add(new Sent(message, filters));
      return true;
    }

    @Override public boolean sendBinary(byte[] frame, List<String> filters) {
      sent.add(new Sent(Frames.readHeader(frame).kind(), filters));
      return true;
    }
  };

  @BeforeEach void open() throws Exception {
    decisions = new StudyDecisions(dir.resolve("work"));
    budget = PrivacyBudget.open(dir.resolve("work"), PrivacyBudget.Caps.none());
  }

  static StudySpec spec(boolean secure, String dp) {
    return StudySpecParser.parse("""
        {"name": "risk", "model": {"kind": "logistic_regression"}, "features": ["age", "bmi"],
         "label": {"column": "outcome", "positive": "1"}, "training": {"rounds": 3},
         "privacy": {"secureAggregation": {"enabled": %s}%s}, "minSites": 2}"""
        .formatted(secure, dp == null ? "" : ", \"differentialPrivacy\": " + dp));
  }

  void record(Status status) throws Exception {
    decisions.put(new StudyRecord(STUDY, "risk", List.of("age", "bmi"), "outcome = 1", "logistic_regression", 3,
        "plain updates, no DP", 300, "ab12", "2026-12-03T17:00:00Z", status, null, null, "{}"));
  }

  PrivacyChain chain(LocalPolicy policy) {
    return new PrivacyChain("site-a", policy, decisions, budget, sink);
  }

  static LocalPolicy policy() {
    return LocalPolicy.defaults().withApproval(LocalPolicy.Approval.AUTOMATIC);
  }

  static byte[] update() {
    return Frames.withSignature(Frames.encode(Frames.Kind.SITE_UPDATE, ID, 1, 0, 300, 0.5f, new float[] {1, 2}), new byte[] {1});
  }

  static byte[] masked() {
    return Frames.withSignature(Frames.encodeMasked(ID, 1, 0, 1, new int[] {3, 4}), new byte[] {1});
  }

  @Test void theFiltersRunInTheDocumentedOrder() {
    assertEquals(List.of(FilterName.POLICY, FilterName.APPROVAL, FilterName.BUDGET, FilterName.CLIP_NOISE,
        FilterName.SECURE_AGGREGATION), chain(policy()).filters().stream().map(SiteFilter::name).toList());
  }

  @Test void aWithdrawnStudysMessagesStayButItsSignedWithdrawalLeaves() throws Exception {
    record(Status.WITHDRAWN);
    PrivacyChain c = chain(policy());
    c.admit(new StudyTerms(STUDY, spec(false, null), null, 0));
    c.withdrawn(STUDY);

    assertFalse(c.send(new AgentMessage.RoundFailed(STUDY, 2, "busy")));
    assertFalse(c.sendBinary(update()));
    assertTrue(c.send(new AgentMessage.StudyWithdrawn(STUDY, "ethics lapsed", "c2ln")));
    assertEquals(1, sent.size());
    assertEquals(List.of("approval"), sent.get(0).filters());
  }

  @Test void nothingOfAStudyTheOfficerHasNotApprovedLeavesButAnswersDo() throws Exception {
    record(Status.PENDING);
    PrivacyChain c = chain(policy());

    assertFalse(c.send(new AgentMessage.EvaluationReport(STUDY, 1, PolicyFilter.withheld())));
    assertTrue(c.send(new AgentMessage.StudyPending(STUDY, "awaiting the data officer")));
    assertEquals(1, sent.size());
    assertTrue(sent.get(0).message() instanceof AgentMessage.StudyPending);
  }

  @Test void theLocalPolicyKeepsPerSiteMetricsInTheHospital() throws Exception {
    record(Status.APPROVED);
    Path file = Files.writeString(dir.resolve("policy.json"), "{\"perSiteMetricsMayLeave\": false}");
    PrivacyChain c = chain(LocalPolicy.load(file));
    Evaluation real = new Evaluation(40, 12, 0.4, 0.8, 0.9, org.dure.protocol.metrics.ScoreHistogram.empty());

    assertTrue(c.send(new AgentMessage.EvaluationReport(STUDY, 1, real)));
    AgentMessage.EvaluationReport left = (AgentMessage.EvaluationReport) sent.get(0).message();
    assertEquals(0, left.evaluation().count());
    assertEquals(List.of("policy", "approval"), sent.get(0).filters());
  }

  @Test void anApprovalLeavesOnlyForAStudyThePolicysRulesAndCohortRuleAllow() throws Exception {
    record(Status.APPROVED);
    PrivacyChain c = chain(policy());
    c.admit(new StudyTerms(STUDY, spec(true, null), null, 0));

    assertFalse(c.send(new AgentMessage.StudyAccepted(STUDY, 10, "c2ln", 3)), "10 rows, under the policy's minLocalCohort");
    assertTrue(c.send(new AgentMessage.StudyAccepted(STUDY, 300, "c2ln", 3)));
    assertEquals(1, sent.size());
    assertEquals(List.of("policy", "approval"), sent.get(0).filters());
  }

  @Test void aSecureStudysContributionLeavesOnlyMasked() throws Exception {
    record(Status.APPROVED);
    PrivacyChain c = chain(policy());
    c.admit(new StudyTerms(STUDY, spec(true, null), null, 0));

    assertFalse(c.sendBinary(update()), "a plain update of a secure study");
    assertTrue(c.sendBinary(masked()));
    assertEquals(List.of(new Sent(Frames.Kind.MASKED_INPUT, List.of("approval", "secure-aggregation"))), sent);
  }

  @Test void aPlainStudyNeverSendsSecureAggregationMessages() throws Exception {
    record(Status.APPROVED);
    PrivacyChain c = chain(policy());
    c.admit(new StudyTerms(STUDY, spec(false, null), null, 0));

    assertFalse(c.sendBinary(masked()));
    assertTrue(c.sendBinary(update()));
    assertEquals(List.of(new Sent(Frames.Kind.SITE_UPDATE, List.of("approval"))), sent);
  }

  @Test void aDpStudysUpdateLeavesOnlyWithItsRoundsNoisyStepsRecordedInTheBudget() throws Exception {
    record(Status.APPROVED);
    PrivacyChain c = chain(policy());
    c.admit(new StudyTerms(STUDY, spec(false, "{\"noiseMultiplier\": 1.1, \"clipNorm\": 1.0, \"delta\": 1e-5}"), DP, 40));

    assertFalse(c.sendBinary(update()), "round 1 not accounted");
    budget.record(STUDY, DP, 40);
    c.accounted(STUDY, 1, 40);
    assertTrue(c.sendBinary(update()));
    assertEquals(List.of(new Sent(Frames.Kind.SITE_UPDATE, List.of("approval", "budget", "clip-noise"))), sent);
  }

  @Test void aContributionOverTheSitesCapDoesNotLeaveEvenWhenAccounted() throws Exception {
    record(Status.APPROVED);
    budget = PrivacyBudget.open(dir.resolve("work"), new PrivacyBudget.Caps(0.01, null));
    PrivacyChain c = chain(policy());
    c.admit(new StudyTerms(STUDY, spec(false, "{\"noiseMultiplier\": 1.1, \"clipNorm\": 1.0, \"delta\": 1e-5}"), DP, 40));
    budget.record(STUDY, DP, 4000);
    c.accounted(STUDY, 1, 4000);

    assertFalse(c.sendBinary(update()));
    assertEquals(List.of(), sent);
  }

  @Test void aFilterThatFailsSendsNothing() throws Exception {
    record(Status.APPROVED);
    PrivacyChain c = chain(policy());
    c.admit(new StudyTerms(STUDY, spec(false, null), null, 0));
    Files.writeString(dir.resolve("work").resolve(StudyDecisions.DIR).resolve(STUDY + ".json"), "{not json");

    assertFalse(c.send(new AgentMessage.Statistics(STUDY, null)), "the approval filter cannot read the record");
    assertFalse(c.sendBinary(new byte[] {1, 2, 3}), "not a frame");
    assertEquals(List.of(), sent);
  }

  @Test void describeShowsEveryFilterInOrderWithItsSettings() throws Exception {
    record(Status.APPROVED);
    List<String> lines = chain(policy()).describe(STUDY, spec(true, null), "/work/outbound.log");

    assertEquals(6, lines.size());
    assertTrue(lines.get(0).startsWith("1. policy: "), lines.get(0));
    assertTrue(lines.get(1).startsWith("2. approval: status APPROVED"), lines.get(1));
    assertTrue(lines.get(2).startsWith("3. budget: ε spent 0.000"), lines.get(2));
    assertTrue(lines.get(3).startsWith("4. clip-noise: no DP-SGD; no site-level noise"), lines.get(3));
    assertTrue(lines.get(4).startsWith("5. secure-aggregation: on"), lines.get(4));
    assertTrue(lines.get(5).startsWith("6. outbound-ledger: ") && lines.get(5).contains("/work/outbound.log"), lines.get(5));
  }
}
