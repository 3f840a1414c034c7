package org.dure.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class QuantizerTest {
  @Test void oneSiteRoundTripsWithinHalfAStep() {
    Quantizer q = new Quantizer(2.0, 10);
    Random random = new Random(3);
    float[] x = new float[1000];
    for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextGaussian() * 0.7);
    float[] back = q.decode(q.encode(x, 1.0));
    for (int i = 0; i < x.length; i++) {
      float clipped = Math.max(-2f, Math.min(2f, x[i]));
      assertEquals(clipped, back[i], q.step() / 2 + Math.ulp(clipped), "element " + i);
    }
    assertEquals(2.0 * (1 + Quantizer.WEIGHT_SLACK) / (Integer.MAX_VALUE - 10.0), q.step(), 1e-20);
  }

  @Test void weightedSumOfManySitesIsWithinHalfAStepPerSite() {
    int n = 50;
    Quantizer q = new Quantizer(1.0, n);
    Random random = new Random(4);
    int d = 200;
    double[] exact = new double[d];
    int[] sum = new int[d];
    double[] weights = new double[n];
    double total = 0;
    for (int s = 0; s < n; s++) total += weights[s] = 1 + random.nextInt(100);
    for (int s = 0; s < n; s++) {
      float[] x = new float[d];
      for (int i = 0; i < d; i++) x[i] = (float) (random.nextDouble() * 2 - 1);
      double w = weights[s] / total;
      int[] enc = q.encode(x, w);
      for (int i = 0; i < d; i++) {
        exact[i] += w * x[i];
        sum[i] += enc[i];
      }
    }
    float[] decoded = q.decode(sum);
    for (int i = 0; i < d; i++) assertEquals(exact[i], decoded[i], n * q.step() / 2 + 1e-7, "element " + i);
  }

  @ParameterizedTest(name = "n = {0}")
  @ValueSource(ints = {1, 2, 3, 10, 100, 500, 10000})
  void sitesAllAtTheClipBoundDoNotWrap(int n) {
    double clip = 3.5;
    Quantizer q = new Quantizer(clip, n);
    float weight = 1f / n;
    for (float v : new float[] {(float) clip, (float) -clip, 1e9f, -1e9f}) {
      int[] one = q.encodeWithWeight(new float[] {v}, weight);
      long exact = 0, exactWeight = 0;
      int wrapped = 0, wrappedWeight = 0;
      for (int s = 0; s < n; s++) {
        exact += one[0];
        wrapped += one[0];
        exactWeight += one[1];
        wrappedWeight += one[1];
      }
      assertEquals(exact, wrapped, "the sum of " + n + " values at " + v + " wrapped");
      assertEquals(exactWeight, wrappedWeight, "the weight sum wrapped");
      Quantizer.WeightedSum ws = q.decodeWithWeight(new int[] {wrapped, wrappedWeight});
      assertEquals(Math.signum(v) * clip, ws.weightedSum()[0], 1e-5 * clip);
      assertEquals(1.0, ws.totalWeight(), 1e-5);
    }
  }

  @Test void weightElementLetsTheCoordinatorAverageOverSurvivors() {
    Quantizer q = new Quantizer(1.0, 4);
    int[] a = q.encodeWithWeight(new float[] {0.5f, -0.25f}, 0.25);
    int[] b = q.encodeWithWeight(new float[] {0.1f, 0.75f}, 0.5);
    int[] sum = {a[0] + b[0], a[1] + b[1], a[2] + b[2]};
    Quantizer.WeightedSum ws = q.decodeWithWeight(sum);
    assertEquals(0.75, ws.totalWeight(), 1e-8);
    float[] mean = ws.mean();
    assertEquals((0.25 * 0.5 + 0.5 * 0.1) / 0.75, mean[0], 1e-6);
    assertEquals((0.25 * -0.25 + 0.5 * 0.75) / 0.75, mean[1], 1e-6);
  }

  @Test void valuesBeyondTheClipBoundAreClipped() {
    Quantizer q = new Quantizer(1.0, 2);
    float[] back = q.decode(q.encode(new float[] {5f, -7f, 0.5f}, 1.0));
    assertEquals(1.0, back[0], 1e-6);
    assertEquals(-1.0, back[1], 1e-6);
    assertEquals(0.5, back[2], 1e-6);
  }

  @Test void nonFiniteValuesAndBadWeightsAreRefused() {
    Quantizer q = new Quantizer(1.0, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> q.encode(new float[] {0f, Float.NaN}, 0.5));
    assertEquals("update[1] is NaN; refusing to encode", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> q.encode(new float[] {0f}, 1.5));
    assertThrows(IllegalArgumentException.class, () -> q.encode(new float[] {0f}, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new Quantizer(0, 2));
    assertThrows(IllegalArgumentException.class, () -> new Quantizer(Double.NaN, 2));
    assertTrue(new Quantizer(1.0, 1).scale() > 2e9);
  }
}
