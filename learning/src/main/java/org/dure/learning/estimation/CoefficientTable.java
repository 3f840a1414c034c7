package org.dure.learning.estimation;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The fitted model as a clinician would put it in a paper.
 *
 * @param family the model family; {@code family.ratioName()} names {@link Coefficient#ratio()} (null for linear)
 * @param coefficients one row per parameter, in the model's order
 * @param logLikelihood the pooled log-likelihood at the estimates (log partial likelihood for Cox); NaN for
 *     linear models
 * @param residualStandardError for linear models, {@code sqrt(RSS / (n - q))}; NaN otherwise
 * @param rows pooled rows
 * @param events pooled events (rows with outcome 1, or Cox events); -1 where the family has none
 * @param convergence how the fit ended
 * @param notes plain-words remarks that do not invalidate the table (e.g. strata without events)
 */
public record CoefficientTable(EstimationModel.Family family, List<Coefficient> coefficients, double logLikelihood,
                               double residualStandardError, long rows, long events, Convergence convergence,
                               List<String> notes) {
  public CoefficientTable {
    Objects.requireNonNull(family, "family");
    coefficients = List.copyOf(coefficients);
    notes = List.copyOf(notes);
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
