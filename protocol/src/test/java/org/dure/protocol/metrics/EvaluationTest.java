package org.dure.protocol.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluationTest {

  private static Evaluation site(long count, double logLoss, double accuracy, float[] scores, float[] labels) {
    ScoreHistogram h = ScoreHistogram.of(scores, labels);
    long positives = 0;
    for (float l : labels) if (l > 0.5f) positives++;
    return new Evaluation(count, positives, logLoss, accuracy, h.auc(), h);
  }

  @Test void pooledLossAndAccuracyAreWeightedByCount() {
    // Prepare
    Evaluation a = site(100, 0.5, 0.8, new float[] {0.9f, 0.1f}, new float[] {1, 0});
    Evaluation b = site(300, 0.3, 0.9, new float[] {0.7f, 0.2f, 0.6f}, new float[] {1, 0, 1});

    // Execute
    Evaluation pooled = Evaluation.pooled(List.of(a, b));

    // Assert
    assertEquals(400, pooled.count());
    assertEquals(3, pooled.positives());
    assertEquals((100 * 0.5 + 300 * 0.3) / 400, pooled.logLoss(), 1e-15);
    assertEquals((100 * 0.8 + 300 * 0.9) / 400, pooled.accuracy(), 1e-15);
  }

  @Test void pooledAucComesFromSummedHistogramsNotFromSiteAucs() {
    // Prepare: each site separates perfectly, but site B's positives score below site A's negatives
    Evaluation a = site(2, 0.1, 1.0, new float[] {0.9f, 0.8f}, new float[] {1, 0});
    Evaluation b = site(2, 0.1, 1.0, new float[] {0.3f, 0.2f}, new float[] {1, 0});

    // Execute
    Evaluation pooled = Evaluation.pooled(List.of(a, b));

    // Assert: pairs (0.9 beats 0.8, 0.2), (0.3 loses to 0.8, beats 0.2) = 3 of 4
    assertEquals(a.histogram().plus(b.histogram()), pooled.histogram());
    assertEquals(1.0, a.auc());
    assertEquals(1.0, b.auc());
    assertEquals(0.75, pooled.auc());
  }

  @Test void pooledAucIsUndefinedWhenEverySiteHasOneClass() {
    // Prepare
    Evaluation a = site(2, 0.1, 1.0, new float[] {0.9f, 0.8f}, new float[] {1, 1});
    Evaluation b = site(1, 0.2, 1.0, new float[] {0.7f}, new float[] {1});

    // Execute
    Evaluation pooled = Evaluation.pooled(List.of(a, b));

    // Assert
    assertTrue(Double.isNaN(pooled.auc()));
    assertEquals(3, pooled.positives());
  }

  @Test void pooledAucIsDefinedWhenSitesHoldDifferentClasses() {
    // Prepare
    Evaluation a = site(1, 0.1, 1.0, new float[] {0.9f}, new float[] {1});
    Evaluation b = site(1, 0.2, 1.0, new float[] {0.2f}, new float[] {0});

    // Execute
    Evaluation pooled = Evaluation.pooled(List.of(a, b));

    // Assert
    assertTrue(Double.isNaN(a.auc()));
    assertEquals(1.0, pooled.auc());
  }

  @Test void siteWithoutValidationRowsDoesNotTurnPooledMetricsIntoNan() {
    // Prepare: an empty validation split has undefined mean loss and accuracy
    Evaluation a = site(4, 0.4, 0.75, new float[] {0.9f, 0.1f, 0.6f, 0.7f}, new float[] {1, 0, 0, 1});
    Evaluation empty = new Evaluation(0, 0, Double.NaN, Double.NaN, Double.NaN, ScoreHistogram.empty());

    // Execute
    Evaluation pooled = Evaluation.pooled(List.of(a, empty));

    // Assert
    assertEquals(4, pooled.count());
    assertEquals(0.4, pooled.logLoss());
    assertEquals(0.75, pooled.accuracy());
    assertEquals(a.auc(), pooled.auc());
  }

  @Test void poolingNoSitesGivesUndefinedMetrics() {
    // Execute
    Evaluation pooled = Evaluation.pooled(List.of());

    // Assert
    assertEquals(0, pooled.count());
    assertTrue(Double.isNaN(pooled.logLoss()));
    assertTrue(Double.isNaN(pooled.accuracy()));
    assertTrue(Double.isNaN(pooled.auc()));
    assertEquals(ScoreHistogram.empty(), pooled.histogram());
  }
}
