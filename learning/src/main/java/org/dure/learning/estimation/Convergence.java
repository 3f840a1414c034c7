package org.dure.learning.estimation;

/**
 * How Newton–Raphson ended.
 *
 * @param converged whether the convergence criterion was met
 * @param iterations Newton steps computed (rounds of contributions that moved the coefficients)
 * @param evaluations rounds of contributions the sites computed, including step-halving retries
 * @param maxChange the largest absolute change of a coefficient in the last step
 * @param decrement the Newton decrement {@code g' I^-1 g} of the last step: twice the log-likelihood gain it
 *     predicted (scale-free)
 */
public record Convergence(boolean converged, int iterations, int evaluations, double maxChange, double decrement) {}
