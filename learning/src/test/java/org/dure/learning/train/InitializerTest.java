package org.dure.learning.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class InitializerTest {
  @Test void sameSeedSameParametersWithZeroBiases() {
    Architecture a = Architecture.mlp(50, Activation.RELU, 40, 30);
    float[] p = Initializer.initialParameters(a, 7);
    assertArrayEquals(p, Initializer.initialParameters(a, 7));
    assertFalse(Arrays.equals(p, Initializer.initialParameters(a, 8)));
    for (Architecture.Tensor t : a.tensors()) {
      if (t.name().endsWith("_bias")) {
        for (int i = 0; i < t.length(); i++) assertEquals(0f, p[t.offset() + i], t.name());
      }
    }
  }

  @Test void reluLayersGetHeScaleAndTanhLayersGlorotScale() {
    Architecture relu = Architecture.mlp(200, Activation.RELU, 100);
    Architecture tanh = Architecture.mlp(200, Activation.TANH, 100);
    Architecture.Tensor first = relu.tensors().get(0);
    double heStd = Math.sqrt(2.0 / 200), glorotStd = Math.sqrt(2.0 / 300);
    assertEquals(heStd, std(Initializer.initialParameters(relu, 1), first), heStd * 0.05);
    assertEquals(glorotStd, std(Initializer.initialParameters(tanh, 1), first), glorotStd * 0.05);
    float[] p = Initializer.initialParameters(tanh, 1);
    double limit = Math.sqrt(6.0 / 300);
    for (int i = 0; i < first.length(); i++) assertTrue(Math.abs(p[i]) <= limit);
  }

  private static double std(float[] p, Architecture.Tensor t) {
    double s = 0, s2 = 0;
    for (int i = t.offset(); i < t.offset() + t.length(); i++) {
      s += p[i];
      s2 += (double) p[i] * p[i];
    }
    double mean = s / t.length();
    return Math.sqrt(s2 / t.length() - mean * mean);
  }
}
