package org.dure.learning.eval;

import java.util.Arrays;

/**
 * Exact validation metrics of a binary classifier from its predicted probabilities.
 *
 * @param count examples
 * @param positives examples with label 1
 * @param logLoss mean binary cross-entropy, probabilities clipped to [1e-7, 1 - 1e-7]
 * @param accuracy share correct at threshold 0.5
 * @param auc ROC AUC by the rank statistic, ties counted half; NaN when only one class is present
 */
public record BinaryMetrics(long count, long positives, double logLoss, double accuracy, double auc) {
  static final double EPS = 1e-7;

  public static BinaryMetrics of(float[] probabilities, float[] labels01) {
    if (probabilities.length != labels01.length)
      throw new IllegalArgumentException("probabilities and labels differ in length: " + probabilities.length + " vs " + labels01.length);
    int n = probabilities.length;
    if (n == 0) return new BinaryMetrics(0, 0, Double.NaN, Double.NaN, Double.NaN);
    long pos = 0, correct = 0;
    double loss = 0;
    for (int i = 0; i < n; i++) {
      boolean y = labels01[i] > 0.5f;
      double p = Math.min(1 - EPS, Math.max(EPS, probabilities[i]));
      loss -= y ? Math.log(p) : Math.log(1 - p);
      if (y) pos++;
      if ((probabilities[i] >= 0.5f) == y) correct++;
    }
    return new BinaryMetrics(n, pos, loss / n, (double) correct / n, auc(probabilities, labels01, pos));
  }

  private static double auc(float[] p, float[] y, long pos) {
    int n = p.length;
    long neg = n - pos;
    if (pos == 0 || neg == 0) return Double.NaN;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) order[i] = i;
    Arrays.sort(order, (a, b) -> Float.compare(p[a], p[b]));
    double rankSumPos = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && p[order[j + 1]] == p[order[i]]) j++;
      double midRank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) if (y[order[k]] > 0.5f) rankSumPos += midRank;
      i = j + 1;
    }
    return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }
}
