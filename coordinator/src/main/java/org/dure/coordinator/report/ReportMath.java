package org.dure.coordinator.report;

import java.util.ArrayList;
import java.util.List;
import org.dure.protocol.metrics.ScoreHistogram;
import org.dure.protocol.metrics.ValidationCounts;

/** The validation report's statistics, from aggregate counts only. */
final class ReportMath {
  private ReportMath() {}

  /**
   * The 95% confidence interval of an AUC by Hanley and McNeil (Radiology 1982): standard error
   * {@code sqrt((A(1-A) + (P-1)(Q1-A²) + (N-1)(Q2-A²)) / (P N))} with {@code Q1 = A/(2-A)}, {@code Q2 = 2A²/(1+A)},
   * interval {@code A ± 1.96 SE} clipped to [0, 1]. NaN bounds when the AUC is NaN or a class is absent.
   */
  static double[] hanleyMcNeil(double auc, long positives, long negatives) {
    double se = hanleyMcNeilStandardError(auc, positives, negatives);
    if (Double.isNaN(se)) return new double[] {Double.NaN, Double.NaN};
    return new double[] {Math.max(0, auc - 1.959964 * se), Math.min(1, auc + 1.959964 * se)};
  }

  static double hanleyMcNeilStandardError(double auc, long positives, long negatives) {
    if (Double.isNaN(auc) || positives < 1 || negatives < 1) return Double.NaN;
    double a2 = auc * auc, q1 = auc / (2 - auc), q2 = 2 * a2 / (1 + auc);
    double v = (auc * (1 - auc) + (positives - 1) * (q1 - a2) + (negatives - 1) * (q2 - a2)) / ((double) positives * negatives);
    return Math.sqrt(Math.max(0, v));
  }

  /** Expected calibration error: the count-weighted mean over bins of |mean prediction − observed positive rate|. */
  static double expectedCalibrationError(List<ValidationCounts.CalibrationBin> bins) {
    long n = 0;
    double sum = 0;
    for (ValidationCounts.CalibrationBin b : bins) {
      if (b.count() == 0) continue;
      n += b.count();
      sum += Math.abs(b.sumPredicted() - b.positives()); // = count * |mean p - observed rate|
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /**
   * The ROC curve of a score histogram as (false-positive rate, true-positive rate) points from (0, 0) to (1, 1),
   * one per non-empty bin, lowering the threshold bin by bin; empty when a class is absent.
   */
  static List<double[]> roc(ScoreHistogram h) {
    long[] pos = h.positives(), neg = h.negatives();
    long p = 0, n = 0;
    for (int b = 0; b < pos.length; b++) { p += pos[b]; n += neg[b]; }
    List<double[]> out = new ArrayList<>();
    if (p == 0 || n == 0) return out;
    out.add(new double[] {0, 0});
    long tp = 0, fp = 0;
    for (int b = pos.length - 1; b >= 0; b--) {
      if (pos[b] + neg[b] == 0) continue;
      tp += pos[b];
      fp += neg[b];
      out.add(new double[] {(double) fp / n, (double) tp / p});
    }
    return out;
  }

  /** The flag rule ({@link StudyReport#FLAG_RULE}): well below the pooled AUC, and its interval entirely below it too. */
  static boolean flagged(StudyReport.Group g, double pooledAuc) {
    if (g == null || Double.isNaN(g.auc()) || Double.isNaN(pooledAuc)) return false;
    return pooledAuc - g.auc() > StudyReport.FLAG_MARGIN && g.aucUpper() < pooledAuc;
  }
}
