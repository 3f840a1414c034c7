package org.dure.learning.estimation;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.bytedeco.openblas.global.openblas;

/**
 * A pooled information matrix, factorised once by LAPACK's symmetric eigensolver ({@code dsyev}, from the OpenBLAS
 * that ND4J's CPU backend links) after scaling it to unit diagonal, so that its condition does not depend on the
 * covariates' units. From the factorisation: whether it is numerically singular and which columns make it so, the
 * Newton step and the inverse (the covariance of the estimates).
 */
final class Information {
  /** Smallest eigenvalue, relative to the largest, of the unit-diagonal matrix that still counts as regular. */
  static final double SINGULAR_BELOW = 1e-11;
  /** A column takes part in a null direction when its weight in that unit eigenvector exceeds this. */
  private static final double LOADING = 0.05;

  private final int q;
  private final double[] scale;
  private final double[] vectors;
  private final double[] values;
  private final List<Integer> degenerate;

  private Information(int q, double[] scale, double[] vectors, double[] values, List<Integer> degenerate) {
    this.q = q;
    this.scale = scale;
    this.vectors = vectors;
    this.values = values;
    this.degenerate = degenerate;
  }

  static Information of(double[] contribution, ContributionLayout layout) {
    int q = layout.parameters();
    double[] scale = new double[q];
    List<Integer> empty = new ArrayList<>();
    for (int j = 0; j < q; j++) {
      double d = contribution[layout.information(j, j)];
      if (!(d > 0) || !Double.isFinite(d)) {
        empty.add(j);
        scale[j] = 1;
      } else {
        scale[j] = 1 / Math.sqrt(d);
      }
    }
    double[] a = new double[q * q];
    for (int i = 0; i < q; i++) {
      for (int j = 0; j < q; j++) a[i + j * q] = contribution[layout.information(i, j)] * scale[i] * scale[j];
    }
    for (int j : empty) {
      for (int i = 0; i < q; i++) a[i + j * q] = a[j + i * q] = 0;
    }
    double[] w = new double[q];
    int info = openblas.LAPACKE_dsyev(openblas.LAPACK_COL_MAJOR, (byte) 'V', (byte) 'U', q, a, q, w);
    if (info != 0) throw new ArithmeticException("LAPACK dsyev failed with info " + info);
    double max = w[q - 1];
    TreeSet<Integer> degenerate = new TreeSet<>(empty);
    for (int k = 0; k < q; k++) {
      if (max > 0 && w[k] > SINGULAR_BELOW * max) continue;
      for (int j = 0; j < q; j++) {
        if (Math.abs(a[j + k * q]) > LOADING) degenerate.add(j);
      }
    }
    return new Information(q, scale, a, w, List.copyOf(degenerate));
  }

  boolean singular() { return !degenerate.isEmpty(); }

  /** Indices of the parameters in a (numerical) null direction, or with no information at all; sorted. */
  List<Integer> degenerate() { return degenerate; }

  /** Smallest over largest eigenvalue of the unit-diagonal matrix. */
  double reciprocalCondition() { return values[0] / values[q - 1]; }

  /** {@code I^-1 g}. */
  double[] solve(double[] g) {
    double[][] inv = inverse();
    double[] x = new double[q];
    for (int i = 0; i < q; i++) {
      double s = 0;
      for (int j = 0; j < q; j++) s += inv[i][j] * g[j];
      x[i] = s;
    }
    return x;
  }

  /** {@code I^-1 = D V diag(1/w) V' D}, with {@code D} the scaling to unit diagonal. */
  double[][] inverse() {
    if (singular()) throw new IllegalStateException("information matrix is singular");
    double[][] inv = new double[q][q];
    for (int i = 0; i < q; i++) {
      for (int j = i; j < q; j++) {
        double s = 0;
        for (int k = 0; k < q; k++) s += vectors[i + k * q] * vectors[j + k * q] / values[k];
        inv[i][j] = inv[j][i] = s * scale[i] * scale[j];
      }
    }
    return inv;
  }
}
