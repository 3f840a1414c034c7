package org.dure.agent.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalPolicyTest {
  @TempDir Path dir;

  private static StudySpec study(String model, int rounds, boolean secure, String dp) {
    return StudySpecParser.parse("""
        {"name": "risk", "model": %s, "features": ["age", "bmi"], "label": {"column": "outcome", "positive": "1"},
         "training": {"rounds": %d}, "privacy": {"secureAggregation": {"enabled": %s}%s}, "minSites": 2}"""
        .formatted(model, rounds, secure, dp == null ? "" : ", \"differentialPrivacy\": " + dp));
  }

  private static final String MLP = "{\"kind\": \"mlp\", \"hiddenLayers\": [8]}";
  private static final String LOGISTIC = "{\"kind\": \"logistic_regression\"}";

  private LocalPolicy load(String json) throws IOException {
    return LocalPolicy.load(Files.writeString(dir.resolve("policy.json"), json));
  }

  @Test void withoutAPolicyFileApprovalIsManualAndSecureAggregationIsRequired() {
    LocalPolicy p = LocalPolicy.defaults();

    assertEquals(LocalPolicy.Approval.MANUAL, p.approval());
    assertTrue(p.requireSecureAggregation());
    assertEquals(Optional.empty(), p.refusal(study(MLP, 500, true, null), 50));
  }

  /** Issue 20: a policy that omits minLocalCohort means a safe minimum, not "no minimum" (a 3-patient site trained). */
  @Test void aPolicyThatOmitsMinLocalCohortRefusesASmallSiteAtFiveTimesTheMinimumCellSize() throws Exception {
    assertEquals(Optional.of("policy rule minLocalCohort: the study would use 3 rows here, this site requires at least 50"),
        load("{}").refusal(study(LOGISTIC, 5, true, null), 3));
    assertEquals(Optional.empty(), load("{}").refusal(study(LOGISTIC, 5, true, null), 50));
    assertEquals(50, LocalPolicy.defaults().minLocalCohort(), "without a policy file too");
    assertEquals(100, load("{\"minCellSize\": 20}").minLocalCohort(), "it follows a larger minCellSize");
    assertEquals(0, load("{\"minLocalCohort\": 0}").minLocalCohort(), "only an explicit 0 means no minimum");
    assertEquals(0, LocalPolicy.rehearsal().minLocalCohort(), "rehearsals and demos run on small synthetic files");
  }

  @Test void maxRoundsRefusesALongerStudyNamingBothValues() throws Exception {
    LocalPolicy p = load("{\"maxRounds\": 20}");

    assertEquals(Optional.of("policy rule maxRounds: the study asks for 50 rounds, this site allows at most 20"),
        p.refusal(study(LOGISTIC, 50, true, null)));
    assertEquals(Optional.empty(), p.refusal(study(LOGISTIC, 20, true, null)));
  }

  @Test void allowedModelsRefusesAnotherModelKind() throws Exception {
    LocalPolicy p = load("{\"allowedModels\": [\"logistic\"]}");

    assertEquals(Optional.of("policy rule allowedModels: the study trains a mlp model, this site allows only [logistic_regression]"),
        p.refusal(study(MLP, 5, true, null)));
    assertEquals(Optional.empty(), p.refusal(study(LOGISTIC, 5, true, null)));
  }

  @Test void requireSecureAggregationRefusesPlainUpdates() {
    Optional<String> r = LocalPolicy.defaults().refusal(study(LOGISTIC, 5, false, null));

    assertTrue(r.orElseThrow().startsWith("policy rule requireSecureAggregation: the study sends plain updates"), r.get());
  }

  @Test void minLocalCohortRefusesWhenTooFewRowsWouldBeUsed() throws Exception {
    LocalPolicy p = load("{\"minLocalCohort\": 200}");

    assertEquals(Optional.of("policy rule minLocalCohort: the study would use 150 rows here, this site requires at least 200"),
        p.refusal(study(LOGISTIC, 5, true, null), 150));
    assertEquals(Optional.empty(), p.refusal(study(LOGISTIC, 5, true, null), 200));
  }

  @Test void epsilonCapsRefuseAStudyWithoutDifferentialPrivacyOrAboveTheCap() throws Exception {
    LocalPolicy p = load("{\"maxEpsilonPerStudy\": 8, \"maxEpsilonTotal\": 20}");
    String dp = "{\"enabled\": true, \"targetEpsilon\": %s, \"clipNorm\": 1, \"delta\": 1e-5}";

    assertEquals(Optional.of("policy rule maxEpsilonPerStudy: the study has no differential privacy (ε = ∞), this site allows at most ε = 8"),
        p.refusal(study(LOGISTIC, 5, true, null)));
    assertEquals(Optional.of("policy rule maxEpsilonPerStudy: the study targets ε = 10, this site allows at most ε = 8"),
        p.refusal(study(LOGISTIC, 5, true, dp.formatted(10))));
    assertEquals(Optional.empty(), p.refusal(study(LOGISTIC, 5, true, dp.formatted(3))));
    assertEquals(new org.dure.agent.privacy.PrivacyBudget.Caps(8.0, 20.0), p.caps());
  }

  @Test void automaticApprovalAndAllSettingsAreRead() throws Exception {
    LocalPolicy p = load("""
        {"approval": "automatic", "allowedModels": ["logistic_regression", "mlp"], "maxRounds": 20, "minLocalCohort": 100,
         "perSiteMetricsMayLeave": false, "requireSecureAggregation": false, "maxEpsilonPerStudy": 8, "maxEpsilonTotal": 20}""");

    assertEquals(new LocalPolicy(LocalPolicy.Approval.AUTOMATIC, Set.of("logistic_regression", "mlp"), 20, 100, false,
        false, 8.0, 20.0), p);
  }

  @Test void secureRosterMinimumAndReportBandsAreReadWithSafeDefaults() throws Exception {
    LocalPolicy p = load("{\"minSecureRoster\": 5, \"reportBands\": {\"age\": [30, 50, 70], \"bmi\": [25]}}");
    assertEquals(5, p.minSecureRoster());
    assertEquals(java.util.List.of(30.0, 50.0, 70.0), p.bandsFor("age", java.util.List.of(40.0, 93.0)));
    assertEquals(java.util.List.of(25.0), p.bandsFor("bmi", java.util.List.of(30.0)));
    assertEquals(null, p.bandsFor("sbp", java.util.List.of(140.0)), "a column the policy does not band is not banded");
    LocalPolicy d = load("{}");
    assertEquals(LocalPolicy.DEFAULT_MIN_SECURE_ROSTER, d.minSecureRoster());
    assertEquals(java.util.List.of(40.0, 60.0, 80.0), d.bandsFor("age", java.util.List.of(40.0, 93.0)));
    IOException roster = assertThrows(IOException.class, () -> load("{\"minSecureRoster\": 1}"));
    assertTrue(roster.getMessage().contains("minSecureRoster must be >= 2, was 1"), roster.getMessage());
    IOException bands = assertThrows(IOException.class, () -> load("{\"reportBands\": {\"age\": [60, 40]}}"));
    assertTrue(bands.getMessage().contains("strictly ascending"), bands.getMessage());
    IOException shape = assertThrows(IOException.class, () -> load("{\"reportBands\": [40, 60]}"));
    assertTrue(shape.getMessage().contains("\"reportBands\" must be an object"), shape.getMessage());
  }

  /** Issue 13, finding 5: a site declines a model larger than it is willing to hold, with the reason. */
  @Test void maxModelParametersDeclinesALargerModelNamingBothValues() throws Exception {
    LocalPolicy p = load("{\"maxModelParameters\": 1000}");
    String wide = "{\"kind\": \"mlp\", \"hiddenLayers\": [512, 4]}"; // 2*512+512 + 512*4+4 + 4+1 = 3593

    assertEquals(Optional.of("policy rule maxModelParameters: the study's model (mlp[512, 4]/relu on 2 inputs) has 3593"
        + " parameters, this site allows at most 1000"), p.refusal(study(wide, 5, true, null)));
    assertEquals(Optional.empty(), p.refusal(study(MLP, 5, true, null)));
    assertEquals(org.dure.protocol.study.ModelSpec.MAX_PARAMETERS, LocalPolicy.defaults().maxModelParameters());
    IOException tooHigh = assertThrows(IOException.class, () -> load("{\"maxModelParameters\": 20000000}"));
    assertTrue(tooHigh.getMessage().contains("maxModelParameters must be between 1 and 10000000"), tooHigh.getMessage());
  }

  @Test void anInvalidPolicyFileFailsClosedNamingTheSetting() {
    IOException unknown = assertThrows(IOException.class, () -> load("{\"maxRound\": 20}"));
    assertTrue(unknown.getMessage().contains("maxRound: unknown setting"), unknown.getMessage());
    IOException approval = assertThrows(IOException.class, () -> load("{\"approval\": \"yes\"}"));
    assertTrue(approval.getMessage().contains("\"approval\" must be \"manual\" or \"automatic\", was \"yes\""), approval.getMessage());
    IOException model = assertThrows(IOException.class, () -> load("{\"allowedModels\": [\"xgboost\"]}"));
    assertTrue(model.getMessage().contains("unknown model \"xgboost\""), model.getMessage());
    IOException rounds = assertThrows(IOException.class, () -> load("{\"maxRounds\": 0}"));
    assertTrue(rounds.getMessage().contains("maxRounds must be >= 1, was 0"), rounds.getMessage());
    IOException json = assertThrows(IOException.class, () -> load("{\"maxRounds\": "));
    assertTrue(json.getMessage().contains("is not valid JSON"), json.getMessage());
    IOException missing = assertThrows(IOException.class, () -> LocalPolicy.load(dir.resolve("absent.json")));
    assertTrue(missing.getMessage().contains("cannot read the local policy"), missing.getMessage());
  }
}
