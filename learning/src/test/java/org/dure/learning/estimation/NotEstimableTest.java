package org.dure.learning.estimation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.dure.learning.estimation.EstimationException.Reason;
import org.junit.jupiter.api.Test;

/** Data that has no estimates gets a reason in plain words, never a table. */
class NotEstimableTest {
  private static EstimationResult.NotEstimable notEstimable(EstimationModel model, List<SiteRows> sites) {
    EstimationResult r = FederatedNewton.fitInProcess(model, sites);
    return assertInstanceOf(EstimationResult.NotEstimable.class, r, () -> "expected no estimates, got " + r);
  }

  /** Two sites; {@code x1} separates the outcome perfectly, {@code x2} is noise. */
  private static List<SiteRows> separated(boolean quasi) {
    Random random = new Random(7);
    double[][][] x = new double[2][40][];
    int[][] y = new int[2][40];
    for (int s = 0; s < 2; s++) {
      for (int i = 0; i < 40; i++) {
        double x1 = (i - 19.5) / 4 + s;
        if (quasi && i % 10 == 0) x1 = 0;  // rows at the boundary carry both outcomes
        x[s][i] = new double[] {x1, random.nextGaussian()};
        y[s][i] = x1 > 0 || (quasi && x1 == 0 && i % 20 == 0) ? 1 : 0;
      }
    }
    return List.of(SiteRows.binary(x[0], y[0]), SiteRows.binary(x[1], y[1]));
  }

  @Test void perfectlySeparatedOutcomeIsReportedAsSeparationNamingTheDivergingCoefficient() {
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.logistic(List.of("x1", "x2")), separated(false));
    assertEquals(Reason.SEPARATION, r.reason());
    assertTrue(r.message().startsWith("perfect or quasi-complete separation: the fitted probability of the observed"
        + " outcome is 0 or 1"), r.message());
    assertTrue(r.message().contains("x1"), r.message());
    assertTrue(r.convergence().iterations() < FederatedNewton.DEFAULT_MAX_ITERATIONS,
        "stops once the likelihood is flat, not at the iteration limit: " + r.convergence());
    assertTrue(r.message().contains("the maximum-likelihood estimates do not exist"), r.message());
  }

  @Test void quasiCompletelySeparatedOutcomeIsReportedAsSeparation() {
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.logistic(List.of("x1", "x2")), separated(true));
    assertEquals(Reason.SEPARATION, r.reason());
    assertTrue(r.message().contains("x1"), r.message());
  }

  @Test void multinomialClassSeparatedByACovariateIsReportedAsSeparation() {
    List<SiteRows> binary = separated(false);
    Random random = new Random(3);
    double[][] x = new double[60][];
    int[] cls = new int[60];
    for (int i = 0; i < 60; i++) {
      x[i] = new double[] {random.nextGaussian()};
      cls[i] = x[i][0] > 1 ? 2 : random.nextInt(2);   // only rows with x > 1 are "high", and all of them
    }
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.multinomial(List.of("x"), List.of("a", "b", "high")),
        List.of(SiteRows.categorical(x, cls)));
    assertEquals(Reason.SEPARATION, r.reason());
    assertTrue(r.message().contains("high:x"), r.message());
  }

  private static double[][] collinear(Random random, int n) {
    double[][] x = new double[n][];
    for (int i = 0; i < n; i++) {
      double a = random.nextGaussian(), b = random.nextGaussian();
      x[i] = new double[] {a, random.nextGaussian(), b, a - 2 * b};
    }
    return x;
  }

  private static final List<String> COLLINEAR = List.of("age", "sex", "weight", "age_minus_2_weight");

  @Test void collinearColumnsInALogisticModelAreNamedAsTheSingularInformation() {
    Random random = new Random(11);
    double[][] x1 = collinear(random, 50), x2 = collinear(random, 70);
    int[] y1 = random.ints(50, 0, 2).toArray(), y2 = random.ints(70, 0, 2).toArray();
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.logistic(COLLINEAR),
        List.of(SiteRows.binary(x1, y1), SiteRows.binary(x2, y2)));
    assertEquals(Reason.SINGULAR_INFORMATION, r.reason());
    assertEquals("the information matrix is singular: columns age, weight, age_minus_2_weight are collinear (one is a"
        + " linear combination of the others, or of the intercept), or without variation; drop one of them and fit"
        + " again", r.message());
  }

  @Test void collinearColumnsInALinearModelAreNamed() {
    Random random = new Random(12);
    double[][] x = collinear(random, 80);
    double[] y = random.doubles(80).toArray();
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.linear(COLLINEAR),
        List.of(SiteRows.continuous(x, y)));
    assertEquals(Reason.SINGULAR_INFORMATION, r.reason());
    assertTrue(r.message().startsWith("the information matrix is singular: columns age, weight, age_minus_2_weight are"
        + " collinear"), r.message());
  }

  @Test void columnConstantAtEverySiteIsNamedWithTheIntercept() {
    Random random = new Random(13);
    double[][] x = new double[60][];
    for (int i = 0; i < 60; i++) x[i] = new double[] {random.nextGaussian(), 1};
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.linear(List.of("age", "all_adults")),
        List.of(SiteRows.continuous(x, random.doubles(60).toArray())));
    assertEquals(Reason.SINGULAR_INFORMATION, r.reason());
    assertTrue(r.message().startsWith("the information matrix is singular: columns (intercept), all_adults are"),
        r.message());
  }

  @Test void collinearColumnsInACoxModelAreNamed() {
    Random random = new Random(14);
    double[][] x = collinear(random, 90);
    double[] time = random.doubles(90, 1, 50).map(Math::ceil).toArray();
    boolean[] event = new boolean[90];
    for (int i = 0; i < 90; i++) event[i] = random.nextDouble() < 0.6;
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.cox(COLLINEAR, EstimationModel.Ties.EFRON),
        List.of(SiteRows.survival(x, time, event)));
    assertEquals(Reason.SINGULAR_INFORMATION, r.reason());
    assertTrue(r.message().startsWith("the information matrix is singular: columns age, weight, age_minus_2_weight are"
        + " collinear within the risk sets"), r.message());
  }

  @Test void coxCovariateThatOrdersEveryEventIsReportedAsMonotoneLikelihood() {
    Random random = new Random(15);
    int n = 60;
    double[][] x = new double[n][];
    double[] time = new double[n];
    boolean[] event = new boolean[n];
    for (int i = 0; i < n; i++) {
      time[i] = i + 1;
      event[i] = i % 3 != 2;
      x[i] = new double[] {n - i, random.nextGaussian()};   // the earlier the time, the higher the risk score
    }
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.cox(List.of("score", "noise"),
        EstimationModel.Ties.BRESLOW), List.of(SiteRows.survival(x, time, event)));
    assertEquals(Reason.SEPARATION, r.reason());
    assertTrue(r.message().startsWith("monotone partial likelihood (the Cox analogue of separation): coefficient score keeps"),
        r.message());
  }

  @Test void multinomialClassWithNoRowsAtAnySiteIsNamed() {
    Random random = new Random(16);
    double[][] x = new double[30][];
    for (int i = 0; i < 30; i++) x[i] = new double[] {random.nextGaussian()};
    int[] cls = random.ints(30, 0, 2).toArray();
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.multinomial(List.of("x"),
        List.of("mild", "moderate", "severe")), List.of(SiteRows.categorical(x, cls)));
    assertEquals(Reason.EMPTY_CLASS, r.reason());
    assertEquals("class 'severe' of the outcome has no rows at any site; remove it from the study's classes (or merge"
        + " with a neighbouring class) and fit again", r.message());
  }

  @Test void coxWithoutAnyEventIsRefused() {
    double[][] x = {{1}, {2}, {3}};
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.cox(List.of("x"), EstimationModel.Ties.EFRON),
        List.of(SiteRows.survival(x, new double[] {1, 2, 3}, new boolean[3])));
    assertEquals(Reason.NO_EVENTS, r.reason());
    assertTrue(r.message().startsWith("no events in any of the 1 strata (3 rows)"), r.message());
  }

  @Test void logisticOutcomeThatIsAlwaysZeroIsRefused() {
    double[][] x = {{1}, {2}, {3}};
    EstimationResult.NotEstimable r = notEstimable(EstimationModel.logistic(List.of("x")),
        List.of(SiteRows.binary(x, new int[3])));
    assertEquals(Reason.NO_EVENTS, r.reason());
    assertEquals("the outcome is 0 in every one of the 3 rows at every site; a logistic model needs both outcomes",
        r.message());
  }

  @Test void coxStratumWithoutEventsIsNotedButTheOthersAreFitted() {
    var sites = Vectors.sites();
    List<SiteRows> rows = new java.util.ArrayList<>(sites.values().stream().map(Vectors::survival).toList());
    double[][] x = {{50, 0, 0.1}, {60, 1, -0.3}, {70, 0, 0.2}};
    rows.add(SiteRows.survival(x, new double[] {5, 9, 12}, new boolean[3]));
    EstimationResult r = FederatedNewton.fitInProcess(EstimationModel.cox(Vectors.COVARIATES,
        EstimationModel.Ties.EFRON), rows);
    CoefficientTable table = assertInstanceOf(EstimationResult.Fitted.class, r).table();
    assertEquals(List.of("1 of 5 strata had no events and add nothing to the partial likelihood"), table.notes());
    double[] reference = Vectors.doubles(Vectors.reference("reference-r.json", "cox_efron").get("estimate"));
    for (int j = 0; j < 3; j++) assertEquals(reference[j], table.coefficients().get(j).estimate(), 1e-6);
  }

  @Test void convergedFitWithAnExtremeRowIsReportedWithANoteNotAsSeparation() {
    Random random = new Random(17);
    int n = 201;
    double[][] x = new double[n][];
    int[] y = new int[n];
    for (int i = 0; i < n - 1; i++) {
      x[i] = new double[] {random.nextGaussian()};
      y[i] = random.nextDouble() < 1 / (1 + Math.exp(-(0.3 + x[i][0]))) ? 1 : 0;
    }
    x[n - 1] = new double[] {40};   // fitted probability 1 - 1e-17, and indeed an event
    y[n - 1] = 1;
    EstimationResult r = FederatedNewton.fitInProcess(EstimationModel.logistic(List.of("x")),
        List.of(SiteRows.binary(x, y)));
    CoefficientTable table = assertInstanceOf(EstimationResult.Fitted.class, r, () -> r.toString()).table();
    assertEquals(List.of("1 row has a fitted probability of its observed outcome within 1.0E-10 of 0 or 1 although"
        + " the fit converged; check for extreme covariate values"), table.notes());
  }
}
