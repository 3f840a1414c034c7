package org.dure.learning.estimation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The acceptance: federated Newton fits on four non-IID sites equal the pooled fits of independent
 * implementations (R glm, lm, survival::coxph with strata(site); statsmodels MNLogit) on the union of their rows,
 * to 1e-6 in coefficients and 1e-4 in standard errors. The reference results were computed offline by the scripts
 * committed beside the data; this test only reads the files.
 */
class FederatedFitMatchesPooledReferenceTest {
  private static final double COEFFICIENT_TOLERANCE = 1e-6;
  private static final double SE_TOLERANCE = 1e-4;

  private static final Map<String, List<Vectors.Row>> SITES = Vectors.sites();

  private static CoefficientTable fit(EstimationModel model, Function<List<Vectors.Row>, SiteRows> rows) {
    EstimationResult result = FederatedNewton.fitInProcess(model, SITES.values().stream().map(rows).toList());
    return assertInstanceOf(EstimationResult.Fitted.class, result, () -> "not fitted: " + result).table();
  }

  /** Compares every figure of the table with the reference; returns {max |Δ coefficient|, max |Δ SE|}. */
  private static double[] assertMatches(String label, CoefficientTable table, JsonNode ref, boolean wald) {
    List<String> names = Vectors.strings(ref.get("names"));
    double[] est = Vectors.doubles(ref.get("estimate")), se = Vectors.doubles(ref.get("standardError"));
    assertEquals(names, table.coefficients().stream().map(Coefficient::name).toList());
    double maxEst = 0, maxSe = 0;
    for (int j = 0; j < names.size(); j++) {
      Coefficient c = table.coefficients().get(j);
      maxEst = Math.max(maxEst, Math.abs(c.estimate() - est[j]));
      maxSe = Math.max(maxSe, Math.abs(c.standardError() - se[j]));
      assertEquals(est[j], c.estimate(), COEFFICIENT_TOLERANCE, label + " estimate " + names.get(j));
      assertEquals(se[j], c.standardError(), SE_TOLERANCE, label + " SE " + names.get(j));
      if (ref.has("statistic")) {
        assertEquals(ref.get("statistic").get(j).asDouble(), c.statistic(), 1e-4, label + " statistic " + names.get(j));
        double p = ref.get("pValue").get(j).asDouble();
        assertEquals(p, c.pValue(), 1e-4 * p + 1e-12, label + " p-value " + names.get(j));
        assertEquals(ref.get("lower95").get(j).asDouble(), c.lower95(), 1e-4, label + " lower95 " + names.get(j));
        assertEquals(ref.get("upper95").get(j).asDouble(), c.upper95(), 1e-4, label + " upper95 " + names.get(j));
      }
      assertEquals(Math.exp(c.estimate()), c.ratio(), 0);
      assertEquals(Math.exp(c.lower95()), c.ratioLower95(), 0);
    }
    if (ref.has("covariance")) {
      double[] cov = Vectors.doubles(ref.get("covariance"));
      assertEquals(cov.length, table.covariance().length);
      for (int k = 0; k < cov.length; k++) {
        assertEquals(cov[k], table.covariance()[k], 1e-8 * (1 + Math.abs(cov[k])), label + " covariance " + k);
      }
    }
    if (ref.has("logLik")) assertEquals(ref.get("logLik").asDouble(), table.logLikelihood(), 1e-6, label + " logLik");
    assertTrue(table.convergence().converged());
    System.out.printf(Locale.ROOT, "%-12s max |Δ coefficient| %.2e, max |Δ SE| %.2e, %d iterations%n", label, maxEst,
        maxSe, table.convergence().iterations());
    return new double[] {maxEst, maxSe};
  }

  @Test void logisticOnFourSitesEqualsPooledRGlm() {
    CoefficientTable table = fit(EstimationModel.logistic(Vectors.COVARIATES), Vectors::binary);
    assertMatches("logistic", table, Vectors.reference("reference-r.json", "logistic"), true);
    assertEquals(400, table.rows());
    assertEquals("odds ratio", table.family().ratioName());
  }

  @Test void linearOnFourSitesEqualsPooledRLmIncludingResidualStandardError() {
    CoefficientTable table = fit(EstimationModel.linear(Vectors.COVARIATES), Vectors::continuous);
    JsonNode ref = Vectors.reference("reference-r.json", "linear");
    assertMatches("linear", table, ref, false);
    assertEquals(ref.get("residualStandardError").asDouble(), table.residualStandardError(), 1e-9);
    assertEquals(1, table.convergence().iterations(), "the normal equations need one round");
  }

  @Test void multinomialOnFourSitesEqualsPooledStatsmodelsMnlogitWithFirstClassAsReference() {
    CoefficientTable table = fit(EstimationModel.multinomial(Vectors.COVARIATES, Vectors.CLASSES), Vectors::categorical);
    assertMatches("multinomial", table, Vectors.reference("reference-multinomial.json", "multinomial"), true);
  }

  @Test void coxStratifiedBySiteWithEfronTiesEqualsRCoxphWithStrataSite() {
    CoefficientTable table = fit(EstimationModel.cox(Vectors.COVARIATES, EstimationModel.Ties.EFRON), Vectors::survival);
    assertMatches("cox efron", table, Vectors.reference("reference-r.json", "cox_efron"), true);
    assertEquals("hazard ratio", table.family().ratioName());
  }

  @Test void coxStratifiedBySiteWithBreslowTiesEqualsRCoxphWithStrataSite() {
    CoefficientTable table = fit(EstimationModel.cox(Vectors.COVARIATES, EstimationModel.Ties.BRESLOW), Vectors::survival);
    assertMatches("cox breslow", table, Vectors.reference("reference-r.json", "cox_breslow"), true);
  }
}
