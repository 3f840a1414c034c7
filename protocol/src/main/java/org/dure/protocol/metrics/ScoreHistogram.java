package org.dure.protocol.metrics;

import java.util.Arrays;

/**
 * Counts of positive and negative validation examples per bin of predicted probability. Sites send
 * these aggregate counts (never predictions or rows); the coordinator adds them up across sites to get
 * a pooled ROC AUC without seeing any individual score. With {@value #BINS} bins the pooled AUC differs
 * from the exact rank AUC only by ties inside one bin.
 */
public record ScoreHistogram(long[] positives, long[] negatives) {
  public static final int BINS = 1000;

  public ScoreHistogram {
    if (positives.length != BINS || negatives.length != BINS)
      throw new IllegalArgumentException("a score histogram has " + BINS + " bins, got " + positives.length + " and " + negatives.length);
    positives = positives.clone();
    negatives = negatives.clone();
  }

  public static ScoreHistogram empty() {
    return new ScoreHistogram(new long[BINS], new long[BINS]);
  }

  public static ScoreHistogram of(float[] probabilities, float[] labels01) {
    long[] pos = new long[BINS], neg = new long[BINS];
    for (int i = 0; i < probabilities.length; i++) {
      int b = bin(probabilities[i]);
      if (labels01[i] > 0.5f) pos[b]++; else neg[b]++;
    }
    return new ScoreHistogram(pos, neg);
  }

  /** The bin of a predicted probability: {@code floor(1000 p)}, NaN or p <= 0 in the first, 1 in the last. */
  public static int bin(double p) {
    if (!(p > 0)) return 0;
    return (int) Math.min(BINS - 1, Math.floor(p * BINS));
  }

  @Override public long[] positives() { return positives.clone(); }
  @Override public long[] negatives() { return negatives.clone(); }

  public ScoreHistogram plus(ScoreHistogram o) {
    long[] p = positives.clone(), n = negatives.clone();
    for (int i = 0; i < BINS; i++) { p[i] += o.positives[i]; n[i] += o.negatives[i]; }
    return new ScoreHistogram(p, n);
  }

  /** Area under the ROC curve, counting pairs in the same bin as ties (half). NaN if a class is absent. */
  public double auc() {
    long totalPos = totalPositives(), totalNeg = totalNegatives();
    if (totalPos == 0 || totalNeg == 0) return Double.NaN;
    return wins() / ((double) totalPos * totalNeg);
  }

  /**
   * The Mann–Whitney count of these bins: positive–negative pairs in which the positive's bin is higher, plus half the
   * pairs in one bin. The AUC is this over {@code positives × negatives}.
   */
  public double wins() {
    double wins = 0;
    long negBelow = 0;
    for (int b = 0; b < BINS; b++) {
      wins += positives[b] * (negBelow + 0.5 * negatives[b]);
      negBelow += negatives[b];
    }
    return wins;
  }

  public long totalPositives() {
    return Arrays.stream(positives).sum();
  }

  public long totalNegatives() {
    return Arrays.stream(negatives).sum();
  }

  /**
   * The exact Mann–Whitney count of the examples {@code rows} (null: all): pairs in which the positive scores higher,
   * plus half the tied pairs — what {@link #wins()} would give with one bin per distinct score.
   */
  public static double exactWins(float[] probabilities, float[] labels01, int[] rows) {
    int n = rows == null ? probabilities.length : rows.length;
    long[] keys = new long[n];
    long positives = 0;
    for (int i = 0; i < n; i++) {
      int r = rows == null ? i : rows[i];
      // order by score (NaN first, as bin() puts it), then negatives before positives; the label in the low bit
      float p = Float.isNaN(probabilities[r]) ? Float.NEGATIVE_INFINITY : probabilities[r];
      int bits = Float.floatToIntBits(p + 0.0f);
      long ordered = bits >= 0 ? bits : bits ^ 0x7fffffff; // total order of floats as signed ints
      boolean positive = labels01[r] > 0.5f;
      keys[i] = (ordered << 1) | (positive ? 1 : 0);
      if (positive) positives++;
    }
    Arrays.sort(keys);
    double wins = 0;
    long negativesBelow = 0;
    int i = 0;
    while (i < n) {
      long score = keys[i] >> 1;
      int j = i;
      long tiedPositives = 0, tiedNegatives = 0;
      while (j < n && keys[j] >> 1 == score) {
        if ((keys[j] & 1) == 1) tiedPositives++; else tiedNegatives++;
        j++;
      }
      wins += tiedPositives * (negativesBelow + 0.5 * tiedNegatives);
      negativesBelow += tiedNegatives;
      i = j;
    }
    return wins;
  }

  @Override public boolean equals(Object o) {
    return o instanceof ScoreHistogram h && Arrays.equals(positives, h.positives) && Arrays.equals(negatives, h.negatives);
  }

  @Override public int hashCode() {
    return Arrays.hashCode(positives) * 31 + Arrays.hashCode(negatives);
  }
}
