package org.dure.protocol.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScoreHistogramTest {

  @Test void perfectlySeparatedScoresHaveAucOne() {
    // Prepare
    ScoreHistogram h = ScoreHistogram.of(new float[] {0.9f, 0.1f, 0.8f, 0.2f}, new float[] {1, 0, 1, 0});

    // Execute
    double auc = h.auc();

    // Assert
    assertEquals(1.0, auc);
  }

  @Test void reversedScoresHaveAucZero() {
    // Prepare
    ScoreHistogram h = ScoreHistogram.of(new float[] {0.9f, 0.1f, 0.8f, 0.2f}, new float[] {0, 1, 0, 1});

    // Execute
    double auc = h.auc();

    // Assert
    assertEquals(0.0, auc);
  }

  @Test void scoresTiedInOneBinHaveAucOneHalf() {
    // Prepare: 0.5, 0.5005 and 0.5009 all fall in bin 500
    ScoreHistogram h = ScoreHistogram.of(new float[] {0.5f, 0.5009f, 0.5005f, 0.5f, 0.5009f},
        new float[] {1, 0, 1, 0, 0});

    // Execute
    double auc = h.auc();

    // Assert
    assertEquals(0.5, auc);
  }

  @Test void smallExampleMatchesHandComputedAuc() {
    // Prepare: positives 0.9, 0.3505, 0.2; negatives 0.3507, 0.6, 0.05.
    // Pairs won: 0.9 beats all three (3); 0.3505 ties 0.3507 in bin 350 (0.5) and beats 0.05 (1);
    // 0.2 beats 0.05 (1). AUC = 5.5 / 9.
    ScoreHistogram h = ScoreHistogram.of(new float[] {0.9f, 0.3505f, 0.2f, 0.3507f, 0.6f, 0.05f},
        new float[] {1, 1, 1, 0, 0, 0});

    // Execute
    double auc = h.auc();

    // Assert
    assertEquals(5.5 / 9, auc, 1e-15);
  }

  @Test void singleClassHasUndefinedAuc() {
    // Prepare
    ScoreHistogram positivesOnly = ScoreHistogram.of(new float[] {0.2f, 0.9f}, new float[] {1, 1});
    ScoreHistogram negativesOnly = ScoreHistogram.of(new float[] {0.2f, 0.9f}, new float[] {0, 0});

    // Assert
    assertTrue(Double.isNaN(positivesOnly.auc()));
    assertTrue(Double.isNaN(negativesOnly.auc()));
    assertTrue(Double.isNaN(ScoreHistogram.empty().auc()));
  }

  @Test void probabilitiesAtTheEdgesLandInFirstAndLastBin() {
    // Assert
    assertEquals(0, ScoreHistogram.bin(0.0));
    assertEquals(0, ScoreHistogram.bin(-0.1));
    assertEquals(0, ScoreHistogram.bin(Double.NaN));
    assertEquals(999, ScoreHistogram.bin(1.0));
    assertEquals(999, ScoreHistogram.bin(0.9995));
    assertEquals(500, ScoreHistogram.bin(0.5));
  }

  @Test void addedHistogramsSumTheirBins() {
    // Prepare
    ScoreHistogram a = ScoreHistogram.of(new float[] {0.1f, 0.9f}, new float[] {0, 1});
    ScoreHistogram b = ScoreHistogram.of(new float[] {0.1f, 0.1f, 0.5f}, new float[] {0, 1, 1});

    // Execute
    ScoreHistogram sum = a.plus(b);

    // Assert
    assertEquals(ScoreHistogram.of(new float[] {0.1f, 0.9f, 0.1f, 0.1f, 0.5f}, new float[] {0, 1, 0, 1, 1}), sum);
    assertEquals(2, sum.negatives()[100]);
    assertEquals(1, sum.positives()[100]);
  }

  @Test void histogramWithWrongNumberOfBinsIsRejected() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ScoreHistogram(new long[10], new long[ScoreHistogram.BINS]));

    // Assert
    assertEquals("a score histogram has 1000 bins, got 10 and 1000", e.getMessage());
  }

  @Test void histogramCannotBeChangedThroughItsArrays() {
    // Prepare
    long[] pos = new long[ScoreHistogram.BINS];
    ScoreHistogram h = new ScoreHistogram(pos, new long[ScoreHistogram.BINS]);

    // Execute
    pos[3] = 5;
    h.positives()[4] = 5;

    // Assert
    assertEquals(ScoreHistogram.empty(), h);
  }
}
