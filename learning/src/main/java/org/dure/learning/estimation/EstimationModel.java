package org.dure.learning.estimation;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * A model fitted exactly by federated Newton–Raphson: its family, its covariates and the parameters that follow
 * from them, and the fixed layout of the vector each site contributes ({@link ContributionLayout}).
 *
 * <p>Logistic, linear and multinomial models have an intercept, named {@value #INTERCEPT}; a Cox model has none
 * (each stratum's baseline hazard absorbs it). Multinomial parameters are laid out class-major: for each class
 * after the first (the reference), the intercept then the covariates, named {@code "class:covariate"}.
 *
 * <p>A site calls {@link #contribution(SiteRows, double[])} with its rows and the coordinator's current
 * coefficients; the coordinator sums the sites' vectors and passes the sum to {@link FederatedNewton}.
 */
public final class EstimationModel {
  /** Name of the intercept parameter. */
  public static final String INTERCEPT = "(intercept)";
  /** Most covariates a model may have; the contribution grows with the square of the parameter count. */
  public static final int MAX_PARAMETERS = 200;

  /** The model family. */
  public enum Family {
    LOGISTIC("odds ratio"), LINEAR(null), MULTINOMIAL("relative risk ratio"), COX("hazard ratio");

    private final String ratioName;

    Family(String ratioName) { this.ratioName = ratioName; }

    /** What {@code exp(estimate)} is called for this family ("odds ratio", ...); null for linear models. */
    public String ratioName() { return ratioName; }
  }

  /** How a Cox partial likelihood treats events at the same time. */
  public enum Ties { BRESLOW, EFRON }

  private final Family family;
  private final List<String> covariates;
  private final List<String> classes;
  private final Ties ties;
  private final List<String> parameterNames;
  private final ContributionLayout layout;

  private EstimationModel(Family family, List<String> covariates, List<String> classes, Ties ties) {
    this.family = family;
    this.covariates = List.copyOf(covariates);
    this.classes = List.copyOf(classes);
    this.ties = ties;
    List<String> names = new ArrayList<>();
    if (family == Family.MULTINOMIAL) {
      for (String c : classes.subList(1, classes.size())) {
        names.add(c + ":" + INTERCEPT);
        for (String v : covariates) names.add(c + ":" + v);
      }
    } else {
      if (family != Family.COX) names.add(INTERCEPT);
      names.addAll(covariates);
    }
    if (names.size() > MAX_PARAMETERS) {
      throw new IllegalArgumentException("model has " + names.size() + " parameters, at most " + MAX_PARAMETERS
          + " are supported; use fewer covariates or classes");
    }
    this.parameterNames = List.copyOf(names);
    this.layout = new ContributionLayout(names.size(), countNames(family, classes));
  }

  /** Logistic regression of a 0/1 outcome on the covariates, with an intercept. */
  public static EstimationModel logistic(List<String> covariates) {
    return new EstimationModel(Family.LOGISTIC, checkCovariates(covariates, false), List.of(), null);
  }

  /** Gaussian linear regression on the covariates, with an intercept; fitted from one round of sums. */
  public static EstimationModel linear(List<String> covariates) {
    return new EstimationModel(Family.LINEAR, checkCovariates(covariates, false), List.of(), null);
  }

  /**
   * Multinomial logistic regression over {@code classes} in the study's order; the first class is the reference.
   */
  public static EstimationModel multinomial(List<String> covariates, List<String> classes) {
    Objects.requireNonNull(classes, "classes");
    if (classes.size() < 2) throw new IllegalArgumentException("classes must name at least 2 classes, was " + classes);
    if (new HashSet<>(classes).size() != classes.size()) {
      throw new IllegalArgumentException("classes must be distinct, was " + classes);
    }
    for (String c : classes) Objects.requireNonNull(c, "classes element");
    return new EstimationModel(Family.MULTINOMIAL, checkCovariates(covariates, false), classes, null);
  }

  /**
   * Cox proportional hazards, with each site's rows (or each stratum of {@link SiteRows#survival(double[][],
   * double[], boolean[], int[])}) forming its own stratum with its own baseline hazard.
   */
  public static EstimationModel cox(List<String> covariates, Ties ties) {
    Objects.requireNonNull(ties, "ties");
    return new EstimationModel(Family.COX, checkCovariates(covariates, true), List.of(), ties);
  }

  private static List<String> checkCovariates(List<String> covariates, boolean atLeastOne) {
    Objects.requireNonNull(covariates, "covariates");
    for (String c : covariates) Objects.requireNonNull(c, "covariates element");
    if (atLeastOne && covariates.isEmpty()) throw new IllegalArgumentException("covariates must not be empty");
    if (new HashSet<>(covariates).size() != covariates.size()) {
      throw new IllegalArgumentException("covariates must be distinct, was " + covariates);
    }
    if (covariates.contains(INTERCEPT)) {
      throw new IllegalArgumentException("covariates must not contain " + INTERCEPT + ", which the model adds");
    }
    return covariates;
  }

  private static List<String> countNames(Family family, List<String> classes) {
    return switch (family) {
      case LOGISTIC -> List.of("rows", "events", "rowsFittedAtZeroOrOne");
      case LINEAR -> List.of("rows");
      case MULTINOMIAL -> {
        List<String> names = new ArrayList<>();
        names.add("rows");
        for (String c : classes) names.add("rows:" + c);
        names.add("rowsFittedAtZeroOrOne");
        yield names;
      }
      case COX -> List.of("rows", "events", "strata", "strataWithoutEvents");
    };
  }

  public Family family() { return family; }

  public List<String> covariates() { return covariates; }

  /** The ordered classes of a multinomial model (the first is the reference); empty otherwise. */
  public List<String> classes() { return classes; }

  /** Ties handling of a Cox model; null otherwise. */
  public Ties ties() { return ties; }

  public List<String> parameterNames() { return parameterNames; }

  public int parameterCount() { return parameterNames.size(); }

  /** Where each figure sits in a contribution vector; its length is fixed by the model alone. */
  public ContributionLayout layout() { return layout; }

  /**
   * A site's contribution at {@code coefficients}: the vector the site sends, to be summed with the others'.
   *
   * @throws EstimationException ({@link EstimationException.Reason#NO_ROWS}) if the site has no rows
   * @throws IllegalArgumentException if the rows do not fit the model (their width, an outcome the family does not
   *     take, a value that is not finite); the message names the column and row, never a value
   */
  public double[] contribution(SiteRows rows, double[] coefficients) {
    Objects.requireNonNull(rows, "rows");
    Objects.requireNonNull(coefficients, "coefficients");
    if (coefficients.length != parameterCount()) {
      throw new IllegalArgumentException("coefficients.length must be " + parameterCount() + " for "
          + parameterNames + ", was " + coefficients.length);
    }
    for (int j = 0; j < coefficients.length; j++) {
      if (!Double.isFinite(coefficients[j])) {
        throw new IllegalArgumentException("coefficient " + parameterNames.get(j) + " must be finite");
      }
    }
    rows.check(this);
    if (rows.size() == 0) {
      throw new EstimationException(EstimationException.Reason.NO_ROWS,
          "this site has no rows for the model; it cannot contribute (check the study's cohort filters)");
    }
    return switch (family) {
      case LOGISTIC -> SiteSums.logistic(rows, coefficients, layout);
      case LINEAR -> SiteSums.linear(rows, coefficients, layout);
      case MULTINOMIAL -> SiteSums.multinomial(rows, coefficients, classes.size(), layout);
      case COX -> SiteSums.cox(rows, coefficients, ties, layout);
    };
  }

  @Override public String toString() {
    return family + parameterNames.toString() + (ties == null ? "" : " ties=" + ties);
  }
}
