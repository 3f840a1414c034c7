package org.dure.learning.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BinaryMetricsTest {
  @Test void aucIsTheShareOfPositiveNegativePairsRankedCorrectly() {
    BinaryMetrics m = BinaryMetrics.of(new float[] {0.1f, 0.4f, 0.35f, 0.8f}, new float[] {0, 0, 1, 1});
    // positives 0.35, 0.8; negatives 0.1, 0.4: pairs (0.35>0.1) (0.35<0.4) (0.8>0.1) (0.8>0.4) -> 3/4
    assertEquals(0.75, m.auc(), 1e-12);
    assertEquals(4, m.count());
    assertEquals(2, m.positives());
    // predictions at 0.5: 0 0 0 1 -> correct: yes yes no yes
    assertEquals(0.75, m.accuracy(), 1e-12);
    double expectedLoss = -(Math.log(1 - (double) 0.1f) + Math.log(1 - (double) 0.4f) + Math.log(0.35f) + Math.log(0.8f)) / 4;
    assertEquals(expectedLoss, m.logLoss(), 1e-12);
  }

  @Test void tiesBetweenClassesCountOneHalf() {
    // positives: 0.5, 0.7, 0.7; negatives: 0.5, 0.7, 0.2
    // pairs won: 0.5 vs (0.5 tie=.5, 0.7 lose, 0.2 win) = 1.5; each 0.7 vs (0.5 win, 0.7 tie, 0.2 win) = 2.5
    BinaryMetrics m = BinaryMetrics.of(new float[] {0.5f, 0.7f, 0.7f, 0.5f, 0.7f, 0.2f},
        new float[] {1, 1, 1, 0, 0, 0});
    assertEquals((1.5 + 2.5 + 2.5) / 9, m.auc(), 1e-12);
  }

  @Test void allScoresEqualGiveAucOneHalf() {
    assertEquals(0.5, BinaryMetrics.of(new float[] {0.3f, 0.3f, 0.3f}, new float[] {1, 0, 0}).auc(), 1e-12);
  }

  @Test void thresholdIsInclusiveAtOneHalf() {
    assertEquals(1.0, BinaryMetrics.of(new float[] {0.5f, 0.4999f}, new float[] {1, 0}).accuracy());
  }

  @Test void extremeProbabilitiesAreClippedInTheLogLoss() {
    BinaryMetrics m = BinaryMetrics.of(new float[] {0f, 1f}, new float[] {1, 0});
    assertEquals(-Math.log(1e-7), m.logLoss(), 1e-6);
    assertEquals(0.0, m.auc());
  }

  @Test void oneClassOnlyGivesNanAuc() {
    BinaryMetrics m = BinaryMetrics.of(new float[] {0.2f, 0.9f}, new float[] {1, 1});
    assertTrue(Double.isNaN(m.auc()));
    assertEquals(0.5, m.accuracy());
  }

  @Test void aucMatchesPairCountingOnRandomDataWithManyTies() {
    java.util.Random r = new java.util.Random(3);
    int n = 500;
    float[] p = new float[n], y = new float[n];
    for (int i = 0; i < n; i++) {
      p[i] = r.nextInt(20) / 19f;
      y[i] = r.nextDouble() < 0.2 + 0.6 * p[i] ? 1 : 0;
    }
    double wins = 0, pairs = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (y[i] == 1 && y[j] == 0) {
          pairs++;
          wins += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
        }
      }
    }
    assertEquals(wins / pairs, BinaryMetrics.of(p, y).auc(), 1e-12);
  }

  @Test void rejectsBadInputsNamingTheElement() {
    assertEquals("labels01.length must equal probabilities.length = 2, was 1",
        assertThrows(IllegalArgumentException.class, () -> BinaryMetrics.of(new float[2], new float[1])).getMessage());
    assertEquals("probabilities[1] must be in [0, 1], was NaN", assertThrows(IllegalArgumentException.class,
        () -> BinaryMetrics.of(new float[] {0.5f, Float.NaN}, new float[2])).getMessage());
    assertEquals("labels01[0] must be 0 or 1, was 2.0", assertThrows(IllegalArgumentException.class,
        () -> BinaryMetrics.of(new float[] {0.5f}, new float[] {2})).getMessage());
    assertEquals("probabilities must not be empty", assertThrows(IllegalArgumentException.class,
        () -> BinaryMetrics.of(new float[0], new float[0])).getMessage());
  }
}
