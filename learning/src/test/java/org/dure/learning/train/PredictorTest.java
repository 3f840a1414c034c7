package org.dure.learning.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PredictorTest {
  @Test void probabilitiesMatchTheReferenceAcrossSeveralChunks() {
    for (Activation f : Activation.values()) {
      Architecture arch = Architecture.mlp(7, f, 9, 5);
      int rows = 2500;                        // more than one 1024-row chunk, and a partial one
      float[] x = Reference.gaussian(rows * 7, 1);
      float[] params = Reference.gaussian(arch.parameterCount(), 2);
      try (TrainingData data = TrainingData.of(x, rows, 7, new float[rows])) {
        float[] p = Predictor.predictProbabilities(arch, params, data);
        double[] expected = Reference.probabilities(arch, Reference.toDouble(params), x, rows);
        for (int r = 0; r < rows; r++) assertEquals(expected[r], p[r], 2e-6, f + " row " + r);
      }
    }
  }

  @Test void logisticRegressionProbabilitiesAreSigmoidOfTheLinearScore() {
    Architecture arch = Architecture.logisticRegression(2);
    try (TrainingData data = TrainingData.of(new float[] {1, 2, -3, 0.5f}, 2, 2, new float[2])) {
      float[] p = Predictor.predictProbabilities(arch, new float[] {0.5f, -1f, 0.25f}, data);
      assertEquals(1 / (1 + Math.exp(-(0.5 - 2 + 0.25))), p[0], 1e-7);
      assertEquals(1 / (1 + Math.exp(-(-1.5 - 0.5 + 0.25))), p[1], 1e-7);
    }
  }

  @Test void rejectsParametersOfTheWrongLength() {
    try (TrainingData data = TrainingData.of(new float[] {1, 2}, 1, 2, new float[1])) {
      assertEquals("params.length must be 3 for logistic regression 2-1, was 4",
          assertThrows(IllegalArgumentException.class,
              () -> Predictor.predictProbabilities(Architecture.logisticRegression(2), new float[4], data)).getMessage());
    }
  }
}
