package org.dure.learning.estimation;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The fitted model as a clinician would put it in a paper.
 *
 * @param family the model family; {@code family.ratioName()} names {@link Coefficient#ratio()} (null for linear)
 * @param coefficients one row per parameter, in the model's order
 * @param covariance the estimates' covariance matrix ({@code I^-1}, times the residual variance for linear models),
 *     upper triangle row by row as in {@link ContributionLayout}; read it with {@link #covariance(int, int)}
 * @param logLikelihood the pooled log-likelihood at the estimates (log partial likelihood for Cox); NaN for
 *     linear models
 * @param residualStandardError for linear models, {@code sqrt(RSS / (n - q))}; NaN otherwise
 * @param rows pooled rows
 * @param events pooled events (rows with outcome 1, or Cox events); -1 where the family has none
 * @param convergence how the fit ended
 * @param notes plain-words remarks that do not invalidate the table (e.g. strata without events)
 */
public record CoefficientTable(EstimationModel.Family family, List<Coefficient> coefficients, double[] covariance,
                               double logLikelihood,
                               double residualStandardError, long rows, long events, Convergence convergence,
                               List<String> notes) {
  public CoefficientTable {
    Objects.requireNonNull(family, "family");
    coefficients = List.copyOf(coefficients);
    int q = coefficients.size();
    if (covariance.length != q * (q + 1) / 2) {
      throw new IllegalArgumentException("covariance.length must be " + q * (q + 1) / 2 + ", was " + covariance.length);
    }
    covariance = covariance.clone();
    notes = List.copyOf(notes);
  }

  @Override public double[] covariance() { return covariance.clone(); }

  /** Covariance of the estimates of parameters {@code i} and {@code j}, either order. */
  public double covariance(int i, int j) {
    int q = coefficients.size();
    if (i > j) { int t = i; i = j; j = t; }
    if (i < 0 || j >= q) throw new IndexOutOfBoundsException("(" + i + ", " + j + ") outside " + q + " parameters");
    return covariance[i * q - i * (i - 1) / 2 + (j - i)];
  }

  @Override public boolean equals(Object o) {
    return o instanceof CoefficientTable t && family == t.family && coefficients.equals(t.coefficients)
        && Arrays.equals(covariance, t.covariance) && Double.compare(logLikelihood, t.logLikelihood) == 0
        && Double.compare(residualStandardError, t.residualStandardError) == 0 && rows == t.rows
        && events == t.events && convergence.equals(t.convergence) && notes.equals(t.notes);
  }

  @Override public int hashCode() {
    return Objects.hash(family, coefficients, Arrays.hashCode(covariance), logLikelihood, rows, events, notes);
  }

  /** The row for {@code name}. */
  public Coefficient coefficient(String name) {
    return coefficients.stream().filter(c -> c.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no coefficient " + name));
  }

  /** A plain-text table. */
  public String toText() {
    String stat = family == EstimationModel.Family.LINEAR ? "t" : "z";
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-24s %11s %10s %22s %8s %9s", "parameter",
        "estimate", "SE", "95% CI", stat, "p"));
    if (family.ratioName() != null) b.append(String.format(Locale.ROOT, "  %-24s", family.ratioName() + " (95% CI)"));
    b.append('\n');
    for (Coefficient c : coefficients) {
      b.append(String.format(Locale.ROOT, "%-24s %11.5f %10.5f %10.5f to %8.5f %8.3f %9.3g", c.name(), c.estimate(),
          c.standardError(), c.lower95(), c.upper95(), c.statistic(), c.pValue()));
      if (family.ratioName() != null) {
        b.append(String.format(Locale.ROOT, "  %.3f (%.3f-%.3f)", c.ratio(), c.ratioLower95(), c.ratioUpper95()));
      }
      b.append('\n');
    }
    b.append(String.format(Locale.ROOT, "%d rows%s; %s after %d iterations (last change %.2g)", rows,
        events >= 0 ? ", " + events + " events" : "", convergence.converged() ? "converged" : "did not converge",
        convergence.iterations(), convergence.maxChange()));
    for (String n : notes) b.append('\n').append(n);
    return b.toString();
  }
}
