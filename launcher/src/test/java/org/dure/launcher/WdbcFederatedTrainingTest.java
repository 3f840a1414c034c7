package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.dure.learning.eval.BinaryMetrics;
import org.dure.protocol.model.ModelFiles;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walking skeleton's acceptance test: a real coordinator and three real agents on loopback train
 * logistic regression on WDBC split non-IID across the sites, and the saved model is judged on a held-out
 * stratified 20% that no site ever sees.
 */
class WdbcFederatedTrainingTest {
  @TempDir Path dir;


  @Test
  void nonIidLogisticRegressionOnThreeSitesReachesCentralisedQualityOnHeldOutPatientsAndSecureAggregationMatchesPlain()
      throws Exception {
    Result secure = train(dir.resolve("secure"), true);
    Result plain = train(dir.resolve("plain"), false);
    double maxDiff = 0;
    for (int i = 0; i < plain.w().length; i++) maxDiff = Math.max(maxDiff, Math.abs(secure.w()[i] - plain.w()[i]));
    System.out.printf("WDBC held-out AUC: secure aggregation %.6f, plain FedAvg %.6f; max |w_secure - w_plain| %.3g%n",
        secure.auc(), plain.auc(), maxDiff);
    assertEquals(Math.round(plain.auc() * 1000), Math.round(secure.auc() * 1000), "same AUC to 3 decimals");
    assertTrue(Math.abs(secure.auc() - plain.auc()) < 5e-4, "AUC secure " + secure.auc() + " vs plain " + plain.auc());
    assertEquals(plain.accuracy(), secure.accuracy(), 1e-9);
    assertTrue(maxDiff < 1e-4, "15 rounds of fixed-point rounding moved a weight by " + maxDiff);
  }

  private record Result(double auc, double accuracy, float[] w) {}

  /** Trains the study on a fresh local consortium and judges the model on the held-out patients. */
  private static Result train(Path dir, boolean secureAggregation) throws Exception {
    List<String> lines = readWdbc();
    String header = lines.get(0);
    List<String> malignant = new ArrayList<>(), benign = new ArrayList<>();
    for (String l : lines.subList(1, lines.size())) (l.endsWith(",M") ? malignant : benign).add(l);
    Random rnd = new Random(7);
    Collections.shuffle(malignant, rnd);
    Collections.shuffle(benign, rnd);
    int testM = Math.round(malignant.size() * 0.2f), testB = Math.round(benign.size() * 0.2f);
    List<String> test = new ArrayList<>(malignant.subList(0, testM));
    test.addAll(benign.subList(0, testB));
    List<String> trainM = malignant.subList(testM, malignant.size()), trainB = benign.subList(testB, benign.size());
    // non-IID: very different class balance per site
    double[][] shares = {{0.60, 0.15}, {0.30, 0.35}, {0.10, 0.50}};
    int mFrom = 0, bFrom = 0;
    try (TestConsortium c = new TestConsortium(dir)) {
      for (int s = 0; s < 3; s++) {
        int mTo = s == 2 ? trainM.size() : mFrom + (int) Math.round(trainM.size() * shares[s][0]);
        int bTo = s == 2 ? trainB.size() : bFrom + (int) Math.round(trainB.size() * shares[s][1]);
        List<String> rows = new ArrayList<>(List.of(header));
        rows.addAll(trainM.subList(mFrom, mTo));
        rows.addAll(trainB.subList(bFrom, bTo));
        mFrom = mTo;
        bFrom = bTo;
        c.agent("site-" + (char) ('a' + s), TestConsortium.write(dir.resolve("data/site-" + s + ".csv"), rows));
      }
      c.awaitSites(3);
      String features = Arrays.stream(header.split(",")).filter(h -> !h.equals("diagnosis"))
          .map(h -> "\"" + h + "\"").reduce((a, b) -> a + "," + b).orElseThrow();
      String studyJson = """
          {"name": "wdbc-lr", "model": {"kind": "logistic_regression"}, "features": [%s],
           "label": {"column": "diagnosis", "positive": "M"},
           "training": {"rounds": 15, "localEpochs": 2, "batchSize": 16, "learningRate": 0.05, "optimizer": "sgd", "seed": 1},
           "aggregation": {"strategy": "fedavg"}, "minSites": 3, "roundDeadlineSeconds": 60}
          """.formatted(features);
      String id = c.run(secureAggregation ? studyJson : TestConsortium.plain(studyJson));
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(3));
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      assertEquals(16, rounds.size(), "initial model plus 15 rounds");
      assertEquals(3, TestConsortium.contributors(rounds.get(15)), "all three sites contributed to the last round");
      assertEquals(secureAggregation, rounds.get(15).path("secureAggregation").isObject());

      Path model = Path.of(end.path("modelDir").asText());
      JsonNode desc = TestConsortium.JSON.readTree(model.resolve("model.json").toFile());
      float[] w = ModelFiles.readParameters(model);
      double[] means = TestConsortium.JSON.convertValue(desc.path("scaling").path("means"), double[].class);
      double[] scales = TestConsortium.JSON.convertValue(desc.path("scaling").path("scales"), double[].class);
      float[] p = new float[test.size()], y = new float[test.size()];
      for (int i = 0; i < test.size(); i++) {
        String[] f = test.get(i).split(",");
        double z = w[30];
        for (int j = 0; j < 30; j++) z += w[j] * (Double.parseDouble(f[j]) - means[j]) / scales[j];
        p[i] = (float) (1 / (1 + Math.exp(-z)));
        y[i] = f[30].equals("M") ? 1 : 0;
      }
      BinaryMetrics m = BinaryMetrics.of(p, y);
      System.out.printf("WDBC held-out test (%d patients, %s): AUC %.4f, accuracy %.4f%n", test.size(),
          secureAggregation ? "secure aggregation" : "plain", m.auc(), m.accuracy());
      assertTrue(m.auc() >= 0.98, "held-out AUC " + m.auc());
      assertTrue(m.accuracy() >= 0.95, "held-out accuracy " + m.accuracy());
      return new Result(m.auc(), m.accuracy(), w);
    }
  }

  static List<String> readWdbc() throws Exception {
    try (InputStream in = WdbcFederatedTrainingTest.class.getResourceAsStream("/wdbc/wdbc.csv")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
    }
  }
}
