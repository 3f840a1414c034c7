package org.dure.learning.estimation;

/**
 * One row of a coefficient table.
 *
 * @param name the parameter ({@code "(intercept)"}, a covariate, or {@code "class:covariate"})
 * @param estimate the maximum-likelihood (least-squares for linear models) estimate
 * @param standardError from the inverse of the pooled information matrix (times the residual variance for linear
 *     models)
 * @param statistic Wald z ({@code estimate / standardError}); t for linear models
 * @param pValue two-sided, from the normal distribution (t on the residual degrees of freedom for linear models)
 * @param lower95 lower end of the 95% Wald interval (t interval for linear models)
 * @param upper95 upper end
 */
public record Coefficient(String name, double estimate, double standardError, double statistic, double pValue,
                          double lower95, double upper95) {
  /** {@code exp(estimate)}: the odds, hazard or relative-risk ratio. */
  public double ratio() { return Math.exp(estimate); }

  public double ratioLower95() { return Math.exp(lower95); }

  public double ratioUpper95() { return Math.exp(upper95); }
}
