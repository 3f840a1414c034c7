package org.dure.protocol.privacy;

/**
 * Log-space arithmetic for the RDP accountant: sums and differences of numbers held as their
 * natural logarithms, and {@code ln(erfc(x))} without underflow.
 *
 * <p>{@link #logErfc} uses W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
 * approximations for the error function", Math. Comp. 23 (1969) 631-638; Netlib SPECFUN
 * {@code calerf}), whose published maximal relative error is below 1e-16 in double precision on each
 * of its three intervals. For {@code x > 0.46875} Cody's second and third intervals give the scaled
 * function {@code exp(x^2) erfc(x)}, so the logarithm is taken before the Gaussian factor and stays
 * finite and accurate for any finite {@code x} (there is no underflow threshold as in {@code erfc}).
 */
final class LogMath {
  private LogMath() {}

  private static final double SQRPI = 5.6418958354775628695e-1; // 1/sqrt(pi)

  private static final double[] A = {3.16112374387056560e0, 1.13864154151050156e2, 3.77485237685302021e2,
      3.20937758913846947e3, 1.85777706184603153e-1};
  private static final double[] B = {2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3,
      2.84423683343917062e3};
  private static final double[] C = {5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1,
      2.98635138197400131e2, 8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3,
      1.23033935479799725e3, 2.15311535474403846e-8};
  private static final double[] D = {1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2,
      1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3,
      1.23033935480374942e3};
  private static final double[] P = {3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2};
  private static final double[] Q = {2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3};

  /** {@code ln(exp(logx) + exp(logy))}; {@code -Infinity} stands for zero. */
  static double logAdd(double logx, double logy) {
    double a = Math.min(logx, logy);
    double b = Math.max(logx, logy);
    if (a == Double.NEGATIVE_INFINITY) return b;
    return Math.log1p(Math.exp(a - b)) + b;
  }

  /**
   * {@code ln(exp(logx) - exp(logy))} for {@code logx >= logy}, as Opacus' {@code _log_sub}; a negative
   * difference is a numerical failure of the caller's series.
   */
  static double logSub(double logx, double logy) {
    if (logx < logy) {
      throw new ArithmeticException("log-space subtraction went negative: ln x = " + logx + " < ln y = " + logy);
    }
    if (logy == Double.NEGATIVE_INFINITY) return logx;
    if (logx == logy) return Double.NEGATIVE_INFINITY;
    double d = Math.expm1(logx - logy);
    return d == Double.POSITIVE_INFINITY ? logx : Math.log(d) + logy;
  }

  /** {@code ln(erfc(x))} for any finite or infinite {@code x}; equals scipy's {@code ln 2 + log_ndtr(-x sqrt 2)}. */
  static double logErfc(double x) {
    if (Double.isNaN(x)) return Double.NaN;
    if (x == Double.POSITIVE_INFINITY) return Double.NEGATIVE_INFINITY;
    double y = Math.abs(x);
    if (y <= 0.46875) {
      double ysq = y * y;
      double num = A[4] * ysq;
      double den = ysq;
      for (int i = 0; i < 3; i++) {
        num = (num + A[i]) * ysq;
        den = (den + B[i]) * ysq;
      }
      double erf = x * (num + A[3]) / (den + B[3]);
      return Math.log1p(-erf);
    }
    double scaled = scaledErfc(y); // exp(y^2) erfc(y)
    if (x > 0) return Math.log(scaled) - y * y;
    // erfc(x) = 2 - erfc(|x|) for x < 0; the subtrahend is below erfc(0.46875) < 0.51.
    return Math.log(2 - scaled * Math.exp(-y * y));
  }

  /** {@code exp(y^2) erfc(y)} for {@code y > 0.46875}, Cody's second and third intervals. */
  private static double scaledErfc(double y) {
    if (y <= 4) {
      double num = C[8] * y;
      double den = y;
      for (int i = 0; i < 7; i++) {
        num = (num + C[i]) * y;
        den = (den + D[i]) * y;
      }
      return (num + C[7]) / (den + D[7]);
    }
    if (y >= 6.71e7) return SQRPI / y; // 1/y^2 below the last term's precision
    double ysq = 1 / (y * y);
    double num = P[5] * ysq;
    double den = ysq;
    for (int i = 0; i < 4; i++) {
      num = (num + P[i]) * ysq;
      den = (den + Q[i]) * ysq;
    }
    double r = ysq * (num + P[4]) / (den + Q[4]);
    return (SQRPI - r) / y;
  }
}
