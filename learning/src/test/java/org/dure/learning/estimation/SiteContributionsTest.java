package org.dure.learning.estimation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** What a site sends: a fixed-length vector whose sum over sites is the pooled rows' contribution. */
class SiteContributionsTest {
  private static final Map<String, List<Vectors.Row>> SITES = Vectors.sites();
  private static final List<Vectors.Row> UNION = Vectors.union(SITES);

  private static double[] sumOfSites(EstimationModel model, Function<List<Vectors.Row>, SiteRows> rows, double[] at) {
    double[] sum = new double[model.layout().length()];
    for (List<Vectors.Row> site : SITES.values()) {
      double[] c = model.contribution(rows.apply(site), at);
      assertEquals(sum.length, c.length);
      for (int i = 0; i < sum.length; i++) sum[i] += c[i];
    }
    return sum;
  }

  private static void assertClose(double[] expected, double[] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-9 * (1 + Math.abs(expected[i])), "element " + i);
    }
  }

  @Test void logisticSiteContributionsSumToThePooledContribution() {
    EstimationModel model = EstimationModel.logistic(Vectors.COVARIATES);
    double[] at = {-3.5, 0.05, 0.4, 0.9};
    assertClose(model.contribution(Vectors.binary(UNION), at), sumOfSites(model, Vectors::binary, at));
  }

  @Test void linearSiteContributionsSumToThePooledContribution() {
    EstimationModel model = EstimationModel.linear(Vectors.COVARIATES);
    double[] at = {-5, 0.4, -1, 2.5};
    assertClose(model.contribution(Vectors.continuous(UNION), at), sumOfSites(model, Vectors::continuous, at));
  }

  @Test void multinomialSiteContributionsSumToThePooledContribution() {
    EstimationModel model = EstimationModel.multinomial(Vectors.COVARIATES, Vectors.CLASSES);
    double[] at = {-3, 0.05, 0.7, 0.4, -5, 0.08, 0.2, 1};
    assertClose(model.contribution(Vectors.categorical(UNION), at), sumOfSites(model, Vectors::categorical, at));
  }

  @Test void coxSiteContributionsSumToThePooledContributionStratifiedBySite() {
    for (EstimationModel.Ties ties : EstimationModel.Ties.values()) {
      EstimationModel model = EstimationModel.cox(Vectors.COVARIATES, ties);
      double[] at = {0.03, 0.5, 0.6};
      double[] pooled = model.contribution(Vectors.survivalStratifiedBySite(SITES), at);
      assertClose(pooled, sumOfSites(model, Vectors::survival, at));
      assertEquals(4, pooled[model.layout().count("strata")]);
      // and the strata matter: the union in one stratum (one baseline hazard) is a different likelihood
      double[] unstratified = model.contribution(Vectors.survival(UNION), at);
      assertTrue(Math.abs(unstratified[0] - pooled[0]) > 1, ties + ": " + unstratified[0] + " vs " + pooled[0]);
    }
  }

  @Test void linearContributionAtZeroIsTheNormalEquations() {
    EstimationModel model = EstimationModel.linear(List.of("x"));
    double[][] x = {{1}, {2}, {4}};
    double[] y = {3, 5, 6};
    double[] c = model.contribution(SiteRows.continuous(x, y), new double[2]);
    ContributionLayout l = model.layout();
    assertEquals(9 + 25 + 36, c[ContributionLayout.OBJECTIVE], 0, "y'y");
    assertArrayEquals(new double[] {14, 3 + 10 + 24}, new double[] {c[1], c[2]}, 0, "X'y");
    assertEquals(3, c[l.information(0, 0)], 0);
    assertEquals(7, c[l.information(0, 1)], 0);
    assertEquals(21, c[l.information(1, 1)], 0);
    assertEquals(3, c[l.count("rows")], 0);
  }

  @Test void contributionLengthIsFixedByTheModelAloneNotBySiteSize() {
    List<String> cov = Vectors.COVARIATES;
    assertEquals(1 + 4 + 10 + 3, EstimationModel.logistic(cov).layout().length());
    assertEquals(1 + 4 + 10 + 1, EstimationModel.linear(cov).layout().length());
    assertEquals(1 + 8 + 36 + 5, EstimationModel.multinomial(cov, Vectors.CLASSES).layout().length());
    assertEquals(1 + 3 + 6 + 4, EstimationModel.cox(cov, EstimationModel.Ties.EFRON).layout().length());
    EstimationModel model = EstimationModel.logistic(cov);
    double[] at = new double[4];
    List<List<Vectors.Row>> sites = List.copyOf(SITES.values());
    assertEquals(model.contribution(Vectors.binary(sites.get(0).subList(0, 3)), at).length,
        model.contribution(Vectors.binary(UNION), at).length);
  }

  @Test void multinomialParametersAreClassMajorWithTheFirstClassAsReference() {
    EstimationModel model = EstimationModel.multinomial(List.of("age"), List.of("low", "mid", "high"));
    assertEquals(List.of("mid:(intercept)", "mid:age", "high:(intercept)", "high:age"), model.parameterNames());
  }

  @Test void siteWithNoRowsIsRefusedWithItsReason() {
    EstimationModel model = EstimationModel.logistic(List.of("age"));
    EstimationException e = assertThrows(EstimationException.class,
        () -> model.contribution(SiteRows.binary(new double[0][], new int[0]), new double[2]));
    assertEquals(EstimationException.Reason.NO_ROWS, e.reason());
  }

  @Test void missingCovariateIsNamedWithItsRowButNotItsValue() {
    EstimationModel model = EstimationModel.logistic(List.of("age", "creatinine"));
    SiteRows rows = SiteRows.binary(new double[][] {{50, 1.1}, {61, Double.NaN}}, new int[] {0, 1});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> model.contribution(rows, new double[3]));
    assertEquals("covariate creatinine is missing or not finite in row 1; impute or drop such rows before estimation",
        e.getMessage());
  }

  @Test void negativeSurvivalTimeIsRefused() {
    EstimationModel model = EstimationModel.cox(List.of("age"), EstimationModel.Ties.EFRON);
    SiteRows rows = SiteRows.survival(new double[][] {{50}, {61}}, new double[] {3, -1}, new boolean[] {true, false});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> model.contribution(rows, new double[1]));
    assertEquals("the time of row 1 must be finite and >= 0", e.getMessage());
  }

  @Test void sumOfTheWrongLengthIsRefusedNamingBothLengths() {
    FederatedNewton newton = new FederatedNewton(EstimationModel.logistic(List.of("age")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> newton.accept(new double[8]));
    assertTrue(e.getMessage().startsWith("sum.length must be 9 for LOGISTIC[(intercept), age], was 8"), e.getMessage());
  }

  /** Score = gradient of the objective and information = minus its Hessian, by central differences, at {@code at}. */
  private static void assertDerivatives(EstimationModel model, SiteRows rows, double[] at, double sign) {
    ContributionLayout l = model.layout();
    double[] c = model.contribution(rows, at);
    double h = 1e-5;
    for (int j = 0; j < at.length; j++) {
      double[] plus = at.clone(), minus = at.clone();
      plus[j] += h;
      minus[j] -= h;
      double[] cp = model.contribution(rows, plus), cm = model.contribution(rows, minus);
      double slope = sign * (cp[0] - cm[0]) / (2 * h);
      double g = c[l.gradientOffset() + j];
      assertEquals(g, slope, 1e-5 * (1 + Math.abs(g)), model + " score " + j);
      for (int i = 0; i < at.length; i++) {
        double curvature = -(cp[l.gradientOffset() + i] - cm[l.gradientOffset() + i]) / (2 * h);
        double info = c[l.information(i, j)];
        assertEquals(info, curvature, 1e-5 * (1 + Math.abs(info)), model + " information " + i + "," + j);
      }
    }
  }

  @Test void scoreAndInformationAreTheDerivativesOfTheLogLikelihoodAwayFromTheOptimum() {
    assertDerivatives(EstimationModel.logistic(Vectors.COVARIATES), Vectors.binary(UNION),
        new double[] {-3.5, 0.05, 0.4, 0.9}, 1);
    assertDerivatives(EstimationModel.multinomial(Vectors.COVARIATES, Vectors.CLASSES), Vectors.categorical(UNION),
        new double[] {-3, 0.05, 0.7, 0.4, -5, 0.08, 0.2, 1}, 1);
    for (EstimationModel.Ties ties : EstimationModel.Ties.values()) {
      assertDerivatives(EstimationModel.cox(Vectors.COVARIATES, ties), Vectors.survivalStratifiedBySite(SITES),
          new double[] {0.02, 0.3, 0.8}, 1);
    }
    // linear: the objective is the residual sum of squares, whose gradient is -2 X'(y - Xb)
    assertDerivatives(EstimationModel.linear(Vectors.COVARIATES), Vectors.continuous(UNION),
        new double[] {-5, 0.4, -1, 2.5}, -0.5);
  }
}
