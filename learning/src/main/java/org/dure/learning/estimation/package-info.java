/**
 * Exact federated fitting of generalised linear models and Cox proportional hazards by Newton–Raphson.
 *
 * <p>The coordinator announces coefficients ({@link org.dure.learning.estimation.FederatedNewton#coefficients()},
 * zeros at first); every site computes its contribution at them
 * ({@link org.dure.learning.estimation.EstimationModel#contribution}), a flat vector of fixed length holding its
 * log-likelihood, score, information matrix (upper triangle) and counts
 * ({@link org.dure.learning.estimation.ContributionLayout}); the contributions are summed (under secure
 * aggregation once wired) and the coordinator takes a Newton step on the sum
 * ({@link org.dure.learning.estimation.FederatedNewton#accept}). Because every term is a sum over rows (over each
 * site's own risk sets for Cox, stratified by site), the sum is the pooled rows' contribution and the fit equals the
 * pooled fit. It ends with a {@link org.dure.learning.estimation.CoefficientTable} or with the reason, in plain words,
 * why there is none ({@link org.dure.learning.estimation.EstimationResult}). Formulas, what the coordinator learns
 * and what is left to wire: docs/estimation.md.
 */
package org.dure.learning.estimation;
