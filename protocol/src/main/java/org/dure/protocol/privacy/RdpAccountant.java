package org.dure.protocol.privacy;

import java.util.Arrays;
import java.util.Objects;

/**
 * Rényi-DP accountant for the Poisson-sampled Gaussian mechanism (DP-SGD with sampling rate {@code q} and
 * noise multiplier {@code sigma}), and the conversion of its RDP curve to an (ε, δ) guarantee.
 *
 * <p><b>RDP of one step.</b> With {@code q = 0} the step is free (RDP 0); with {@code q = 1} it is the plain
 * Gaussian mechanism, RDP {@code α / (2σ²)}. Otherwise RDP at order α is {@code ln(A_α) / (α - 1)}, with
 * {@code A_α} from Mironov, Talwar and Zhang, "Rényi Differential Privacy of the Sampled Gaussian
 * Mechanism" (arXiv:1908.10530, Sec. 3.3), all in log space:
 * <ul>
 *   <li>integer α: the exact binomial expansion
 *       {@code A_α = Σ_{i=0..α} C(α,i) q^i (1-q)^(α-i) exp((i² - i) / (2σ²))};</li>
 *   <li>fractional α: the two-sided series with {@code z0 = σ² ln(1/q - 1) + 1/2} and
 *       {@code ln erfc} weights, in one of two published variants chosen by {@link Series}:
 *       {@link Series#OPACUS} (Opacus {@code _compute_log_a_for_frac_alpha}, the old TF-Privacy
 *       {@code _compute_log_a_frac}: signed generalised binomial coefficients, stop once both terms fall
 *       below {@code e^-30}) or {@link Series#DP_ACCOUNTING} (Google {@code dp_accounting} since 2024:
 *       absolute coefficients {@code |C(α,i)|}, stop once both terms decrease and lie {@code e^30} below the
 *       running total, at most 1000 terms). The two differ visibly only at small fractional orders.</li>
 * </ul>
 * {@code ln erfc} comes from Cody's rational approximations (relative error below 1e-16), see
 * {@link LogMath}. RDP composes additively, so {@code steps} identical steps give {@code steps × rdp}, and
 * curves of different phases of training can be added order by order before conversion.
 *
 * <p><b>Conversion.</b> Balle et al., "Hypothesis testing interpretations and Rényi differential privacy"
 * (AISTATS 2020, Thm 21), as Opacus' {@code get_privacy_spent}:
 * {@code ε = min_α [ rdp(α) + ln((α-1)/α) - (ln δ + ln α) / (α - 1) ]}; the minimising order is returned with
 * ε so callers can see whether the order range was wide enough (an optimum at either end means it was not).
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class RdpAccountant {
  /** Which published series evaluates {@code A_α} at fractional orders; integer orders are exact in both. */
  public enum Series { OPACUS, DP_ACCOUNTING }

  /** An (ε, δ) guarantee and the RDP order that attains it; order is NaN when every order gave NaN. */
  public record PrivacySpent(double epsilon, double delta, double order) {}

  private static final int OPACUS_MAX_TERMS = 100_000;
  private static final int DP_ACCOUNTING_MAX_TERMS = 1000;

  private final Series series;
  private final double[] orders;

  private RdpAccountant(Series series, double[] orders) {
    this.series = series;
    this.orders = orders;
  }

  /** Opacus' default orders, {@code 1 + x/10} for x in 1..99 then 12..63, with the Opacus series. */
  public static RdpAccountant opacusDefaults() {
    double[] o = new double[99 + 52];
    for (int x = 1; x <= 99; x++) o[x - 1] = 1 + x / 10.0;
    for (int a = 12; a <= 63; a++) o[99 + a - 12] = a;
    return new RdpAccountant(Series.OPACUS, o);
  }

  /** An accountant over the given orders, each finite and {@code > 1}. */
  public static RdpAccountant of(Series series, double... orders) {
    Objects.requireNonNull(series, "series");
    Objects.requireNonNull(orders, "orders");
    if (orders.length == 0) throw new IllegalArgumentException("orders must not be empty");
    double[] copy = orders.clone();
    for (int i = 0; i < copy.length; i++) {
      if (!(copy[i] > 1) || copy[i] == Double.POSITIVE_INFINITY) {
        throw new IllegalArgumentException("orders[" + i + "] must be finite and > 1, was " + copy[i]);
      }
    }
    return new RdpAccountant(series, copy);
  }

  public Series series() {
    return series;
  }

  public double[] orders() {
    return orders.clone();
  }

  /** RDP at each of {@link #orders()} after {@code steps} sampled Gaussian steps; entries may be +Infinity. */
  public double[] rdp(double sampleRate, double noiseMultiplier, long steps) {
    checkMechanism(sampleRate, noiseMultiplier, steps);
    double[] rdp = new double[orders.length];
    for (int i = 0; i < orders.length; i++) {
      rdp[i] = steps == 0 ? 0 : rdpOfOneStep(sampleRate, noiseMultiplier, orders[i], series) * steps;
    }
    return rdp;
  }

  /** The best (ε, δ) guarantee implied by an RDP curve over {@link #orders()}, e.g. a sum of {@link #rdp} curves. */
  public PrivacySpent privacySpent(double[] rdp, double delta) {
    Objects.requireNonNull(rdp, "rdp");
    if (rdp.length != orders.length) {
      throw new IllegalArgumentException("rdp.length must be orders.length = " + orders.length + ", was " + rdp.length);
    }
    checkDelta(delta);
    double best = Double.NaN;
    double bestOrder = Double.NaN;
    for (int i = 0; i < orders.length; i++) {
      double a = orders[i];
      double eps = rdp[i] + Math.log((a - 1) / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
      if (!Double.isNaN(eps) && (Double.isNaN(best) || eps < best)) {
        best = eps;
        bestOrder = a;
      }
    }
    return new PrivacySpent(Double.isNaN(best) ? Double.POSITIVE_INFINITY : best, delta, bestOrder);
  }

  /** The (ε, δ) guarantee of {@code steps} sampled Gaussian steps. */
  public PrivacySpent privacySpent(double sampleRate, double noiseMultiplier, long steps, double delta) {
    return privacySpent(rdp(sampleRate, noiseMultiplier, steps), delta);
  }

  /**
   * The smallest noise multiplier σ (to relative precision 1e-9) whose {@code steps} sampled Gaussian steps
   * stay within {@code targetEpsilon} at {@code delta}; the returned σ always satisfies the target. ε falls as
   * σ grows, so this is a doubling search followed by bisection.
   *
   * @throws IllegalArgumentException if the target is below what even infinite noise achieves over these
   *     orders, since the conversion itself costs {@code min_α [ln((α-1)/α) - (ln δ + ln α)/(α-1)]}; if it
   *     needs σ above 1e12; or if {@code steps == 0} or {@code sampleRate == 0}, where σ does not matter
   */
  public double noiseMultiplier(double targetEpsilon, double delta, double sampleRate, long steps) {
    if (!(targetEpsilon > 0) || targetEpsilon == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("targetEpsilon must be finite and > 0, was " + targetEpsilon);
    }
    checkDelta(delta);
    checkMechanism(sampleRate, 1, steps);
    if (steps == 0 || sampleRate == 0) {
      throw new IllegalArgumentException("noise multiplier is undefined when steps = " + steps + " and sampleRate = "
          + sampleRate + ": no record is ever used, so any noise meets the target; skip noise for this run");
    }
    double floor = privacySpent(new double[orders.length], delta).epsilon();
    if (!(targetEpsilon > floor)) {
      throw new IllegalArgumentException("targetEpsilon " + targetEpsilon + " is unreachable at delta " + delta
          + ": with these orders even infinite noise gives epsilon " + floor
          + "; raise targetEpsilon or delta, or add larger orders");
    }
    double lo = 0; // epsilon(lo) > target, 0 standing for "no noise"
    double hi = 1;
    while (epsilon(hi, delta, sampleRate, steps) > targetEpsilon) {
      lo = hi;
      hi *= 2;
      if (hi > 1e12) {
        throw new IllegalArgumentException("targetEpsilon " + targetEpsilon + " at delta " + delta
            + " needs a noise multiplier above 1e12 for sampleRate " + sampleRate + " and " + steps
            + " steps; raise targetEpsilon or delta, or lower sampleRate or steps");
      }
    }
    while (hi - lo > 1e-9 * hi) {
      double mid = lo == 0 && hi > 1e-300 ? hi / 2 : (lo + hi) / 2;
      if (epsilon(mid, delta, sampleRate, steps) > targetEpsilon) lo = mid;
      else hi = mid;
      if (lo == 0 && hi < 1e-12) break; // any noise at all meets the target
    }
    return hi;
  }

  private double epsilon(double sigma, double delta, double q, long steps) {
    return privacySpent(q, sigma, steps, delta).epsilon();
  }

  @Override public String toString() {
    return "RdpAccountant(" + series + ", orders=" + Arrays.toString(orders) + ")";
  }

  private static void checkMechanism(double sampleRate, double noiseMultiplier, long steps) {
    if (!(sampleRate >= 0 && sampleRate <= 1)) {
      throw new IllegalArgumentException("sampleRate must be in [0, 1], was " + sampleRate);
    }
    if (!(noiseMultiplier > 0) || noiseMultiplier == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("noiseMultiplier must be finite and > 0, was " + noiseMultiplier);
    }
    if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, was " + steps);
  }

  private static void checkDelta(double delta) {
    if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("delta must be in (0, 1), was " + delta);
  }

  /** RDP of a single step at order {@code alpha}; arguments already checked. */
  static double rdpOfOneStep(double q, double sigma, double alpha, Series series) {
    if (q == 0) return 0;
    if (q == 1) return alpha / (2 * sigma * sigma);
    double logA = alpha == Math.rint(alpha)
        ? logAInteger(q, sigma, (long) alpha)
        : series == Series.OPACUS ? logAFractionalOpacus(q, sigma, alpha) : logAFractionalDpAccounting(q, sigma, alpha);
    return logA / (alpha - 1);
  }

  private static double logAInteger(double q, double sigma, long alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double twoSigmaSq = 2 * sigma * sigma;
    double logA = Double.NEGATIVE_INFINITY;
    double logBinom = 0; // ln C(alpha, i)
    for (long i = 0; i <= alpha; i++) {
      if (i > 0) logBinom += Math.log((double) (alpha - i + 1) / i);
      double s = logBinom + i * logQ + (alpha - i) * log1mQ + (double) (i * i - i) / twoSigmaSq;
      logA = LogMath.logAdd(logA, s);
    }
    return logA;
  }

  private static double logAFractionalOpacus(double q, double sigma, double alpha) {
    FractionalTerms t = new FractionalTerms(q, sigma, alpha);
    double logA0 = Double.NEGATIVE_INFINITY;
    double logA1 = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < OPACUS_MAX_TERMS; i++) {
      t.advanceTo(i);
      if (t.coefficientPositive) {
        logA0 = LogMath.logAdd(logA0, t.logS0);
        logA1 = LogMath.logAdd(logA1, t.logS1);
      } else {
        logA0 = LogMath.logSub(logA0, t.logS0);
        logA1 = LogMath.logSub(logA1, t.logS1);
      }
      if (Math.max(t.logS0, t.logS1) < -30) return LogMath.logAdd(logA0, logA1);
    }
    return Double.POSITIVE_INFINITY; // not converged: drop this order from the minimum rather than fail open
  }

  private static double logAFractionalDpAccounting(double q, double sigma, double alpha) {
    FractionalTerms t = new FractionalTerms(q, sigma, alpha);
    double logA0 = Double.NEGATIVE_INFINITY;
    double logA1 = Double.NEGATIVE_INFINITY;
    double lastS0 = Double.NEGATIVE_INFINITY;
    double lastS1 = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < DP_ACCOUNTING_MAX_TERMS; i++) {
      t.advanceTo(i);
      logA0 = LogMath.logAdd(logA0, t.logS0);
      logA1 = LogMath.logAdd(logA1, t.logS1);
      double total = LogMath.logAdd(logA0, logA1);
      if (t.logS0 < lastS0 && t.logS1 < lastS1 && Math.max(t.logS0, t.logS1) < total - 30) return total;
      lastS0 = t.logS0;
      lastS1 = t.logS1;
    }
    return Double.POSITIVE_INFINITY; // as dp_accounting: an unconverged order is excluded
  }

  /** The i-th pair of terms of the fractional-order series, with the generalised binomial C(α, i) by recurrence. */
  private static final class FractionalTerms {
    private final double alpha;
    private final double logQ;
    private final double log1mQ;
    private final double twoSigmaSq;
    private final double z0;
    private final double sqrt2Sigma;
    private int i = -1;
    private double logAbsBinom;
    boolean coefficientPositive = true;
    double logS0;
    double logS1;

    FractionalTerms(double q, double sigma, double alpha) {
      this.alpha = alpha;
      this.logQ = Math.log(q);
      this.log1mQ = Math.log1p(-q);
      this.twoSigmaSq = 2 * sigma * sigma;
      this.z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
      this.sqrt2Sigma = Math.sqrt(2) * sigma;
    }

    void advanceTo(int next) {
      if (next != i + 1) throw new IllegalStateException("terms must be visited in order");
      i = next;
      if (i > 0) {
        double factor = (alpha - i + 1) / i;
        logAbsBinom += Math.log(Math.abs(factor));
        if (factor < 0) coefficientPositive = !coefficientPositive;
      }
      double j = alpha - i;
      double logT0 = logAbsBinom + i * logQ + j * log1mQ;
      double logT1 = logAbsBinom + j * logQ + i * log1mQ;
      double logE0 = Math.log(0.5) + LogMath.logErfc((i - z0) / sqrt2Sigma);
      double logE1 = Math.log(0.5) + LogMath.logErfc((z0 - j) / sqrt2Sigma);
      logS0 = logT0 + ((double) i * i - i) / twoSigmaSq + logE0;
      logS1 = logT1 + (j * j - j) / twoSigmaSq + logE1;
    }
  }
}
