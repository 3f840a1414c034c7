package org.dure.learning.estimation;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** The sums a site contributes, per family; see {@link ContributionLayout} and docs/estimation.md. */
final class SiteSums {
  /** A fitted probability this close to 0 or 1 for a row's observed outcome marks (quasi-)separation. */
  static final double BOUNDARY = 1e-10;

  private SiteSums() {}

  /** The design row: intercept, then covariates. */
  private static double[] design(double[] covariates) {
    double[] z = new double[covariates.length + 1];
    z[0] = 1;
    System.arraycopy(covariates, 0, z, 1, covariates.length);
    return z;
  }

  private static double dot(double[] a, double[] b, int offset) {
    double s = 0;
    for (int j = 0; j < a.length; j++) s += a[j] * b[offset + j];
    return s;
  }

  /** Adds {@code w * z z'} to the packed upper triangle of block {@code (rowBlock, colBlock)} of size p. */
  private static void addOuter(double[] out, ContributionLayout layout, double w, double[] z, int rowOffset,
                               int colOffset) {
    for (int a = 0; a < z.length; a++) {
      double wa = w * z[a];
      for (int b = 0; b < z.length; b++) {
        int i = rowOffset + a, j = colOffset + b;
        if (i <= j) out[layout.information(i, j)] += wa * z[b];
      }
    }
  }

  /** {@code log(1 + exp(eta))} without overflow. */
  private static double log1pExp(double eta) {
    return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
  }

  static double[] logistic(SiteRows rows, double[] beta, ContributionLayout layout) {
    double[] out = new double[layout.length()];
    int g = layout.gradientOffset();
    long events = 0, boundary = 0;
    for (int i = 0; i < rows.size(); i++) {
      double[] z = design(rows.x[i]);
      double eta = dot(z, beta, 0), y = rows.y[i];
      double mu = 1 / (1 + Math.exp(-eta)), oneMinusMu = 1 / (1 + Math.exp(eta));
      out[ContributionLayout.OBJECTIVE] += y * eta - log1pExp(eta);
      double r = y - mu;
      for (int j = 0; j < z.length; j++) out[g + j] += r * z[j];
      addOuter(out, layout, mu * oneMinusMu, z, 0, 0);
      double observed = y == 1 ? mu : oneMinusMu;
      if (observed > 1 - BOUNDARY || observed < BOUNDARY) boundary++;
      if (y == 1) events++;
    }
    out[layout.count("rows")] = rows.size();
    out[layout.count("events")] = events;
    out[layout.count("rowsFittedAtZeroOrOne")] = boundary;
    return out;
  }

  /** At {@code beta}: {@code [ (y-Xb)'(y-Xb), X'(y-Xb), X'X, n ]}; at zero these are y'y, X'y, X'X, n. */
  static double[] linear(SiteRows rows, double[] beta, ContributionLayout layout) {
    double[] out = new double[layout.length()];
    int g = layout.gradientOffset();
    for (int i = 0; i < rows.size(); i++) {
      double[] z = design(rows.x[i]);
      double r = rows.y[i] - dot(z, beta, 0);
      out[ContributionLayout.OBJECTIVE] += r * r;
      for (int j = 0; j < z.length; j++) out[g + j] += r * z[j];
      addOuter(out, layout, 1, z, 0, 0);
    }
    out[layout.count("rows")] = rows.size();
    return out;
  }

  static double[] multinomial(SiteRows rows, double[] beta, int classes, ContributionLayout layout) {
    double[] out = new double[layout.length()];
    int g = layout.gradientOffset();
    int p = beta.length / (classes - 1);
    long[] perClass = new long[classes];
    long boundary = 0;
    double[] eta = new double[classes], pi = new double[classes];
    for (int i = 0; i < rows.size(); i++) {
      double[] z = design(rows.x[i]);
      int y = rows.category[i];
      eta[0] = 0;
      double max = 0;
      for (int k = 1; k < classes; k++) {
        eta[k] = dot(z, beta, (k - 1) * p);
        max = Math.max(max, eta[k]);
      }
      double sum = 0;
      for (int k = 0; k < classes; k++) sum += pi[k] = Math.exp(eta[k] - max);
      for (int k = 0; k < classes; k++) pi[k] /= sum;
      out[ContributionLayout.OBJECTIVE] += eta[y] - (max + Math.log(sum));
      for (int k = 1; k < classes; k++) {
        double r = (y == k ? 1 : 0) - pi[k];
        for (int j = 0; j < p; j++) out[g + (k - 1) * p + j] += r * z[j];
        for (int l = k; l < classes; l++) {
          double w = (k == l ? pi[k] : 0) - pi[k] * pi[l];
          addOuter(out, layout, w, z, (k - 1) * p, (l - 1) * p);
        }
      }
      if (pi[y] > 1 - BOUNDARY || pi[y] < BOUNDARY) boundary++;
      perClass[y]++;
    }
    out[layout.count("rows")] = rows.size();
    for (int k = 0; k < classes; k++) out[layout.countsOffset() + 1 + k] = perClass[k];
    out[layout.count("rowsFittedAtZeroOrOne")] = boundary;
    return out;
  }

  /**
   * The stratified log partial likelihood, its score and information: each stratum's risk sets hold only its own
   * rows, so the sums over strata (and over sites) are exact. Linear predictors are shifted by their maximum
   * within the stratum before {@code exp}; the shift cancels in every term.
   */
  static double[] cox(SiteRows rows, double[] beta, EstimationModel.Ties ties, ContributionLayout layout) {
    double[] out = new double[layout.length()];
    long events = 0;
    int[] strata = IntStream.of(rows.stratum).distinct().sorted().toArray();
    int withoutEvents = 0;
    for (int s : strata) {
      int[] idx = IntStream.range(0, rows.size()).filter(i -> rows.stratum[i] == s).boxed()
          .sorted(Comparator.comparingDouble((Integer i) -> -rows.time[i])).mapToInt(Integer::intValue).toArray();
      long stratumEvents = coxStratum(rows, idx, beta, ties, layout, out);
      if (stratumEvents == 0) withoutEvents++;
      events += stratumEvents;
    }
    out[layout.count("rows")] = rows.size();
    out[layout.count("events")] = events;
    out[layout.count("strata")] = strata.length;
    out[layout.count("strataWithoutEvents")] = withoutEvents;
    return out;
  }

  /**
   * One stratum, {@code idx} sorted by decreasing time, so that each row joins the risk set when its time is
   * reached. The weights {@code exp(eta)} are kept relative to the largest {@code eta} in the risk set so far (the
   * sums are rescaled when it grows), so that the risk set's sum never underflows; the shift cancels in the score
   * and information and is accounted for in the log partial likelihood. Returns the stratum's number of events.
   */
  private static long coxStratum(SiteRows rows, int[] idx, double[] beta, EstimationModel.Ties ties,
                                 ContributionLayout layout, double[] out) {
    int q = beta.length, g = layout.gradientOffset();
    double shift = Double.NEGATIVE_INFINITY;
    double s0 = 0;
    double[] s1 = new double[q];
    double[][] s2 = new double[q][q];
    double[] e1 = new double[q], xSum = new double[q];
    double[][] e2 = new double[q][q];
    long events = 0;
    int a = 0;
    while (a < idx.length) {
      double t = rows.time[idx[a]];
      int d = 0;
      double e0 = 0, etaSum = 0;
      for (double[] r : e2) Arrays.fill(r, 0);
      Arrays.fill(e1, 0);
      Arrays.fill(xSum, 0);
      for (; a < idx.length && rows.time[idx[a]] == t; a++) {
        double[] x = rows.x[idx[a]];
        double eta = dot(x, beta, 0);
        if (eta > shift) {
          double f = Math.exp(shift - eta);
          s0 *= f;
          e0 *= f;
          for (int i = 0; i < q; i++) {
            s1[i] *= f;
            e1[i] *= f;
            for (int j = i; j < q; j++) {
              s2[i][j] *= f;
              e2[i][j] *= f;
            }
          }
          shift = eta;
        }
        double w = Math.exp(eta - shift);
        s0 += w;
        for (int i = 0; i < q; i++) {
          s1[i] += w * x[i];
          for (int j = i; j < q; j++) s2[i][j] += w * x[i] * x[j];
        }
        if (rows.event[idx[a]]) {
          d++;
          etaSum += eta;
          e0 += w;
          for (int i = 0; i < q; i++) {
            xSum[i] += x[i];
            e1[i] += w * x[i];
            for (int j = i; j < q; j++) e2[i][j] += w * x[i] * x[j];
          }
        }
      }
      if (d == 0) continue;
      events += d;
      out[ContributionLayout.OBJECTIVE] += etaSum - d * shift;
      for (int i = 0; i < q; i++) out[g + i] += xSum[i];
      int terms = ties == EstimationModel.Ties.EFRON ? d : 1;
      double weight = ties == EstimationModel.Ties.EFRON ? 1 : d;
      double[] mean = new double[q];
      for (int l = 0; l < terms; l++) {
        double f = ties == EstimationModel.Ties.EFRON ? (double) l / d : 0;
        double r0 = s0 - f * e0;
        out[ContributionLayout.OBJECTIVE] -= weight * Math.log(r0);
        for (int i = 0; i < q; i++) {
          mean[i] = (s1[i] - f * e1[i]) / r0;
          out[g + i] -= weight * mean[i];
        }
        for (int i = 0; i < q; i++) {
          for (int j = i; j < q; j++) {
            out[layout.information(i, j)] += weight * ((s2[i][j] - f * e2[i][j]) / r0 - mean[i] * mean[j]);
          }
        }
      }
    }
    return events;
  }
}
