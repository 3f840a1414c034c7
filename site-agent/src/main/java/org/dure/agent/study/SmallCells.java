package org.dure.agent.study;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dure.learning.eval.BinaryMetrics;
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.metrics.ScoreHistogram;
import org.dure.protocol.metrics.ValidationCounts;

/**
 * The site's minimum cell size applied to the score counts that leave it, counted in <b>patients</b>, not rows. A
 * score histogram is what a crafted model turns into a cross-table of the validation patients (each combination of
 * covariates mapped to its own score bin), so it leaves only as groups of adjacent bins in which each class holds no
 * patient or at least {@code k} (a frequency-table threshold rule, zeros allowed: a good model's low scores are all
 * negatives). Bins are merged in order until a group passes; a remainder that does not pass is merged back into the
 * groups before it until it does. Each class's count of a group is kept at that class's median bin in the group. A split with fewer than {@code k}
 * patients of either class sends no histogram at all.
 */
final class SmallCells {
  private SmallCells() {}

  /** Whether a group with these patient counts may leave: each class 0 or at least k. */
  private static boolean passes(int pos, int neg, int k) {
    return (pos == 0 || pos >= k) && (neg == 0 || neg >= k) && pos + neg > 0;
  }

  /**
   * Groups of adjacent bins ({@code {start, end}}, covering every bin) that each pass the cell rule, or null when no
   * grouping does (a class has fewer than {@code k} patients in all).
   */
  static List<int[]> groups(List<Set<Integer>> posPatients, List<Set<Integer>> negPatients, int k) {
    int bins = posPatients.size();
    List<int[]> out = new ArrayList<>();
    List<Set<Integer>> gp = new ArrayList<>(), gn = new ArrayList<>(); // each group's patients, for merging back
    Set<Integer> p = new HashSet<>(), n = new HashSet<>();
    int start = 0;
    for (int b = 0; b < bins; b++) {
      p.addAll(posPatients.get(b));
      n.addAll(negPatients.get(b));
      if (passes(p.size(), n.size(), k)) {
        out.add(new int[] {start, b});
        gp.add(p);
        gn.add(n);
        p = new HashSet<>();
        n = new HashSet<>();
        start = b + 1;
      }
    }
    if (start < bins) {
      // the remainder: merge it with the groups before it until the merged group passes (or stays empty)
      int end = bins - 1;
      while (!(p.isEmpty() && n.isEmpty()) && !passes(p.size(), n.size(), k)) {
        if (out.isEmpty()) return null;
        int last = out.size() - 1;
        start = out.remove(last)[0];
        p.addAll(gp.remove(last));
        n.addAll(gn.remove(last));
      }
      if (out.isEmpty() && p.isEmpty() && n.isEmpty()) return null;
      out.add(new int[] {start, end});
    }
    return out.isEmpty() ? null : out;
  }

  /**
   * The histogram of {@code rows} (indices into {@code probabilities}/{@code labels01}) with bins merged to pass the cell
   * rule, or null when a class has fewer than {@code k} patients among them.
   *
   * @param patientOfRow each row's patient (dense index), or null when every row is its own patient
   */
  static ScoreHistogram histogram(float[] probabilities, float[] labels01, int[] rows, int[] patientOfRow, int k) {
    long[] cls = patientsPerClass(labels01, rows, patientOfRow);
    if (cls[0] < k || cls[1] < k) return null;
    int bins = ScoreHistogram.BINS;
    long[] posRows = new long[bins], negRows = new long[bins];
    List<Set<Integer>> pp = sets(bins), np = sets(bins);
    for (int r : rows) {
      int b = ScoreHistogram.bin(probabilities[r]);
      boolean positive = labels01[r] > 0.5f;
      (positive ? pp : np).get(b).add(patientOfRow == null ? r : patientOfRow[r]);
      if (positive) posRows[b]++; else negRows[b]++;
    }
    List<int[]> groups = groups(pp, np, k);
    if (groups == null) return null;
    long[] pos = new long[bins], neg = new long[bins];
    for (int[] g : groups) {
      place(posRows, g, pos);
      place(negRows, g, neg);
    }
    return new ScoreHistogram(pos, neg);
  }

  /**
   * Puts one class's rows of group {@code g} at the class's median bin within the group: a statistic of at least k
   * patients, and one that keeps a good model's separation (a group's few positives at its top stay above its many
   * negatives at its bottom), so the pooled AUC stays close to the exact one.
   */
  private static void place(long[] rows, int[] g, long[] out) {
    long total = 0;
    for (int b = g[0]; b <= g[1]; b++) total += rows[b];
    if (total == 0) return;
    long seen = 0;
    for (int b = g[0]; b <= g[1]; b++) {
      seen += rows[b];
      if (2 * seen >= total) {
        out[b] += total;
        return;
      }
    }
  }

  private static List<Set<Integer>> sets(int n) {
    List<Set<Integer>> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(new HashSet<>());
    return out;
  }

  /** Distinct patients of each class among {@code rows}: {@code {negatives, positives}}. */
  static long[] patientsPerClass(float[] labels01, int[] rows, int[] patientOfRow) {
    Set<Integer> pos = new HashSet<>(), neg = new HashSet<>();
    for (int r : rows) (labels01[r] > 0.5f ? pos : neg).add(patientOfRow == null ? r : patientOfRow[r]);
    return new long[] {neg.size(), pos.size()};
  }

  /**
   * A round's evaluation of a global model on the validation split, as it may leave the site: the coarsened histogram
   * and the AUC computed from it; nothing (count 0, the pooled metrics leave this site out) when either class has
   * fewer than {@code k} patients.
   */
  static Evaluation evaluation(float[] probabilities, float[] labels01, int[] patientOfRow, int k) {
    int[] all = new int[probabilities.length];
    for (int i = 0; i < all.length; i++) all[i] = i;
    ScoreHistogram h = histogram(probabilities, labels01, all, patientOfRow, k);
    if (h == null) return withheld();
    BinaryMetrics m = BinaryMetrics.of(probabilities, labels01);
    // the site's AUC is exact (one number over at least k patients of each class); the coarsened histogram is for pooling
    return new Evaluation(m.count(), m.positives(), m.logLoss(), m.accuracy(), m.auc(), h);
  }

  /** An evaluation that carries nothing: the coordinator's pooled metrics are computed without this site. */
  static Evaluation withheld() {
    return org.dure.agent.chain.PolicyFilter.withheld();
  }

  /**
   * Validation-report counts with the histogram merged and the calibration bins merged likewise (each merged
   * calibration bin, kept at its first bin, holds no patient or at least {@code k} of each class), or null when a class
   * has fewer than {@code k} patients among {@code rows}.
   */
  static ValidationCounts counts(float[] probabilities, float[] labels01, int[] rows, int[] patientOfRow, double threshold,
                                 int k) {
    ScoreHistogram h = histogram(probabilities, labels01, rows, patientOfRow, k);
    if (h == null) return null;
    ValidationCounts c = ValidationCounts.of(probabilities, labels01, rows, threshold);
    int nb = ValidationCounts.CALIBRATION_BINS;
    List<Set<Integer>> pp = sets(nb), np = sets(nb);
    for (int r : rows) {
      int b = ValidationCounts.calibrationBin(probabilities[r]);
      (labels01[r] > 0.5f ? pp : np).get(b).add(patientOfRow == null ? r : patientOfRow[r]);
    }
    long[] count = new long[nb], positives = new long[nb];
    double[] sum = new double[nb];
    for (int[] g : groups(pp, np, k)) { // not null: each class has at least k patients (the histogram passed)
      for (int b = g[0]; b <= g[1]; b++) {
        ValidationCounts.CalibrationBin bin = c.calibration().get(b);
        count[g[0]] += bin.count();
        positives[g[0]] += bin.positives();
        sum[g[0]] += bin.sumPredicted();
      }
    }
    List<ValidationCounts.CalibrationBin> bins = new ArrayList<>();
    for (int b = 0; b < nb; b++) bins.add(new ValidationCounts.CalibrationBin(count[b], sum[b], positives[b]));
    return c.withHistogram(h, bins);
  }
}
