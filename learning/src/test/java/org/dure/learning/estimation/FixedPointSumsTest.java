package org.dure.learning.estimation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * What the secure-aggregation wiring must preserve: sums of contributions rounded to a fixed-point grid, as a
 * masked integer sum would deliver them. The grid here has one step for the whole vector, {@code bound / 2^(bits-1)}
 * with {@code bound} the number of sites times the largest element of any site's contribution (a stand-in for a
 * public bound). docs/estimation.md has the figures.
 */
class FixedPointSumsTest {
  private static final List<List<Vectors.Row>> SITES = List.copyOf(Vectors.sites().values());

  private static EstimationResult fitWithRoundedSums(EstimationModel model, List<SiteRows> sites, int bits) {
    FederatedNewton newton = new FederatedNewton(model);
    double[] at = newton.coefficients();
    while (true) {
      double[][] contributions = new double[sites.size()][];
      double bound = 0;
      for (int s = 0; s < sites.size(); s++) {
        contributions[s] = model.contribution(sites.get(s), at);
        for (double v : contributions[s]) bound = Math.max(bound, Math.abs(v));
      }
      double step = bound * sites.size() / Math.pow(2, bits - 1);
      double[] sum = new double[model.layout().length()];
      for (double[] c : contributions) for (int i = 0; i < sum.length; i++) sum[i] += Math.rint(c[i] / step) * step;
      FederatedNewton.Progress next = newton.accept(sum);
      if (next instanceof FederatedNewton.Done done) return done.result();
      at = ((FederatedNewton.Evaluate) next).coefficients();
    }
  }

  private static void assertSameEstimates(EstimationModel model, Function<List<Vectors.Row>, SiteRows> rows) {
    List<SiteRows> sites = SITES.stream().map(rows).toList();
    CoefficientTable exact = assertInstanceOf(EstimationResult.Fitted.class,
        FederatedNewton.fitInProcess(model, sites)).table();
    CoefficientTable rounded = assertInstanceOf(EstimationResult.Fitted.class,
        fitWithRoundedSums(model, sites, 64)).table();
    for (int j = 0; j < model.parameterCount(); j++) {
      Coefficient e = exact.coefficients().get(j), r = rounded.coefficients().get(j);
      assertEquals(e.estimate(), r.estimate(), 1e-10, model + " " + e.name());
      assertEquals(e.standardError(), r.standardError(), 1e-10, model + " SE " + e.name());
    }
  }

  @Test void sixtyFourBitFixedPointSumsGiveThePooledEstimatesForEveryFamily() {
    assertSameEstimates(EstimationModel.logistic(Vectors.COVARIATES), Vectors::binary);
    assertSameEstimates(EstimationModel.linear(Vectors.COVARIATES), Vectors::continuous);
    assertSameEstimates(EstimationModel.multinomial(Vectors.COVARIATES, Vectors.CLASSES), Vectors::categorical);
    assertSameEstimates(EstimationModel.cox(Vectors.COVARIATES, EstimationModel.Ties.EFRON), Vectors::survival);
  }

  @Test void sumsTooCoarseForNewtonEndWithoutATableAndSaySoInsteadOfClaimingSeparation() {
    EstimationModel model = EstimationModel.logistic(Vectors.COVARIATES);
    EstimationResult r = fitWithRoundedSums(model, SITES.stream().map(Vectors::binary).toList(), 32);
    EstimationResult.NotEstimable failure = assertInstanceOf(EstimationResult.NotEstimable.class, r);
    assertEquals(EstimationException.Reason.NOT_CONVERGED, failure.reason());
    assertTrue(failure.message().contains("its precision may be too coarse for this model"), failure.message());
    assertTrue(failure.convergence().evaluations() <= 3 * FederatedNewton.DEFAULT_MAX_ITERATIONS,
        failure.convergence().toString());
  }
}
