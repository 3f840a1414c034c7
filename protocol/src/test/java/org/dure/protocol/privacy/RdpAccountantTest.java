package org.dure.protocol.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dure.protocol.privacy.RdpAccountant.PrivacySpent;
import org.dure.protocol.privacy.RdpAccountant.Series;
import org.junit.jupiter.api.Test;

class RdpAccountantTest {
  private static final RdpAccountant OPACUS = RdpAccountant.opacusDefaults();
  private static final RdpAccountant DP_ACCOUNTING = RdpAccountant.of(Series.DP_ACCOUNTING, OPACUS.orders());

  @Test void fullBatchSamplingIsThePlainGaussianMechanism() {
    for (RdpAccountant accountant : new RdpAccountant[] {OPACUS, DP_ACCOUNTING}) {
      double[] orders = accountant.orders();
      double[] rdp = accountant.rdp(1.0, 1.7, 3);
      for (int i = 0; i < orders.length; i++) {
        assertEquals(3 * orders[i] / (2 * 1.7 * 1.7), rdp[i], 1e-15 * rdp[i], "order " + orders[i]);
      }
    }
  }

  @Test void integerOrdersNearFullBatchApproachThePlainGaussianMechanism() {
    double rdp = RdpAccountant.of(Series.OPACUS, 7).rdp(1 - 1e-12, 2.0, 1)[0];
    assertEquals(7 / 8.0, rdp, 1e-9);
  }

  @Test void noSamplingOrNoStepsCostsNothing() {
    assertArrayEquals(new double[OPACUS.orders().length], OPACUS.rdp(0, 0.5, 1000));
    assertArrayEquals(new double[OPACUS.orders().length], OPACUS.rdp(0.3, 0.5, 0));
  }

  @Test void stepsComposeLinearly() {
    double[] one = OPACUS.rdp(0.02, 1.1, 1);
    double[] many = OPACUS.rdp(0.02, 1.1, 500);
    for (int i = 0; i < one.length; i++) assertEquals(500 * one[i], many[i], 1e-15 * many[i]);
  }

  @Test void epsilonFallsAsNoiseGrows() {
    for (RdpAccountant accountant : new RdpAccountant[] {OPACUS, DP_ACCOUNTING}) {
      double previous = Double.POSITIVE_INFINITY;
      for (double sigma = 0.3; sigma < 20; sigma *= 1.25) {
        double eps = accountant.privacySpent(0.01, sigma, 1000, 1e-5).epsilon();
        assertTrue(eps < previous, accountant.series() + ": epsilon " + eps + " at sigma " + sigma + " after " + previous);
        previous = eps;
      }
    }
  }

  /** Opacus and dp_accounting functions transcribed to Python and run under SciPy 1.17.1 (100 steps, δ = 1e-5). */
  @Test void bothSeriesMatchTheirReferenceImplementationsWhereTheyDiffer() {
    double[][] cases = { // sigma, q, opacus epsilon, opacus order, dp_accounting epsilon, dp_accounting order
        {0.3, 0.1, 117.54310853573094, 1.2, 171.51933076486185, 1.4},
        {0.6, 0.5, 104.01923980367934, 1.3, 128.6805260354305, 1.7},
        {5.0, 0.5, 4.862240845489545, 5.2, 4.866435609334787, 5.2},
        {0.3, 0.001, 14.236016518088931, 1.9, 14.23672175172381, 1.9},
        {50.0, 0.5, 0.37609183339454016, 40, 0.37609183339454016, 40}};
    for (double[] c : cases) {
      PrivacySpent opacus = OPACUS.privacySpent(c[1], c[0], 100, 1e-5);
      PrivacySpent dpAccounting = DP_ACCOUNTING.privacySpent(c[1], c[0], 100, 1e-5);
      assertEquals(c[2], opacus.epsilon(), 1e-10 * c[2], "opacus sigma " + c[0] + " q " + c[1]);
      assertEquals(c[3], opacus.order(), 1e-12);
      assertEquals(c[4], dpAccounting.epsilon(), 1e-10 * c[4], "dp_accounting sigma " + c[0] + " q " + c[1]);
      assertEquals(c[5], dpAccounting.order(), 1e-12);
    }
  }

  @Test void noiseSearchRoundTripsToJustUnderTheTarget() {
    for (double target : new double[] {0.5, 1, 3, 8, 50}) {
      double sigma = OPACUS.noiseMultiplier(target, 1e-5, 0.01, 1000);
      double eps = OPACUS.privacySpent(0.01, sigma, 1000, 1e-5).epsilon();
      assertTrue(eps <= target, "epsilon " + eps + " above target " + target + " at sigma " + sigma);
      assertTrue(eps > target - 1e-6 * target, "epsilon " + eps + " far below target " + target + " at sigma " + sigma);
      assertTrue(OPACUS.privacySpent(0.01, sigma * (1 - 1e-7), 1000, 1e-5).epsilon() > target, "sigma not minimal");
    }
  }

  @Test void noiseSearchExplainsAnUnreachableTarget() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RdpAccountant.of(Series.OPACUS, 2, 32).noiseMultiplier(0.05, 1e-5, 0.01, 100));
    double floor = RdpAccountant.of(Series.OPACUS, 2, 32).privacySpent(new double[2], 1e-5).epsilon();
    assertEquals("targetEpsilon 0.05 is unreachable at delta 1.0E-5: with these orders even infinite noise gives epsilon "
        + floor + "; raise targetEpsilon or delta, or add larger orders", e.getMessage());
  }

  @Test void noiseSearchRefusesRunsThatUseNoRecords() {
    assertEquals("noise multiplier is undefined when steps = 0 and sampleRate = 0.01: no record is ever used, so any "
        + "noise meets the target; skip noise for this run", assertThrows(IllegalArgumentException.class,
        () -> OPACUS.noiseMultiplier(1, 1e-5, 0.01, 0)).getMessage());
  }

  @Test void conversionReportsTheMinimisingOrder() {
    RdpAccountant accountant = RdpAccountant.of(Series.OPACUS, 2, 4, 8);
    PrivacySpent spent = accountant.privacySpent(new double[] {0.1, 0.2, 5}, 0.01);
    double atFour = 0.2 + Math.log(3 / 4.0) - (Math.log(0.01) + Math.log(4)) / 3;
    assertEquals(new PrivacySpent(atFour, 0.01, 4), spent);
  }

  @Test void conversionSkipsNanOrdersAndIsInfiniteWithoutAnyFiniteOne() {
    RdpAccountant accountant = RdpAccountant.of(Series.OPACUS, 2, 3);
    assertEquals(3, accountant.privacySpent(new double[] {Double.NaN, 0.1}, 1e-3).order());
    PrivacySpent none = accountant.privacySpent(new double[] {Double.NaN, Double.NaN}, 1e-3);
    assertEquals(Double.POSITIVE_INFINITY, none.epsilon());
    assertTrue(Double.isNaN(none.order()));
  }

  @Test void ordersAreCopiedOnTheWayInAndOut() {
    double[] orders = {2, 3};
    RdpAccountant accountant = RdpAccountant.of(Series.OPACUS, orders);
    orders[0] = 99;
    accountant.orders()[1] = 99;
    assertArrayEquals(new double[] {2, 3}, accountant.orders());
  }

  @Test void rejectsBadArgumentsNamingThem() {
    assertMessage("sampleRate must be in [0, 1], was 1.5", () -> OPACUS.rdp(1.5, 1, 1));
    assertMessage("sampleRate must be in [0, 1], was NaN", () -> OPACUS.rdp(Double.NaN, 1, 1));
    assertMessage("noiseMultiplier must be finite and > 0, was 0.0", () -> OPACUS.rdp(0.1, 0, 1));
    assertMessage("noiseMultiplier must be finite and > 0, was NaN", () -> OPACUS.rdp(0.1, Double.NaN, 1));
    assertMessage("steps must be >= 0, was -1", () -> OPACUS.rdp(0.1, 1, -1));
    assertMessage("delta must be in (0, 1), was 0.0", () -> OPACUS.privacySpent(0.1, 1, 1, 0));
    assertMessage("delta must be in (0, 1), was 1.0", () -> OPACUS.privacySpent(0.1, 1, 1, 1));
    assertMessage("orders[1] must be finite and > 1, was 1.0", () -> RdpAccountant.of(Series.OPACUS, 2, 1));
    assertMessage("orders[0] must be finite and > 1, was Infinity",
        () -> RdpAccountant.of(Series.OPACUS, Double.POSITIVE_INFINITY));
    assertMessage("orders must not be empty", () -> RdpAccountant.of(Series.OPACUS));
    assertMessage("rdp.length must be orders.length = 151, was 2", () -> OPACUS.privacySpent(new double[2], 1e-5));
    assertMessage("targetEpsilon must be finite and > 0, was -1.0", () -> OPACUS.noiseMultiplier(-1, 1e-5, 0.1, 10));
    assertEquals("series", assertThrows(NullPointerException.class, () -> RdpAccountant.of(null, 2)).getMessage());
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }
}
