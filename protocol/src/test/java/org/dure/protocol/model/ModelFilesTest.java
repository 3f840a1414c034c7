package org.dure.protocol.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Three inputs (age, sex=F, sex=M) into an MLP with one hidden layer of 4: 3*4 + 4 + 4*1 + 1 = 21 parameters. */
  private static final StudySpec SPEC = StudySpecParser.parse("""
      {
        "name": "sepsis-30d",
        "model": {"kind": "mlp", "hiddenLayers": [4], "activation": "tanh"},
        "features": ["age", {"name": "sex", "type": "categorical", "categories": ["F", "M"]}],
        "label": {"column": "died_30d", "positive": "yes"},
        "training": {"rounds": 5}
      }
      """);
  private static final FeatureScaling SCALING =
      new FeatureScaling(new double[] {61.5, 0, 0}, new double[] {12.25, 1, 1}, Map.of("age", 61.5));
  private static final ModelFiles.Metadata META = new ModelFiles.Metadata("study-1", "sepsis-30d", 5,
      JSON.createObjectNode().put("auc", 0.81));

  @TempDir Path tmp;

  private static float[] parameters(float start) {
    float[] p = new float[21];
    for (int i = 0; i < p.length; i++) p[i] = start + i * 0.5f;
    return p;
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test void writtenParametersReadBackInTheSameOrder() throws IOException {
    // Prepare
    Path dir = tmp.resolve("model");
    float[] params = parameters(-3f);

    // Execute
    ModelFiles.write(dir, SPEC, SCALING, params, META);

    // Assert
    assertArrayEquals(params, ModelFiles.readParameters(dir));
    assertEquals(List.of("dense_0_bias.npy", "dense_0_weight.npy", "dense_1_bias.npy", "dense_1_weight.npy", "model.json"),
        names(dir));
  }

  @Test void eachTensorFileHoldsItsSliceWithItsShape() throws IOException {
    // Prepare
    Path dir = tmp.resolve("model");
    float[] params = parameters(0f);

    // Execute
    ModelFiles.write(dir, SPEC, SCALING, params, META);

    // Assert
    Npy.Array w0 = Npy.read(dir.resolve("dense_0_weight.npy"));
    Npy.Array b0 = Npy.read(dir.resolve("dense_0_bias.npy"));
    Npy.Array w1 = Npy.read(dir.resolve("dense_1_weight.npy"));
    Npy.Array b1 = Npy.read(dir.resolve("dense_1_bias.npy"));
    assertArrayEquals(new int[] {3, 4}, w0.shape());
    assertArrayEquals(new int[] {4}, b0.shape());
    assertArrayEquals(new int[] {4, 1}, w1.shape());
    assertArrayEquals(new int[] {1}, b1.shape());
    assertEquals(params[0], w0.data()[0]);
    assertEquals(params[12], b0.data()[0]);
    assertEquals(params[16], w1.data()[0]);
    assertArrayEquals(new float[] {params[20]}, b1.data());
  }

  @Test void modelJsonDescribesFeaturesScalingLayersLabelAndStudy() throws IOException {
    // Prepare
    Path dir = tmp.resolve("model");

    // Execute
    ModelFiles.write(dir, SPEC, SCALING, parameters(0f), META);

    // Assert
    JsonNode m = JSON.readTree(dir.resolve("model.json").toFile());
    assertEquals("dure-model/1", m.path("format").asText());
    assertEquals("mlp", m.path("kind").asText());
    assertEquals("study-1", m.path("studyId").asText());
    assertEquals("sepsis-30d", m.path("studyName").asText());
    assertEquals(5, m.path("round").asInt());
    assertEquals(JSON.readTree("[\"age\", \"sex=F\", \"sex=M\"]"), m.path("features"));
    assertEquals(JSON.readTree("{\"means\": [61.5, 0.0, 0.0], \"scales\": [12.25, 1.0, 1.0]}"), m.path("scaling"));
    assertEquals(JSON.readTree("{\"column\": \"died_30d\", \"positive\": \"yes\"}"), m.path("label"));
    assertEquals(JSON.readTree("""
        [{"inputs": 3, "outputs": 4, "activation": "tanh", "weight": "dense_0_weight.npy", "bias": "dense_0_bias.npy"},
         {"inputs": 4, "outputs": 1, "activation": "sigmoid", "weight": "dense_1_weight.npy", "bias": "dense_1_bias.npy"}]
        """), m.path("layers"));
    assertEquals(21, m.path("parameterCount").asInt());
    assertEquals(JSON.readTree(SPEC.toJson()), m.path("study"));
    assertEquals(SPEC, StudySpecParser.parse(m.path("study").toString()));
    assertEquals(0.81, m.path("metrics").path("auc").asDouble());
  }

  @Test void logisticRegressionIsOneSigmoidLayer() throws IOException {
    // Prepare
    StudySpec lr = StudySpecParser.parse(SPEC.toJson()
        .replace("\"kind\":\"mlp\",\"hiddenLayers\":[4],\"activation\":\"tanh\"", "\"kind\":\"logistic_regression\""));
    Path dir = tmp.resolve("lr");
    float[] params = {0.5f, -1f, 2f, 0.25f};

    // Execute
    ModelFiles.write(dir, lr, SCALING, params, new ModelFiles.Metadata("study-2", "lr", 1, null));

    // Assert
    JsonNode m = JSON.readTree(dir.resolve("model.json").toFile());
    assertEquals(1, m.path("layers").size());
    assertEquals("sigmoid", m.path("layers").get(0).path("activation").asText());
    assertFalse(m.has("metrics"));
    assertArrayEquals(params, ModelFiles.readParameters(dir));
  }

  @Test void writingAgainReplacesTheModelAndLeavesNoTemporaryDirectory() throws IOException {
    // Prepare
    Path dir = tmp.resolve("model");
    ModelFiles.write(dir, SPEC, SCALING, parameters(0f), META);
    Files.writeString(dir.resolve("stale.txt"), "from an older model");
    float[] newer = parameters(100f);

    // Execute
    ModelFiles.write(dir, SPEC, SCALING, newer, META);

    // Assert
    assertArrayEquals(newer, ModelFiles.readParameters(dir));
    assertFalse(Files.exists(dir.resolve("stale.txt")));
    assertEquals(List.of("model"), names(tmp));
  }

  @Test void wrongParameterCountIsRejectedNamingBothCounts() throws IOException {
    // Prepare
    Path dir = tmp.resolve("model");

    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelFiles.write(dir, SPEC, SCALING, new float[20], META));

    // Assert
    assertEquals("model mlp[4]/tanh with 3 inputs has 21 parameters, got 20", e.getMessage());
    assertEquals(List.of(), names(tmp));
  }

  @Test void rejectedRewriteKeepsThePreviousModel() throws IOException {
    // Prepare
    Path dir = tmp.resolve("model");
    float[] params = parameters(1f);
    ModelFiles.write(dir, SPEC, SCALING, params, META);

    // Execute
    assertThrows(IllegalArgumentException.class, () -> ModelFiles.write(dir, SPEC, SCALING, new float[22], META));

    // Assert
    assertArrayEquals(params, ModelFiles.readParameters(dir));
    assertEquals(List.of("model"), names(tmp));
  }
}
