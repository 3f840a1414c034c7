package org.dure.learning.eval;

import java.util.Arrays;
import java.util.Objects;

/**
 * Quality of probabilistic binary predictions.
 *
 * @param count number of examples
 * @param positives examples labelled 1
 * @param logLoss mean binary cross-entropy, with probabilities clipped to {@code [1e-7, 1 - 1e-7]}
 * @param accuracy share of examples whose label equals {@code probability >= 0.5 ? 1 : 0}
 * @param auc area under the ROC curve: the probability that a random positive scores above a random
 *     negative, ties counting one half (the Mann-Whitney rank statistic); NaN when only one class is present
 */
public record BinaryMetrics(long count, long positives, double logLoss, double accuracy, double auc) {
  private static final double CLIP = 1e-7;

  /**
   * Computes the metrics exactly, in {@code O(n log n)}.
   *
   * @throws IllegalArgumentException if the arrays are empty or differ in length, a probability is outside
   *     {@code [0, 1]} (or NaN), or a label is not 0 or 1
   */
  public static BinaryMetrics of(float[] probabilities, float[] labels01) {
    Objects.requireNonNull(probabilities, "probabilities");
    Objects.requireNonNull(labels01, "labels01");
    int n = probabilities.length;
    if (n == 0) throw new IllegalArgumentException("probabilities must not be empty");
    if (labels01.length != n) {
      throw new IllegalArgumentException("labels01.length must equal probabilities.length = " + n
          + ", was " + labels01.length);
    }
    long positives = 0, correct = 0;
    double loss = 0;
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      float p = probabilities[i], y = labels01[i];
      if (!(p >= 0f && p <= 1f)) {
        throw new IllegalArgumentException("probabilities[" + i + "] must be in [0, 1], was " + p);
      }
      if (y != 0f && y != 1f) throw new IllegalArgumentException("labels01[" + i + "] must be 0 or 1, was " + y);
      boolean positive = y == 1f;
      if (positive) positives++;
      if ((p >= 0.5f) == positive) correct++;
      double q = Math.min(Math.max(p, CLIP), 1 - CLIP);
      loss -= positive ? Math.log(q) : Math.log1p(-q);
      // For p >= 0 the float bits order like the values (+0 after normalising -0); the low bit carries the label.
      keys[i] = ((long) Float.floatToIntBits(p + 0f) << 1) | (positive ? 1 : 0);
    }
    return new BinaryMetrics(n, positives, loss / n, (double) correct / n, auc(keys, positives));
  }

  private static double auc(long[] keys, long positives) {
    long negatives = keys.length - positives;
    if (positives == 0 || negatives == 0) return Double.NaN;
    Arrays.sort(keys);
    double positiveRankSum = 0;
    int i = 0;
    while (i < keys.length) {
      long score = keys[i] >>> 1;
      int j = i;
      long tiedPositives = 0;
      while (j < keys.length && keys[j] >>> 1 == score) {
        tiedPositives += keys[j] & 1;
        j++;
      }
      double averageRank = (i + 1 + j) / 2.0;   // ranks i+1 .. j share their mean
      positiveRankSum += tiedPositives * averageRank;
      i = j;
    }
    return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }
}
