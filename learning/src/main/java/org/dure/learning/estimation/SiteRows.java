package org.dure.learning.estimation;

import java.util.Objects;

/**
 * One site's rows for an {@link EstimationModel}: its covariates (one row per patient record, one column per
 * {@link EstimationModel#covariates() covariate}, in the model's order, without the intercept) and its outcome.
 * The arrays are copied; they never leave the site.
 */
public final class SiteRows {
  private enum Kind { BINARY, CONTINUOUS, CATEGORICAL, SURVIVAL }

  private final Kind kind;
  final double[][] x;
  final double[] y;
  final int[] category;
  final double[] time;
  final boolean[] event;
  final int[] stratum;

  private SiteRows(Kind kind, double[][] x, double[] y, int[] category, double[] time, boolean[] event,
                   int[] stratum) {
    Objects.requireNonNull(x, "covariates");
    this.kind = kind;
    this.x = new double[x.length][];
    for (int i = 0; i < x.length; i++) this.x[i] = Objects.requireNonNull(x[i], "covariates row").clone();
    this.y = y == null ? null : y.clone();
    this.category = category == null ? null : category.clone();
    this.time = time == null ? null : time.clone();
    this.event = event == null ? null : event.clone();
    this.stratum = stratum == null ? null : stratum.clone();
    int n = x.length;
    for (Object a : new Object[] {this.y, this.category, this.time, this.event, this.stratum}) {
      if (a != null && java.lang.reflect.Array.getLength(a) != n) {
        throw new IllegalArgumentException("every outcome array must have one entry per covariate row (" + n
            + "), one has " + java.lang.reflect.Array.getLength(a));
      }
    }
  }

  /** Rows of a logistic model: {@code outcome01[i]} is 0 or 1. */
  public static SiteRows binary(double[][] covariates, int[] outcome01) {
    Objects.requireNonNull(outcome01, "outcome01");
    double[] y = new double[outcome01.length];
    for (int i = 0; i < y.length; i++) {
      if (outcome01[i] != 0 && outcome01[i] != 1) {
        throw new IllegalArgumentException("outcome01 must be 0 or 1, row " + i + " is not");
      }
      y[i] = outcome01[i];
    }
    return new SiteRows(Kind.BINARY, covariates, y, null, null, null, null);
  }

  /** Rows of a linear model: a finite numeric outcome. */
  public static SiteRows continuous(double[][] covariates, double[] outcome) {
    return new SiteRows(Kind.CONTINUOUS, covariates, Objects.requireNonNull(outcome, "outcome"), null, null, null,
        null);
  }

  /** Rows of a multinomial model: {@code classIndex[i]} indexes the model's {@code classes}. */
  public static SiteRows categorical(double[][] covariates, int[] classIndex) {
    return new SiteRows(Kind.CATEGORICAL, covariates, null, Objects.requireNonNull(classIndex, "classIndex"), null,
        null, null);
  }

  /** Rows of a Cox model, all in one stratum (the site's). */
  public static SiteRows survival(double[][] covariates, double[] time, boolean[] event) {
    return survival(covariates, time, event, new int[Objects.requireNonNull(covariates, "covariates").length]);
  }

  /**
   * Rows of a Cox model in several strata of this site, each with its own baseline hazard and risk sets; this is
   * what the union of several sites' rows is, with the site as the stratum.
   */
  public static SiteRows survival(double[][] covariates, double[] time, boolean[] event, int[] stratum) {
    return new SiteRows(Kind.SURVIVAL, covariates, null, null, Objects.requireNonNull(time, "time"),
        Objects.requireNonNull(event, "event"), Objects.requireNonNull(stratum, "stratum"));
  }

  /** Number of rows. */
  public int size() { return x.length; }

  void check(EstimationModel model) {
    Kind expected = switch (model.family()) {
      case LOGISTIC -> Kind.BINARY;
      case LINEAR -> Kind.CONTINUOUS;
      case MULTINOMIAL -> Kind.CATEGORICAL;
      case COX -> Kind.SURVIVAL;
    };
    if (kind != expected) {
      throw new IllegalArgumentException("a " + model.family() + " model needs " + expected + " rows, these are "
          + kind);
    }
    int c = model.covariates().size();
    for (int i = 0; i < x.length; i++) {
      if (x[i].length != c) {
        throw new IllegalArgumentException("row " + i + " has " + x[i].length + " covariates, the model has " + c
            + " " + model.covariates());
      }
      for (int j = 0; j < c; j++) {
        if (!Double.isFinite(x[i][j])) {
          throw new IllegalArgumentException("covariate " + model.covariates().get(j) + " is missing or not finite"
              + " in row " + i + "; impute or drop such rows before estimation");
        }
      }
      if (y != null && !Double.isFinite(y[i])) {
        throw new IllegalArgumentException("the outcome is missing or not finite in row " + i);
      }
      if (category != null && (category[i] < 0 || category[i] >= model.classes().size())) {
        throw new IllegalArgumentException("the class of row " + i + " is not one of the model's "
            + model.classes().size() + " classes " + model.classes());
      }
      if (time != null && !(time[i] >= 0 && time[i] < Double.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException("the time of row " + i + " must be finite and >= 0");
      }
    }
  }
}
