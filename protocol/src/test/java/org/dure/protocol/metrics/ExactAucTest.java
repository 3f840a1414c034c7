package org.dure.protocol.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dure.protocol.wire.WireJson;
import org.junit.jupiter.api.Test;

/**
 * AUCs stay exact when histograms are coarsened for small cells: a site's own pairs are counted exactly (from its
 * exact Mann–Whitney count), and only pairs of examples at two sites that share one bin count as half.
 */
class ExactAucTest {
  /** Brute force over every positive–negative pair: the definition. */
  static double bruteForce(float[] p, float[] y, int[] rows) {
    double wins = 0;
    long pairs = 0;
    for (int i : rows) for (int j : rows) {
      if (y[i] > 0.5f && y[j] <= 0.5f) {
        pairs++;
        wins += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
      }
    }
    return wins / pairs;
  }

  static int[] range(int from, int to) {
    int[] r = new int[to - from];
    for (int i = 0; i < r.length; i++) r[i] = from + i;
    return r;
  }

  /** Scores rounded to two decimals (many ties), labels correlated with them. */
  static float[][] data(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] p = new float[n], y = new float[n];
    for (int i = 0; i < n; i++) {
      p[i] = Math.round(rnd.nextDouble() * 100) / 100f;
      y[i] = rnd.nextDouble() < 0.2 + 0.6 * p[i] ? 1 : 0;
    }
    return new float[][] {p, y};
  }

  /** Every score bin merged into one of five (as a small site's histogram is). */
  static ScoreHistogram coarse(ScoreHistogram h) {
    long[] pos = new long[ScoreHistogram.BINS], neg = new long[ScoreHistogram.BINS];
    int width = ScoreHistogram.BINS / 5;
    for (int b = 0; b < ScoreHistogram.BINS; b++) {
      pos[b / width * width] += h.positives()[b];
      neg[b / width * width] += h.negatives()[b];
    }
    return new ScoreHistogram(pos, neg);
  }

  @Test void exactWinsIsTheMannWhitneyCountWithTiesAsHalf() {
    float[][] d = data(300, 1);
    int[] all = range(0, 300);
    long pos = 0;
    for (float v : d[1]) if (v > 0.5f) pos++;
    assertEquals(bruteForce(d[0], d[1], all), ScoreHistogram.exactWins(d[0], d[1], null) / (pos * (300.0 - pos)), 1e-12);
  }

  @Test void aGroupsAucIsExactAfterItsHistogramIsCoarsened() {
    float[][] d = data(400, 2);
    int[] rows = range(50, 350);
    ValidationCounts c = ValidationCounts.of(d[0], d[1], rows, 0.5);
    ValidationCounts coarsened = c.withHistogram(coarse(c.histogram()), c.calibration());
    double exact = bruteForce(d[0], d[1], rows);
    assertNotEquals(exact, coarsened.histogram().auc(), 1e-6, "the coarse histogram alone loses the pairs inside its bins");
    assertEquals(exact, c.auc(), 1e-12);
    assertEquals(exact, coarsened.auc(), 1e-12);
  }

  @Test void summedCountsLoseOnlyTheCrossGroupPairsInOneBin() {
    float[][] d = data(600, 3);
    int[] a = range(0, 200), b = range(200, 600), all = range(0, 600);
    ValidationCounts ca = ValidationCounts.of(d[0], d[1], a, 0.5), cb = ValidationCounts.of(d[0], d[1], b, 0.5);
    // full-resolution histograms: the scores (two decimals) never share a bin with a different score, so the sum is exact
    assertEquals(bruteForce(d[0], d[1], all), ca.plus(cb).auc(), 1e-12);
    // coarsened: exact within each group, half for the cross-group pairs that share one of the five bins
    ValidationCounts sa = ca.withHistogram(coarse(ca.histogram()), ca.calibration());
    ValidationCounts sb = cb.withHistogram(coarse(cb.histogram()), cb.calibration());
    double exact = bruteForce(d[0], d[1], all);
    double corrected = sa.plus(sb).auc();
    double sharedBin = 0;
    for (int bin = 0; bin < ScoreHistogram.BINS; bin++) {
      sharedBin += sa.histogram().positives()[bin] * (double) sb.histogram().negatives()[bin]
          + sb.histogram().positives()[bin] * (double) sa.histogram().negatives()[bin];
    }
    long pos = sa.positives() + sb.positives(), neg = sa.count() + sb.count() - pos;
    double bound = 0.5 * sharedBin / ((double) pos * neg);
    assertTrue(Math.abs(exact - corrected) <= bound + 1e-12,
        "corrected " + corrected + " is within the cross-group tie bound " + bound + " of the exact " + exact);
  }

  @Test void pooledEvaluationCountsEachSitesPairsExactly() {
    float[][] d = data(500, 4);
    List<Evaluation> sites = new ArrayList<>();
    int[][] parts = {range(0, 150), range(150, 500)};
    // the two sites' scores shifted apart so that no cross-site pair shares a coarse bin: then pooling is exact
    float[] p = d[0].clone();
    for (int i : parts[1]) p[i] = p[i] * 0.19f + 0.8f;
    for (int i : parts[0]) p[i] = p[i] * 0.19f;
    for (int[] rows : parts) {
      ValidationCounts c = ValidationCounts.of(p, d[1], rows, 0.5);
      sites.add(new Evaluation(c.count(), c.positives(), 0.5, 0.5, c.auc(), coarse(c.histogram())));
    }
    Evaluation pooled = Evaluation.pooled(sites);
    assertEquals(bruteForce(p, d[1], range(0, 500)), pooled.auc(), 1e-12);
    assertNotEquals(pooled.auc(), pooled.histogram().auc(), 1e-4, "the summed coarse histogram alone is not exact");
  }

  @Test void pooledEvaluationFromSitesThatReportTheirHistogramsAucIsTheHistogramsAuc() {
    float[][] d = data(300, 5);
    ScoreHistogram h = coarse(ValidationCounts.of(d[0], d[1], range(0, 300), 0.5).histogram());
    long pos = h.totalPositives();
    Evaluation older = new Evaluation(300, pos, 0.5, 0.5, h.auc(), h);
    assertEquals(h.auc(), Evaluation.pooled(List.of(older)).auc(), 1e-12);
  }

  @Test void validationCountsWrittenBeforeTheCorrectionReadWithTheHistogramsAuc() {
    float[][] d = data(200, 6);
    ValidationCounts c = ValidationCounts.of(d[0], d[1], range(0, 200), 0.5);
    String json = WireJson.write(c);
    assertEquals(c, WireJson.mapper().convertValue(WireJson.mapper().valueToTree(c), ValidationCounts.class));
    String older = json.replaceAll(",\"winsCorrection\":[^,}]+", "");
    assertNotEquals(json, older);
    ValidationCounts read = WireJson.mapper().convertValue(readTree(older), ValidationCounts.class);
    assertEquals(0, read.winsCorrection());
    assertEquals(c.histogram().auc(), read.auc(), 1e-12);
  }

  private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
    try {
      return WireJson.mapper().readTree(json);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
