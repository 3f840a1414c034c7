package org.dure.protocol.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Aggregate counts from which the validation report computes every figure for one group of validation examples (a
 * site, a subgroup at a site, or a sum over sites): never a prediction or a row. Counts of several groups add up
 * ({@link #plus}), so pooled figures are those of the summed counts.
 *
 * @param count examples
 * @param positives examples labelled positive
 * @param histogram per-class score histogram (ROC curve and AUC)
 * @param truePositives positives with {@code p >= threshold}; likewise the other three confusion counts
 * @param sumSquaredError sum of {@code (p - y)^2} (the Brier score is this over {@code count})
 * @param calibration {@value #CALIBRATION_BINS} bins of predicted probability, {@code [0, 0.1)} to {@code [0.9, 1]}
 * @param winsCorrection the exact Mann–Whitney count of the group minus its histogram's ({@link ScoreHistogram#wins()}):
 *     what a coarsened histogram loses inside its bins. Corrections add up over groups, so {@link #auc()} is exact for a
 *     group and loses only the cross-group pairs that fall in one bin of a sum. 0 (the histogram's AUC) in counts from
 *     agents that predate the field
 */
public record ValidationCounts(long count, long positives, ScoreHistogram histogram, long truePositives,
                               long falsePositives, long trueNegatives, long falseNegatives, double sumSquaredError,
                               List<CalibrationBin> calibration, Double winsCorrection) {
  public static final int CALIBRATION_BINS = 10;

  /** Counts whose AUC is their histogram's (no correction). */
  public ValidationCounts(long count, long positives, ScoreHistogram histogram, long truePositives, long falsePositives,
                          long trueNegatives, long falseNegatives, double sumSquaredError, List<CalibrationBin> calibration) {
    this(count, positives, histogram, truePositives, falsePositives, trueNegatives, falseNegatives, sumSquaredError,
        calibration, 0.0);
  }

  /** Examples whose prediction fell in one calibration bin: how many, the sum of their predictions, the positives. */
  public record CalibrationBin(long count, double sumPredicted, long positives) {
    CalibrationBin plus(CalibrationBin o) {
      return new CalibrationBin(count + o.count, sumPredicted + o.sumPredicted, positives + o.positives);
    }
  }

  public ValidationCounts {
    Objects.requireNonNull(histogram, "histogram");
    if (winsCorrection == null) winsCorrection = 0.0; // counts from an agent that predates the field
    calibration = List.copyOf(calibration);
    if (calibration.size() != CALIBRATION_BINS)
      throw new IllegalArgumentException("calibration must have " + CALIBRATION_BINS + " bins, was " + calibration.size());
    if (count < 0 || positives < 0 || positives > count)
      throw new IllegalArgumentException("count and positives must satisfy 0 <= positives <= count, were " + count + ", " + positives);
    if (truePositives + falseNegatives != positives || falsePositives + trueNegatives != count - positives)
      throw new IllegalArgumentException("confusion counts " + List.of(truePositives, falsePositives, trueNegatives, falseNegatives)
          + " do not add up to " + positives + " positives of " + count);
  }

  public static ValidationCounts empty() {
    List<CalibrationBin> bins = new ArrayList<>();
    for (int b = 0; b < CALIBRATION_BINS; b++) bins.add(new CalibrationBin(0, 0, 0));
    return new ValidationCounts(0, 0, ScoreHistogram.empty(), 0, 0, 0, 0, 0, bins);
  }

  /**
   * Counts over the examples {@code rows} (indices into {@code probabilities} and {@code labels01}).
   *
   * @param threshold a prediction {@code p >= threshold} is positive
   */
  public static ValidationCounts of(float[] probabilities, float[] labels01, int[] rows, double threshold) {
    long n = rows.length, pos = 0, tp = 0, fp = 0, tn = 0, fn = 0;
    double sse = 0;
    long[] hp = new long[ScoreHistogram.BINS], hn = new long[ScoreHistogram.BINS];
    long[] cc = new long[CALIBRATION_BINS], cpos = new long[CALIBRATION_BINS];
    double[] csum = new double[CALIBRATION_BINS];
    for (int r : rows) {
      float p = probabilities[r];
      boolean positive = labels01[r] > 0.5f;
      boolean predicted = p >= threshold;
      if (positive) pos++;
      if (positive && predicted) tp++;
      else if (positive) fn++;
      else if (predicted) fp++;
      else tn++;
      double err = p - (positive ? 1.0 : 0.0);
      sse += err * err;
      int hb = ScoreHistogram.bin(p);
      if (positive) hp[hb]++; else hn[hb]++;
      int cb = calibrationBin(p);
      cc[cb]++;
      csum[cb] += p;
      if (positive) cpos[cb]++;
    }
    List<CalibrationBin> bins = new ArrayList<>();
    for (int b = 0; b < CALIBRATION_BINS; b++) bins.add(new CalibrationBin(cc[b], csum[b], cpos[b]));
    ScoreHistogram h = new ScoreHistogram(hp, hn);
    return new ValidationCounts(n, pos, h, tp, fp, tn, fn, sse, bins,
        ScoreHistogram.exactWins(probabilities, labels01, rows) - h.wins());
  }

  /**
   * The same counts with another histogram of the same examples (coarsened), the correction kept so that
   * {@link #auc()} is unchanged.
   */
  public ValidationCounts withHistogram(ScoreHistogram coarser, List<CalibrationBin> calibrationBins) {
    return new ValidationCounts(count, positives, coarser, truePositives, falsePositives, trueNegatives, falseNegatives,
        sumSquaredError, calibrationBins, winsCorrection + histogram.wins() - coarser.wins());
  }

  /** ROC AUC of these counts: the histogram's Mann–Whitney count with its correction; NaN if a class is absent. */
  public double auc() {
    long neg = count - positives;
    if (positives == 0 || neg == 0) return Double.NaN;
    double a = (histogram.wins() + winsCorrection) / ((double) positives * neg);
    return Math.max(0, Math.min(1, a));
  }

  /** The calibration bin of a probability: {@code floor(10 p)}, with 1 in the last bin and NaN or p <= 0 in the first. */
  public static int calibrationBin(double p) {
    if (!(p > 0)) return 0;
    return (int) Math.min(CALIBRATION_BINS - 1, Math.floor(p * CALIBRATION_BINS));
  }

  public ValidationCounts plus(ValidationCounts o) {
    List<CalibrationBin> bins = new ArrayList<>();
    for (int b = 0; b < CALIBRATION_BINS; b++) bins.add(calibration.get(b).plus(o.calibration.get(b)));
    return new ValidationCounts(count + o.count, positives + o.positives, histogram.plus(o.histogram),
        truePositives + o.truePositives, falsePositives + o.falsePositives, trueNegatives + o.trueNegatives,
        falseNegatives + o.falseNegatives, sumSquaredError + o.sumSquaredError, bins, winsCorrection + o.winsCorrection);
  }
}
