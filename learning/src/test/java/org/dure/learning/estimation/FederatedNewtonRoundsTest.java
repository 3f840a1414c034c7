package org.dure.learning.estimation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The coordinator's loop as the wiring will run it: one round of summed contributions per {@code Evaluate}. */
class FederatedNewtonRoundsTest {
  private static final List<SiteRows> SITES = Vectors.sites().values().stream().map(Vectors::binary).toList();
  private static final EstimationModel MODEL = EstimationModel.logistic(Vectors.COVARIATES);

  private static double[] round(double[] at) {
    double[] sum = new double[MODEL.layout().length()];
    for (SiteRows site : SITES) {
      double[] c = MODEL.contribution(site, at);
      for (int i = 0; i < sum.length; i++) sum[i] += c[i];
    }
    return sum;
  }

  @Test void everyRoundEvaluatesTheCoefficientsTheCoordinatorAnnouncedStartingAtZero() {
    FederatedNewton newton = new FederatedNewton(MODEL);
    double[] at = newton.coefficients();
    assertArrayEquals(new double[4], at);
    List<double[]> points = new ArrayList<>();
    FederatedNewton.Progress next;
    do {
      points.add(at);
      next = newton.accept(round(at));
      if (next instanceof FederatedNewton.Evaluate e) {
        at = e.coefficients();
        assertArrayEquals(at, newton.coefficients(), 0);
      }
    } while (!(next instanceof FederatedNewton.Done));
    CoefficientTable table = assertInstanceOf(EstimationResult.Fitted.class,
        ((FederatedNewton.Done) next).result()).table();
    assertEquals(points.size(), table.convergence().evaluations(), "one evaluation per round of contributions");
    assertTrue(table.convergence().decrement() <= FederatedNewton.DECREMENT_TOLERANCE);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> newton.accept(round(new double[4])));
    assertEquals("this fit has ended; start a new FederatedNewton", e.getMessage());
  }

  @Test void stepThatLowersTheLikelihoodIsHalvedAndReEvaluated() {
    FederatedNewton newton = new FederatedNewton(MODEL);
    FederatedNewton.Evaluate first = assertInstanceOf(FederatedNewton.Evaluate.class, newton.accept(round(new double[4])));
    double[] full = first.coefficients();
    // the sites report a worse likelihood at the proposed point than at zero: the coordinator asks for the midpoint
    double[] worse = round(full);
    worse[ContributionLayout.OBJECTIVE] = round(new double[4])[ContributionLayout.OBJECTIVE] - 1;
    FederatedNewton.Evaluate halved = assertInstanceOf(FederatedNewton.Evaluate.class, newton.accept(worse));
    for (int j = 0; j < 4; j++) assertEquals(full[j] / 2, halved.coefficients()[j], 1e-15);
  }

  @Test void tableReadsAsInAPaperWithOddsRatiosAndTheirIntervals() {
    CoefficientTable table = assertInstanceOf(EstimationResult.Fitted.class,
        FederatedNewton.fitInProcess(MODEL, SITES)).table();
    String text = table.toText();
    assertTrue(text.contains("odds ratio (95% CI)"), text);
    Coefficient sex = table.coefficient("sex");
    assertTrue(text.contains(String.format(java.util.Locale.ROOT, "%.3f (%.3f-%.3f)", sex.ratio(), sex.ratioLower95(),
        sex.ratioUpper95())), text);
    assertTrue(text.endsWith("400 rows, 219 events; converged after " + table.convergence().iterations()
        + " iterations (last change " + String.format(java.util.Locale.ROOT, "%.2g", table.convergence().maxChange())
        + ")"), text);
  }
}
