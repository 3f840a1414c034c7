package org.dure.learning.estimation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.distribution.RealDistribution;
import org.apache.commons.math3.distribution.TDistribution;
import org.dure.learning.estimation.EstimationException.Reason;
import org.dure.learning.estimation.EstimationModel.Family;

/**
 * The coordinator's side of an exact federated fit: Newton–Raphson (IRLS for the GLMs) on summed contributions.
 *
 * <pre>{@code
 * FederatedNewton newton = new FederatedNewton(model);
 * double[] beta = newton.coefficients();                  // zeros: the first point every site evaluates
 * while (true) {
 *   double[] sum = sumOfSites(s -> model.contribution(rowsOf(s), beta));   // under secure aggregation
 *   FederatedNewton.Progress next = newton.accept(sum);
 *   if (next instanceof FederatedNewton.Done done) return done.result();
 *   beta = ((FederatedNewton.Evaluate) next).coefficients();
 * }
 * }</pre>
 *
 * <p>Each round the sites evaluate their contributions at the same coefficients; the sum is exactly the contribution
 * of the pooled rows (each Cox stratum keeping its own risk sets), so every step, and the result, equals the pooled
 * fit's. A step that lowers the log-likelihood is halved and re-evaluated. The fit has converged when the Newton
 * decrement {@code g' I^-1 g} is below {@value #DECREMENT_TOLERANCE} and no coefficient moves by more than
 * {@value #CHANGE_TOLERANCE} times {@code (1 + |coefficient|)}; at most {@code 3 × maxIterations} rounds are
 * asked for, halvings included. The estimates are the last point plus its (tiny)
 * step and the standard errors come from the inverse information there. A linear model ends after its first round:
 * at zero its contribution is exactly the normal equations' {@code y'y, X'y, X'X, n}.
 *
 * <p>Not thread-safe; one instance per fit.
 */
public final class FederatedNewton {
  public static final int DEFAULT_MAX_ITERATIONS = 30;
  static final double DECREMENT_TOLERANCE = 1e-10;
  static final double CHANGE_TOLERANCE = 1e-8;
  private static final int MAX_HALVINGS = 20;
  /** At most this many rounds of contributions per allowed iteration, halvings included. */
  private static final int ROUNDS_PER_ITERATION = 3;
  /** A step counts towards divergence only if it moves the coefficient by more than this, relative. */
  private static final double MOVING = 1e-3;
  /** A Newton decrement this small while coefficients diverge: the likelihood is flat along their direction. */
  private static final double FLAT = 1e-6;
  /**
   * Consecutive steps in which a coefficient grew in the same direction by more than {@link #MOVING} of its size,
   * each at least half the previous one (not the quadratic shrinking of a converging Newton iteration), before it
   * counts as diverging.
   */
  private static final int DIVERGING_STEPS = 5;

  /** What the coordinator does next. */
  public sealed interface Progress permits Evaluate, Done {}

  /** Have the sites compute their contributions at {@code coefficients} and pass the sum to {@link #accept}. */
  public record Evaluate(double[] coefficients) implements Progress {
    public Evaluate { coefficients = coefficients.clone(); }

    @Override public double[] coefficients() { return coefficients.clone(); }

    @Override public boolean equals(Object o) {
      return o instanceof Evaluate e && Arrays.equals(coefficients, e.coefficients);
    }

    @Override public int hashCode() { return Arrays.hashCode(coefficients); }

    @Override public String toString() { return "Evaluate" + Arrays.toString(coefficients); }
  }

  /** The fit has ended. */
  public record Done(EstimationResult result) implements Progress {}

  private final EstimationModel model;
  private final ContributionLayout layout;
  private final int maxIterations;
  private final int q;
  private double[] beta;
  private double[] accepted;
  private double acceptedObjective;
  private double[] step;
  private final int[] growing;
  private int halvings, iterations, evaluations;
  private double lastMaxChange = Double.NaN, lastDecrement = Double.NaN;
  private final List<String> notes = new ArrayList<>();
  private boolean done;

  public FederatedNewton(EstimationModel model) { this(model, DEFAULT_MAX_ITERATIONS); }

  public FederatedNewton(EstimationModel model, int maxIterations) {
    this.model = Objects.requireNonNull(model, "model");
    if (maxIterations < 1) throw new IllegalArgumentException("maxIterations must be >= 1, was " + maxIterations);
    this.layout = model.layout();
    this.maxIterations = maxIterations;
    this.q = model.parameterCount();
    this.beta = new double[q];
    this.growing = new int[q];
  }

  /**
   * Fits {@code model} on the sites' rows summed in the clear, in this process: the reference for the federated
   * loop, and what a rehearsal on local files runs.
   */
  public static EstimationResult fitInProcess(EstimationModel model, List<SiteRows> sites) {
    Objects.requireNonNull(sites, "sites");
    FederatedNewton newton = new FederatedNewton(model);
    double[] at = newton.coefficients();
    while (true) {
      double[] sum = new double[model.layout().length()];
      for (SiteRows site : sites) {
        double[] c = model.contribution(site, at);
        for (int i = 0; i < sum.length; i++) sum[i] += c[i];
      }
      Progress next = newton.accept(sum);
      if (next instanceof Done d) return d.result();
      at = ((Evaluate) next).coefficients();
    }
  }

  /** The coefficients at which the sites evaluate their next contributions (zeros at first). */
  public double[] coefficients() { return beta.clone(); }

  /**
   * Takes the sum of the sites' contributions at {@link #coefficients()} and says what comes next.
   *
   * @throws IllegalArgumentException if {@code sum} does not have the model's layout length or holds a value that
   *     is not finite
   * @throws IllegalStateException if the fit has already ended
   */
  public Progress accept(double[] sum) {
    if (done) throw new IllegalStateException("this fit has ended; start a new FederatedNewton");
    Objects.requireNonNull(sum, "sum");
    if (sum.length != layout.length()) {
      throw new IllegalArgumentException("sum.length must be " + layout.length() + " for " + model + ", was "
          + sum.length + "; check that every site runs the same model specification");
    }
    for (int i = 0; i < sum.length; i++) {
      if (!Double.isFinite(sum[i])) {
        throw new IllegalArgumentException("sum[" + i + "] is not finite; a site's sums overflowed or were corrupted");
      }
    }
    evaluations++;
    if (accepted == null) {
      EstimationResult problem = checkCounts(sum);
      if (problem != null) return finish(problem);
    }
    if (model.family() == Family.LINEAR) return finish(linear(sum));
    double objective = sum[ContributionLayout.OBJECTIVE];
    if (accepted != null && objective < acceptedObjective - 1e-12 * (1 + Math.abs(acceptedObjective))) {
      if (++halvings > MAX_HALVINGS) {
        return finish(notConverged("the log-likelihood did not increase along the Newton direction even after "
            + MAX_HALVINGS + " step halvings (if the sums were aggregated in fixed point, its precision may be too"
            + " coarse for this model)", boundaryRows(sum)));
      }
      for (int j = 0; j < q; j++) {
        step[j] /= 2;
        beta[j] = accepted[j] + step[j];
      }
      return evaluate(boundaryRows(sum));
    }
    accepted = beta.clone();
    acceptedObjective = objective;
    halvings = 0;
    long boundary = boundaryRows(sum);
    Information info = Information.of(sum, layout);
    if (info.singular()) {
      if (iterations == 0) return finish(singular(info));
      return finish(notConverged("the information matrix became singular at iteration " + iterations
          + " (columns " + names(info.degenerate()) + ")", boundary));
    }
    double[] g = Arrays.copyOfRange(sum, layout.gradientOffset(), layout.gradientOffset() + q);
    double[] next = info.solve(g);
    double decrement = 0, maxChange = 0;
    boolean small = true;
    for (int j = 0; j < q; j++) {
      decrement += g[j] * next[j];
      maxChange = Math.max(maxChange, Math.abs(next[j]));
      if (Math.abs(next[j]) > CHANGE_TOLERANCE * (1 + Math.abs(beta[j]))) small = false;
      boolean grows = step != null && next[j] * step[j] > 0 && Math.abs(beta[j] + next[j]) > Math.abs(beta[j])
          && Math.abs(next[j]) >= 0.5 * Math.abs(step[j]) && Math.abs(next[j]) > MOVING * (1 + Math.abs(beta[j]));
      growing[j] = grows ? growing[j] + 1 : 0;
    }
    iterations++;
    lastMaxChange = maxChange;
    lastDecrement = decrement;
    if (decrement <= DECREMENT_TOLERANCE && small) {
      if (boundary > 0) {
        notes.add(boundary + (boundary == 1 ? " row has" : " rows have") + " a fitted probability of its observed"
            + " outcome within " + SiteSums.BOUNDARY + " of 0 or 1 although the fit converged; check for extreme"
            + " covariate values");
      }
      double[] estimate = new double[q];
      for (int j = 0; j < q; j++) estimate[j] = beta[j] + next[j];
      return finish(new EstimationResult.Fitted(table(estimate, info.inverse(), 1, objective, sum,
          new NormalDistribution(null, 0, 1), Double.NaN)));
    }
    boolean diverging = Arrays.stream(growing).anyMatch(n -> n >= DIVERGING_STEPS);
    if (diverging && (boundary > 0 || decrement <= FLAT)) {
      return finish(notConverged("stopped at iteration " + iterations + " with the log-likelihood "
          + (boundary > 0 ? "approaching its supremum" : "flat") + " while they grow", boundary));
    }
    step = next;
    for (int j = 0; j < q; j++) beta[j] = accepted[j] + step[j];
    if (iterations >= maxIterations) {
      return finish(notConverged("no convergence in " + maxIterations + " iterations", boundary));
    }
    return evaluate(boundary);
  }

  /** Asks for the next round at {@code beta}, unless the fit has used up its rounds. */
  private Progress evaluate(long boundary) {
    if (evaluations >= ROUNDS_PER_ITERATION * maxIterations) {
      return finish(notConverged("no convergence in " + evaluations + " rounds of contributions (step halvings"
          + " included; if the sums were aggregated in fixed point, its precision may be too coarse for this model)",
          boundary));
    }
    return new Evaluate(beta);
  }

  private Done finish(EstimationResult result) {
    done = true;
    return new Done(result);
  }

  private Convergence convergence(boolean converged) {
    return new Convergence(converged, iterations, evaluations, lastMaxChange, lastDecrement);
  }

  private double count(double[] sum, String name) { return sum[layout.count(name)]; }

  private long boundaryRows(double[] sum) {
    return layout.counts().contains("rowsFittedAtZeroOrOne") ? Math.round(count(sum, "rowsFittedAtZeroOrOne")) : 0;
  }

  private EstimationResult checkCounts(double[] sum) {
    long rows = Math.round(count(sum, "rows"));
    if (rows == 0) return failure(Reason.NO_ROWS, "no site contributed any rows; check the study's cohort filters");
    switch (model.family()) {
      case LOGISTIC -> {
        long events = Math.round(count(sum, "events"));
        if (events == 0 || events == rows) {
          return failure(Reason.NO_EVENTS, "the outcome is " + (events == 0 ? 0 : 1) + " in every one of the "
              + rows + " rows at every site; a logistic model needs both outcomes");
        }
      }
      case LINEAR -> {
        if (rows <= q) {
          return failure(Reason.NO_ROWS, "a linear model with " + q + " parameters needs more than " + q
              + " rows, the sites have " + rows + " in all");
        }
      }
      case MULTINOMIAL -> {
        List<String> empty = new ArrayList<>();
        for (int k = 0; k < model.classes().size(); k++) {
          if (sum[layout.countsOffset() + 1 + k] == 0) empty.add("'" + model.classes().get(k) + "'");
        }
        if (!empty.isEmpty()) {
          return failure(Reason.EMPTY_CLASS, (empty.size() == 1 ? "class " : "classes ") + String.join(", ", empty)
              + " of the outcome " + (empty.size() == 1 ? "has" : "have") + " no rows at any site; remove "
              + (empty.size() == 1 ? "it" : "them") + " from the study's classes (or merge with a neighbouring class)"
              + " and fit again");
        }
      }
      case COX -> {
        long events = Math.round(count(sum, "events"));
        long strata = Math.round(count(sum, "strata")), without = Math.round(count(sum, "strataWithoutEvents"));
        if (events == 0) {
          return failure(Reason.NO_EVENTS, "no events in any of the " + strata + " strata (" + rows + " rows); a Cox"
              + " model needs events; check the event column and its declared event value");
        }
        if (without > 0) {
          notes.add(without + " of " + strata + " strata had no events and add nothing to the partial likelihood");
        }
      }
    }
    return null;
  }

  private EstimationResult failure(Reason reason, String message) {
    return new EstimationResult.NotEstimable(reason, message, convergence(false));
  }

  private String names(List<Integer> indices) {
    return indices.stream().map(model.parameterNames()::get).collect(Collectors.joining(", "));
  }

  private EstimationResult singular(Information info) {
    String what = model.family() == Family.COX
        ? "collinear within the risk sets, or constant within every stratum"
        : "collinear (one is a linear combination of the others, or of the intercept), or without variation";
    return failure(Reason.SINGULAR_INFORMATION, "the information matrix is singular: columns "
        + names(info.degenerate()) + " are " + what + "; drop one of them and fit again");
  }

  /** Ends a fit that did not converge: separation when coefficients diverge or probabilities hit 0 or 1. */
  private EstimationResult notConverged(String how, long boundary) {
    List<Integer> diverging = new ArrayList<>();
    for (int j = 0; j < q; j++) if (growing[j] >= DIVERGING_STEPS) diverging.add(j);
    if (boundary == 0 && diverging.isEmpty()) {
      return failure(Reason.NOT_CONVERGED, "Newton-Raphson did not converge: " + how + "; last change "
          + fmt(lastMaxChange) + ". No estimates are reported");
    }
    if (diverging.isEmpty() && step != null) {
      for (int j = 0; j < q; j++) if (Math.abs(step[j]) > CHANGE_TOLERANCE * (1 + Math.abs(accepted[j]))) diverging.add(j);
    }
    String which = diverging.isEmpty() ? "" : (diverging.size() == 1 ? "coefficient " : "coefficients ")
        + names(diverging) + (diverging.size() == 1 ? " keeps" : " keep") + " growing ("
        + diverging.stream().map(j -> model.parameterNames().get(j) + " at " + fmt(beta[j]))
            .collect(Collectors.joining(", ")) + ") instead of converging";
    String message = switch (model.family()) {
      case COX -> "monotone partial likelihood (the Cox analogue of separation): " + which + "; " + how
          + ". A covariate orders the events perfectly within the risk sets (for example every event has a higher"
          + " value than everyone still at risk), so the hazard ratio is infinite and has no estimate. Remove or"
          + " regroup that covariate, or use a penalised (Firth) model";
      default -> "perfect or quasi-complete separation: " + (boundary > 0 ? "the fitted probability of the"
          + " observed outcome is 0 or 1 (within " + SiteSums.BOUNDARY + ") for " + boundary + " rows"
          + (which.isEmpty() ? "" : " and ") : "") + which + "; " + how + ". A covariate or combination predicts"
          + " the outcome perfectly for some rows, so the maximum-likelihood estimates do not exist. Remove or"
          + " merge that covariate, collect more data, or use a penalised (Firth) model";
    };
    return failure(Reason.SEPARATION, message);
  }

  private static String fmt(double v) { return String.format(Locale.ROOT, "%.3g", v); }

  /** One round: the normal equations at {@code beta} (zero at first), and the residual variance. */
  private EstimationResult linear(double[] sum) {
    Information info = Information.of(sum, layout);
    if (info.singular()) return singular(info);
    double[] g = Arrays.copyOfRange(sum, layout.gradientOffset(), layout.gradientOffset() + q);
    double[] delta = info.solve(g);
    double decrement = 0, maxChange = 0;
    double[] estimate = new double[q];
    for (int j = 0; j < q; j++) {
      decrement += g[j] * delta[j];
      maxChange = Math.max(maxChange, Math.abs(delta[j]));
      estimate[j] = beta[j] + delta[j];
    }
    iterations = 1;
    lastMaxChange = maxChange;
    lastDecrement = decrement;
    double rows = count(sum, "rows"), df = rows - q;
    double rss = Math.max(0, sum[ContributionLayout.OBJECTIVE] - decrement);
    double variance = rss / df;
    return new EstimationResult.Fitted(table(estimate, info.inverse(), variance, Double.NaN, sum,
        new TDistribution(null, df), Math.sqrt(variance)));
  }

  private CoefficientTable table(double[] estimate, double[][] inverse, double dispersion, double objective,
                                 double[] sum, RealDistribution reference, double residualSe) {
    double critical = reference.inverseCumulativeProbability(0.975);
    List<Coefficient> rows = new ArrayList<>();
    for (int j = 0; j < q; j++) {
      double se = Math.sqrt(dispersion * inverse[j][j]);
      double stat = estimate[j] / se;
      double p = 2 * reference.cumulativeProbability(-Math.abs(stat));
      rows.add(new Coefficient(model.parameterNames().get(j), estimate[j], se, stat, p, estimate[j] - critical * se,
          estimate[j] + critical * se));
    }
    long events = layout.counts().contains("events") ? Math.round(count(sum, "events")) : -1;
    double[] covariance = new double[q * (q + 1) / 2];
    for (int i = 0, k = 0; i < q; i++) for (int j = i; j < q; j++) covariance[k++] = dispersion * inverse[i][j];
    return new CoefficientTable(model.family(), rows, covariance, objective, residualSe,
        Math.round(count(sum, "rows")), events, convergence(true), notes);
  }
}
