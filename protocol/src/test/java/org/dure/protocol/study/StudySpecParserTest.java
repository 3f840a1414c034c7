package org.dure.protocol.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class StudySpecParserTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A study that uses every option: MLP, a categorical feature, FedProx and Adam. */
  private static final String FULL_STUDY = """
      {
        "name": "sepsis-30d",
        "model": {"kind": "mlp", "hiddenLayers": [16, 8], "activation": "tanh"},
        "features": [
          "age",
          {"name": "sex", "type": "categorical", "categories": ["F", "M"]},
          {"name": "lactate", "type": "numeric"}
        ],
        "label": {"column": "died_30d", "positive": "yes"},
        "missingValues": "impute_mean",
        "training": {"rounds": 20, "localEpochs": 2, "batchSize": 64, "learningRate": 0.001,
                     "optimizer": "adam", "seed": 7},
        "aggregation": {"strategy": "fedprox", "mu": 0.1},
        "privacy": {"secureAggregation": {"threshold": 3, "clip": 5}},
        "minSites": 3,
        "roundDeadlineSeconds": 300,
        "validationFraction": 0.25
      }
      """;

  /** Only the required fields. */
  private static final String MINIMAL_STUDY = """
      {
        "model": {"kind": "logistic_regression"},
        "features": ["age", "lactate"],
        "label": {"column": "died_30d", "positive": "1"},
        "training": {}
      }
      """;

  private static ObjectNode fullStudy() {
    try {
      return (ObjectNode) JSON.readTree(FULL_STUDY);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Parses the full study after {@code edit} and returns the failure. */
  private static StudySpecException rejected(Consumer<ObjectNode> edit) {
    ObjectNode study = fullStudy();
    edit.accept(study);
    return assertThrows(StudySpecException.class, () -> StudySpecParser.parse(study.toString()));
  }

  private static ObjectNode child(ObjectNode root, String field) {
    return (ObjectNode) root.get(field);
  }

  @Test void fullStudyParsesToExpectedValues() {
    // Execute
    StudySpec spec = StudySpecParser.parse(FULL_STUDY);

    // Assert
    StudySpec expected = new StudySpec("sepsis-30d",
        new ModelSpec(ModelSpec.Kind.MLP, new int[] {16, 8}, "tanh"),
        List.of(FeatureSpec.numeric("age"), FeatureSpec.categorical("sex", List.of("F", "M")),
            FeatureSpec.numeric("lactate")),
        "died_30d", "yes", MissingValuePolicy.IMPUTE_MEAN,
        new TrainingPlan(20, 2, 64, 0.001, "adam", 7L),
        new AggregationPlan(AggregationPlan.Strategy.FEDPROX, 0.1, 0, 0, 0, 0),
        new PrivacyPlan(new PrivacyPlan.SecureAggregation(true, 3, 5)),
        3, 300, 0.25);
    assertEquals(expected, spec);
    assertArrayEquals(new int[] {16, 8}, spec.model().hiddenLayers());
    assertEquals(0.1, spec.aggregation().proximalMu());
    assertEquals(4, spec.inputWidth());
    assertEquals(List.of("age", "sex=F", "sex=M", "lactate"), spec.encodedFeatureNames());
    assertEquals(List.of("age", "sex", "lactate", "died_30d"), spec.requiredColumns());
  }

  @Test void canonicalJsonOfFullStudyParsesBackToEqualSpec() {
    // Prepare
    StudySpec spec = StudySpecParser.parse(FULL_STUDY);

    // Execute
    StudySpec again = StudySpecParser.parse(spec.toJson());

    // Assert
    assertEquals(spec, again);
    assertEquals(spec.toJson(), again.toJson());
  }

  @Test void canonicalJsonOfMinimalStudyParsesBackToEqualSpec() {
    // Prepare
    StudySpec spec = StudySpecParser.parse(MINIMAL_STUDY);

    // Execute
    StudySpec again = StudySpecParser.parse(spec.toJson());

    // Assert
    assertEquals(spec, again);
  }

  @Test void canonicalJsonOfFedAdamStudyParsesBackToEqualSpec() {
    // Prepare
    ObjectNode study = fullStudy();
    study.putObject("aggregation").put("strategy", "fedadam").put("serverLearningRate", 0.05)
        .put("beta1", 0.8).put("beta2", 0.95).put("tau", 0.01);
    StudySpec spec = StudySpecParser.parse(study.toString());

    // Execute
    StudySpec again = StudySpecParser.parse(spec.toJson());

    // Assert
    assertEquals(new AggregationPlan(AggregationPlan.Strategy.FEDADAM, 0, 0.05, 0.8, 0.95, 0.01), again.aggregation());
    assertEquals(spec, again);
  }

  @Test void omittedAggregationAndExplicitFedAvgParseToTheSamePlan() {
    // Prepare
    ObjectNode explicit = fullStudy();
    explicit.putObject("aggregation").put("strategy", "fedavg");
    ObjectNode omitted = fullStudy();
    omitted.remove("aggregation");

    // Execute
    AggregationPlan fromExplicit = StudySpecParser.parse(explicit.toString()).aggregation();
    AggregationPlan fromOmitted = StudySpecParser.parse(omitted.toString()).aggregation();

    // Assert
    assertEquals(AggregationPlan.fedAvg(), fromOmitted);
    assertEquals(AggregationPlan.fedAvg(), fromExplicit);
  }

  @Test void omittedOptionalFieldsTakeTheirDefaults() {
    // Execute
    StudySpec spec = StudySpecParser.parse(MINIMAL_STUDY);

    // Assert
    assertEquals("unnamed study", spec.name());
    assertEquals(new ModelSpec(ModelSpec.Kind.LOGISTIC_REGRESSION, new int[0], "sigmoid"), spec.model());
    assertEquals(MissingValuePolicy.DROP, spec.missingValues());
    assertEquals(new TrainingPlan(10, 1, 32, 0.05, "sgd", 42L), spec.training());
    assertEquals(AggregationPlan.fedAvg(), spec.aggregation());
    assertEquals(0.0, spec.aggregation().proximalMu());
    assertEquals(2, spec.minSites(), "secure aggregation (the default) needs two sites: its default minimum");
    assertEquals(120, spec.roundDeadlineSeconds());
    assertEquals(120, spec.offerDeadlineSeconds(), "an offer is answered within the round deadline by default");
    assertEquals(StudySpec.DEFAULT_WAIT_FOR_SITES_SECONDS, spec.waitForSitesSeconds());
    assertEquals(0.2, spec.validationFraction());
  }

  @Test void mlpWithoutActivationUsesRelu() {
    // Prepare
    ObjectNode study = fullStudy();
    child(study, "model").remove("activation");

    // Execute
    StudySpec spec = StudySpecParser.parse(study.toString());

    // Assert
    assertEquals("relu", spec.model().activation());
  }

  @Test void fedProxWithoutMuUsesDefaultMu() {
    // Prepare
    ObjectNode study = fullStudy();
    child(study, "aggregation").remove("mu");

    // Execute
    StudySpec spec = StudySpecParser.parse(study.toString());

    // Assert
    assertEquals(0.01, spec.aggregation().proximalMu());
  }

  @Test void malformedJsonIsRejectedAtDocumentLevelWithLineAndColumn() {
    // Prepare: the comma after "name" is missing
    String json = "{\n  \"name\": \"x\"\n  \"model\": {}\n}";

    // Execute
    StudySpecException e = assertThrows(StudySpecException.class, () -> StudySpecParser.parse(json));

    // Assert
    assertEquals("$", e.field());
    assertTrue(e.getMessage().startsWith("$: malformed JSON at line 3, column 3: "), e.getMessage());
    assertTrue(e.getMessage().contains("was expecting comma to separate Object entries"), e.getMessage());
  }

  @Test void unquotedNanIsMalformedJson() {
    // Execute
    StudySpecException e = assertThrows(StudySpecException.class,
        () -> StudySpecParser.parse(FULL_STUDY.replace("\"learningRate\": 0.001", "\"learningRate\": NaN")));

    // Assert
    assertEquals("$", e.field());
    assertTrue(e.getMessage().startsWith("$: malformed JSON at line 11, column "), e.getMessage());
  }

  @Test void jsonArrayInsteadOfObjectIsRejected() {
    // Execute
    StudySpecException e = assertThrows(StudySpecException.class, () -> StudySpecParser.parse("[1, 2]"));

    // Assert
    assertEquals("$", e.field());
    assertEquals("$: expected a JSON object", e.getMessage());
  }

  @Test void unknownModelKindIsRejectedListingAllowedKinds() {
    // Execute
    StudySpecException e = rejected(s -> child(s, "model").put("kind", "random_forest"));

    // Assert
    assertEquals("model.kind", e.field());
    assertEquals("model.kind: unknown value 'random_forest'; expected one of [logistic_regression, mlp]", e.getMessage());
  }

  @Test void misspeltTrainingFieldIsRejectedRatherThanDefaulted() {
    // Execute
    StudySpecException e = rejected(s -> {
      ObjectNode training = child(s, "training");
      training.remove("learningRate");
      training.put("learningrate", 0.1);
    });

    // Assert
    assertEquals("training.learningrate", e.field());
    assertEquals("training.learningrate: unknown field; expected one of "
        + "[rounds, localEpochs, batchSize, learningRate, optimizer, seed]", e.getMessage());
  }

  @Test void unknownTopLevelFieldIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> s.put("minsites", 2));

    // Assert
    assertEquals("minsites", e.field());
    assertEquals("minsites: unknown field; expected one of [name, model, features, label, missingValues, "
        + "training, aggregation, privacy, minSites, roundDeadlineSeconds, validationFraction, report, offerDeadlineSeconds, waitForSitesSeconds]", e.getMessage());
  }

  @Test void missingLabelIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> s.remove("label"));

    // Assert
    assertEquals("label", e.field());
    assertEquals("label: is required", e.getMessage());
  }

  @Test void missingPositiveLabelValueIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> child(s, "label").remove("positive"));

    // Assert
    assertEquals("label.positive", e.field());
    assertEquals("label.positive: is required", e.getMessage());
  }

  @Test void nonIntegerHiddenLayerIsRejectedNamingItsIndex() {
    // Execute
    StudySpecException e = rejected(s -> ((ArrayNode) child(s, "model").get("hiddenLayers")).set(1, 8.5));

    // Assert
    assertEquals("model.hiddenLayers[1]", e.field());
    assertEquals("model.hiddenLayers[1]: expected a layer width between 1 and 4096, was 8.5", e.getMessage());
  }

  @Test void hiddenLayerGivenAsStringIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> ((ArrayNode) child(s, "model").get("hiddenLayers")).set(0, "16"));

    // Assert
    assertEquals("model.hiddenLayers[0]: expected a layer width between 1 and 4096, was \"16\"", e.getMessage());
  }

  @Test void zeroWidthHiddenLayerIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> ((ArrayNode) child(s, "model").get("hiddenLayers")).set(1, 0));

    // Assert
    assertEquals("model.hiddenLayers[1]: expected a layer width between 1 and 4096, was 0", e.getMessage());
  }

  /** Issue 13, finding 5: a layer of 2^31 - 1 units overflowed an int and was allocated at submission. */
  @Test void intOverflowingHiddenLayerIsRejectedNamingTheLayer() {
    StudySpecException e = rejected(s -> child(s, "model").putArray("hiddenLayers").add(2147483647).add(2));
    assertEquals("model.hiddenLayers[0]", e.field());
    assertTrue(e.getMessage().contains("between 1 and 4096"), e.getMessage());
  }

  @Test void hundredThousandSquaredModelIsRejectedNamingTheLayer() {
    StudySpecException e = rejected(s -> child(s, "model").putArray("hiddenLayers").add(100000).add(100000));
    assertEquals("model.hiddenLayers[0]", e.field());
  }

  @Test void tooManyHiddenLayersAreRejected() {
    StudySpecException e = rejected(s -> {
      ArrayNode layers = child(s, "model").putArray("hiddenLayers");
      for (int i = 0; i < 17; i++) layers.add(4);
    });
    assertEquals("model.hiddenLayers: at most 16 hidden layers are allowed, was 17", e.getMessage());
  }

  /** Widths within the per-layer limit can still multiply past the parameter cap: counted in long, refused. */
  @Test void modelOverTenMillionParametersIsRejectedWithItsParameterCount() {
    StudySpecException e = rejected(s -> {
      ArrayNode layers = child(s, "model").putArray("hiddenLayers");
      for (int i = 0; i < 16; i++) layers.add(4096);
    });
    assertEquals("model.hiddenLayers", e.field());
    long expected = new ModelSpec(ModelSpec.Kind.MLP, new int[] {4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096}, "relu").parameters(4);
    assertTrue(e.getMessage().contains("the model would have " + expected + " parameters (4 encoded inputs"), e.getMessage());
    assertTrue(e.getMessage().contains("at most 10000000 are allowed"), e.getMessage());
  }

  @Test void modelAtTheParameterCapIsAccepted() {
    // 4 inputs -> 3000 -> 3000 -> 1: 4*3000 + 3000 + 3000*3000 + 3000 + 3000 + 1 = 9 021 001 parameters
    ObjectNode study = fullStudy();
    child(study, "model").putArray("hiddenLayers").add(3000).add(3000);
    StudySpec spec = StudySpecParser.parse(study.toString());
    assertEquals(9_021_001, spec.model().parameterCount(spec.inputWidth()));
  }

  @Test void mlpWithoutHiddenLayersIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> child(s, "model").putArray("hiddenLayers"));

    // Assert
    assertEquals("model.hiddenLayers: expected a non-empty array of layer sizes, e.g. [64, 32]", e.getMessage());
  }

  @Test void logisticRegressionWithHiddenLayersIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> child(s, "model").put("kind", "logistic_regression"));

    // Assert
    assertEquals("model.hiddenLayers: logistic_regression has no hidden layers; use kind \"mlp\"", e.getMessage());
  }

  @Test void unknownActivationIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> child(s, "model").put("activation", "gelu"));

    // Assert
    assertEquals("model.activation: unknown activation 'gelu'; expected one of [relu, tanh, sigmoid]", e.getMessage());
  }

  @Test void categoricalFeatureWithoutCategoriesIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> ((ObjectNode) s.get("features").get(1)).remove("categories"));

    // Assert
    assertEquals("features[1].categories", e.field());
    assertEquals("features[1].categories: is required", e.getMessage());
  }

  @Test void categoricalFeatureWithEmptyCategoriesIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> ((ObjectNode) s.get("features").get(1)).putArray("categories"));

    // Assert
    assertEquals("features[1].categories: a categorical feature lists its categories, e.g. [\"F\", \"M\"]", e.getMessage());
  }

  @Test void repeatedCategoryIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> ((ArrayNode) s.get("features").get(1).get("categories")).add("F"));

    // Assert
    assertEquals("features[1].categories[2]: category 'F' is listed twice", e.getMessage());
  }

  @Test void numericFeatureWithCategoriesIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> ((ObjectNode) s.get("features").get(2)).putArray("categories").add("high"));

    // Assert
    assertEquals("features[2].categories: only categorical features have categories", e.getMessage());
  }

  @Test void duplicateFeatureIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> ((ArrayNode) s.get("features")).add("age"));

    // Assert
    assertEquals("features[3].name", e.field());
    assertEquals("features[3].name: feature 'age' is listed twice", e.getMessage());
  }

  @Test void emptyFeatureListIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> s.putArray("features"));

    // Assert
    assertEquals("features: expected a non-empty array of features", e.getMessage());
  }

  @Test void labelListedAsFeatureIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> child(s, "label").put("column", "age"));

    // Assert
    assertEquals("label.column", e.field());
    assertEquals("label.column: 'age' is also listed as a feature", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, -0.5})
  void fedProxWithoutPositiveMuIsRejected(double mu) {
    // Execute
    StudySpecException e = rejected(s -> child(s, "aggregation").put("mu", mu));

    // Assert
    assertEquals("aggregation.mu", e.field());
    assertEquals("aggregation.mu: fedprox needs mu > 0, was " + mu, e.getMessage());
  }

  @Test void muOnFedAvgIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> s.putObject("aggregation").put("strategy", "fedavg").put("mu", 0.1));

    // Assert
    assertEquals("aggregation.mu: mu applies only to strategy \"fedprox\"", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"serverLearningRate", "beta1", "beta2", "tau"})
  void fedAdamParameterOnFedAvgIsRejected(String field) {
    // Execute
    StudySpecException e = rejected(s -> s.putObject("aggregation").put("strategy", "fedavg").put(field, 0.5));

    // Assert
    assertEquals("aggregation." + field, e.field());
    assertEquals("aggregation." + field + ": " + field + " applies only to strategy \"fedadam\"", e.getMessage());
  }

  @Test void fedAdamWithBetaOfOneIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> s.putObject("aggregation").put("strategy", "fedadam").put("beta2", 1.0));

    // Assert
    assertEquals("aggregation.beta2: must be in [0, 1), was 1.0", e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "0      | training.learningRate: must be > 0 and <= 100, was 0.0",
      "-0.01  | training.learningRate: must be > 0 and <= 100, was -0.01",
      "101    | training.learningRate: must be > 0 and <= 100, was 101.0",
      "'\"NaN\"' | training.learningRate: expected a number, was \"NaN\"",
      "'\"0.1\"' | training.learningRate: expected a number, was \"0.1\"",
  })
  void invalidLearningRateIsRejected(String value, String message) {
    // Execute
    StudySpecException e = assertThrows(StudySpecException.class,
        () -> StudySpecParser.parse(FULL_STUDY.replace("\"learningRate\": 0.001", "\"learningRate\": " + value)));

    // Assert
    assertEquals("training.learningRate", e.field());
    assertEquals(message, e.getMessage());
  }

  @Test void unknownOptimizerIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> child(s, "training").put("optimizer", "rmsprop"));

    // Assert
    assertEquals("training.optimizer: unknown optimizer 'rmsprop'; expected one of [sgd, adam]", e.getMessage());
  }

  @Test void fractionalRoundCountIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> child(s, "training").put("rounds", 2.5));

    // Assert
    assertEquals("training.rounds: expected an integer, was 2.5", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(doubles = {1.0, 0.0, 1.5})
  void validationFractionOutsideOpenUnitIntervalIsRejected(double fraction) {
    // Execute
    StudySpecException e = rejected(s -> s.put("validationFraction", fraction));

    // Assert
    assertEquals("validationFraction", e.field());
    assertEquals("validationFraction: must be between 0 and 1 (exclusive), was " + fraction, e.getMessage());
  }

  @Test void secureAggregationIsOnByDefaultWithAnAutomaticMajorityThreshold() {
    // Execute
    StudySpec spec = StudySpecParser.parse(MINIMAL_STUDY);

    // Assert
    PrivacyPlan.SecureAggregation sa = spec.privacy().secureAggregation();
    assertTrue(sa.enabled());
    assertEquals(0, sa.threshold());
    assertEquals(PrivacyPlan.DEFAULT_CLIP, sa.clip());
    assertEquals(2, sa.thresholdFor(3, 1));
    assertEquals(3, sa.thresholdFor(4, 1));
    assertEquals(4, sa.thresholdFor(5, 4));
    assertEquals(spec, StudySpecParser.parse(spec.toJson()));
  }

  @Test void aThresholdAboveTheMajorityRaisesIt() {
    // Execute
    StudySpec spec = StudySpecParser.parse(fullStudy().toString());

    // Assert
    assertEquals(3, spec.privacy().secureAggregation().thresholdFor(4, 1));
    assertEquals(6, spec.privacy().secureAggregation().thresholdFor(10, 1));
  }

  @Test void secureAggregationCanBeTurnedOffButThenTakesNoThreshold() {
    // Execute
    StudySpec off = StudySpecParser.parse(fullStudy().set("privacy", JSON.createObjectNode()
        .set("secureAggregation", JSON.createObjectNode().put("enabled", false))).toString());
    StudySpecException e = rejected(s -> s.set("privacy", JSON.createObjectNode()
        .set("secureAggregation", JSON.createObjectNode().put("enabled", false).put("threshold", 2))));

    // Assert
    assertTrue(!off.privacy().secureAggregation().enabled());
    assertEquals(off, StudySpecParser.parse(off.toJson()));
    assertEquals("privacy.secureAggregation.threshold: applies only when secure aggregation is enabled", e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"clip, 0, 'privacy.secureAggregation.clip: must be > 0 and at most 1000000.0, was 0.0'",
      "threshold, -1, 'privacy.secureAggregation.threshold: must be between 0 and 10000, was -1'",
      "enabled, 1, 'privacy.secureAggregation.enabled: expected true or false, was 1'"})
  void badSecureAggregationSettingsAreRejectedNamingTheField(String field, int value, String message) {
    // Execute
    StudySpecException e = rejected(s -> ((ObjectNode) s.get("privacy").get("secureAggregation")).put(field, value));

    // Assert
    assertEquals(message, e.getMessage());
  }

  @Test void differentialPrivacyIsOffByDefaultAndTakesATargetEpsilonOrANoiseMultiplier() {
    // Prepare
    ObjectNode withTarget = fullStudy();
    ((ObjectNode) withTarget.get("privacy")).set("differentialPrivacy", JSON.createObjectNode()
        .put("targetEpsilon", 3).put("clipNorm", 1.0));
    ObjectNode withSigma = fullStudy();
    ((ObjectNode) withSigma.get("privacy")).set("differentialPrivacy", JSON.createObjectNode()
        .put("noiseMultiplier", 1.1).put("clipNorm", 0.5).put("delta", 1e-6));

    // Execute
    StudySpec off = StudySpecParser.parse(MINIMAL_STUDY);
    StudySpec target = StudySpecParser.parse(withTarget.toString());
    StudySpec sigma = StudySpecParser.parse(withSigma.toString());

    // Assert
    assertTrue(!off.privacy().differentialPrivacy().enabled());
    assertEquals(new PrivacyPlan.DifferentialPrivacy(true, 0, 1.0, 3, 1e-5), target.privacy().differentialPrivacy());
    assertEquals(new PrivacyPlan.DifferentialPrivacy(true, 1.1, 0.5, 0, 1e-6), sigma.privacy().differentialPrivacy());
    assertEquals(target, StudySpecParser.parse(target.toJson()));
    assertEquals(sigma, StudySpecParser.parse(sigma.toJson()));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"noiseMultiplier\": 1, \"targetEpsilon\": 3, \"clipNorm\": 1} | privacy.differentialPrivacy.targetEpsilon: give either noiseMultiplier (σ) or targetEpsilon (ε for the whole study), not both",
      "{\"clipNorm\": 1} | privacy.differentialPrivacy.noiseMultiplier: give either noiseMultiplier (σ) or targetEpsilon (ε for the whole study), not neither",
      "{\"targetEpsilon\": 3} | privacy.differentialPrivacy.clipNorm: is required: the per-example gradient L2 bound C",
      "{\"targetEpsilon\": 3, \"clipNorm\": 1, \"delta\": 0.5} | privacy.differentialPrivacy.delta: must be in (0, 0.01], was 0.5",
      "{\"enabled\": false, \"clipNorm\": 1} | privacy.differentialPrivacy.clipNorm: applies only when differential privacy is enabled"})
  void badDifferentialPrivacySettingsAreRejectedNamingTheField(String dp, String message) throws Exception {
    // Execute
    StudySpecException e = rejected(s -> {
      try {
        ((ObjectNode) s.get("privacy")).set("differentialPrivacy", JSON.readTree(dp));
      } catch (Exception x) {
        throw new AssertionError(x);
      }
    });

    // Assert
    assertEquals(message, e.getMessage());
  }

  @Test void siteLevelNoiseIsOffByDefaultParsesAndRoundTripsAndLeavesOldStudiesCanonicalJsonAlone() {
    // Prepare
    ObjectNode study = fullStudy();
    ((ObjectNode) study.get("privacy")).set("siteLevelNoise", JSON.createObjectNode()
        .put("noiseMultiplier", 0.8).put("clipNorm", 2.5));

    // Execute
    StudySpec off = StudySpecParser.parse(fullStudy().toString());
    StudySpec on = StudySpecParser.parse(study.toString());

    // Assert
    assertEquals(PrivacyPlan.SiteLevelNoise.off(), off.privacy().siteLevelNoise());
    assertFalse(off.toJson().contains("siteLevelNoise"), "a study without it serialises as before (sites sign this JSON)");
    assertEquals(new PrivacyPlan.SiteLevelNoise(true, 0.8, 2.5, 1e-5), on.privacy().siteLevelNoise());
    assertEquals(on, StudySpecParser.parse(on.toJson()));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"clipNorm\": 1} | privacy.siteLevelNoise.noiseMultiplier: is required for site-level noise",
      "{\"noiseMultiplier\": 1} | privacy.siteLevelNoise.clipNorm: is required for site-level noise",
      "{\"noiseMultiplier\": 0, \"clipNorm\": 1} | privacy.siteLevelNoise.noiseMultiplier: must be > 0, was 0.0",
      "{\"noiseMultiplier\": 1, \"clipNorm\": 1, \"delta\": 0.5} | privacy.siteLevelNoise.delta: must be in (0, 0.01], was 0.5",
      "{\"enabled\": false, \"clipNorm\": 1} | privacy.siteLevelNoise.clipNorm: applies only when site-level noise is enabled"})
  void badSiteLevelNoiseSettingsAreRejectedNamingTheField(String noise, String message) {
    // Execute
    StudySpecException e = rejected(s -> ((ObjectNode) s.get("privacy")).set("siteLevelNoise", parseTree(noise)));

    // Assert
    assertEquals(message, e.getMessage());
  }

  @Test void siteLevelNoiseWithoutSecureAggregationIsRejected() {
    // Execute
    StudySpecException e = rejected(s -> {
      ((ObjectNode) s.get("privacy").get("secureAggregation")).removeAll().put("enabled", false);
      ((ObjectNode) s.get("privacy")).set("siteLevelNoise", parseTree("{\"noiseMultiplier\": 1, \"clipNorm\": 1}"));
    });

    // Assert
    assertTrue(e.getMessage().startsWith("privacy.siteLevelNoise: needs secure aggregation"), e.getMessage());
  }

  @Test void reportSectionParsesSubgroupsAndBandsAndRoundTrips() {
    // Prepare
    ObjectNode study = fullStudy();
    study.set("report", parseTree(
        "{\"threshold\": 0.3, \"subgroups\": [\"sex\", {\"column\": \"age\", \"bands\": [40, 60, 80]}, \"smoking_status\"]}"));

    // Execute
    StudySpec spec = StudySpecParser.parse(study.toString());

    // Assert
    assertEquals(new ReportPlan(0.3, List.of(ReportPlan.Subgroup.categorical("sex"),
        ReportPlan.Subgroup.banded("age", List.of(40.0, 60.0, 80.0)), ReportPlan.Subgroup.categorical("smoking_status"))),
        spec.report());
    assertEquals(spec, StudySpecParser.parse(spec.toJson()));
    assertEquals("40-<60", spec.report().subgroups().get(1).levelOf(" 59.9 "));
    assertEquals(">=80", spec.report().subgroups().get(1).levelOf("80"));
    assertEquals(ReportPlan.Subgroup.MISSING, spec.report().subgroups().get(1).levelOf("NA"));
  }

  @Test void studyWithoutReportHasDefaultReportAndUnchangedCanonicalJson() {
    // Execute
    StudySpec spec = StudySpecParser.parse(FULL_STUDY);

    // Assert
    assertEquals(ReportPlan.defaults(), spec.report());
    assertTrue(!spec.toJson().contains("report"), spec.toJson());
    assertEquals(List.of(ReportPlan.Subgroup.categorical("sex")), spec.report().subgroupsFor(java.util.Set.of("sex", "bmi")));
  }

  @Test void descendingBandsAreRejectedNamingTheCutPoint() {
    // Execute
    StudySpecException e = rejected(s -> s.set("report",
        parseTree("{\"subgroups\": [{\"column\": \"age\", \"bands\": [60, 40]}]}")));

    // Assert
    assertEquals("report.subgroups[0].bands[1]", e.field());
  }

  @Test void labelAsSubgroupAndThresholdOfOneAreRejected() {
    assertEquals("report.subgroups[0].column",
        rejected(s -> s.set("report", parseTree("{\"subgroups\": [\"died_30d\"]}"))).field());
    assertEquals("report.threshold", rejected(s -> s.set("report", parseTree("{\"threshold\": 1}"))).field());
  }

  private static com.fasterxml.jackson.databind.JsonNode parseTree(String json) {
    try {
      return new ObjectMapper().readTree(json);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test void withoutSecureAggregationOneSiteIsTheDefaultMinimum() {
    ObjectNode study = fullStudy();
    study.remove("minSites");
    study.putObject("privacy").putObject("secureAggregation").put("enabled", false);
    assertEquals(1, StudySpecParser.parse(study.toString()).minSites());
  }

  @Test void aNewSecureStudyWithOneSiteIsRefusedNamingMinSitesAndWhatToChange() {
    ObjectNode study = fullStudy();
    study.put("minSites", 1);
    study.putObject("privacy").putObject("secureAggregation").put("enabled", true);
    assertEquals(1, StudySpecParser.parse(study.toString()).minSites(), "a stored study still parses");
    StudySpecException e = assertThrows(StudySpecException.class, () -> StudySpecParser.parseNew(study.toString()));
    assertEquals("minSites", e.field());
    assertTrue(e.getMessage().contains("secure aggregation needs at least 2 sites")
        && e.getMessage().contains("set minSites to 2 or more") && e.getMessage().contains("privacy.secureAggregation.enabled"),
        e.getMessage());
  }

  @Test void offerDeadlineAndWaitForSitesAreReadCheckedAndKeptOutOfTheCanonicalJsonWhenDefault() {
    ObjectNode study = fullStudy();
    String canonical = StudySpecParser.parse(study.toString()).toJson();
    assertFalse(canonical.contains("offerDeadlineSeconds") || canonical.contains("waitForSitesSeconds"), canonical);
    study.put("offerDeadlineSeconds", 5).put("waitForSitesSeconds", 60);
    StudySpec spec = StudySpecParser.parse(study.toString());
    assertEquals(5, spec.offerDeadlineSeconds());
    assertEquals(60, spec.waitForSitesSeconds());
    assertEquals(spec, StudySpecParser.parse(spec.toJson()));
    StudySpecException e = rejected(s -> s.put("waitForSitesSeconds", 0));
    assertEquals("waitForSitesSeconds", e.field());
    assertEquals("offerDeadlineSeconds", rejected(s -> s.put("offerDeadlineSeconds", 86_401)).field());
  }
}
