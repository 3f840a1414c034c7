package org.dure.learning.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelsTest {
  @Test void tanhApproximationIsWithinHalfAMillionthEverywhere() {
    double worst = 0;
    for (int i = -2_000_000; i <= 2_000_000; i++) {
      float x = i * 1e-5f;
      worst = Math.max(worst, Math.abs(Kernels.tanh(x) - Math.tanh(x)));
    }
    for (float x : new float[] {-1e30f, -50f, 50f, 1e30f, Float.MIN_VALUE, -0f}) {
      worst = Math.max(worst, Math.abs(Kernels.tanh(x) - Math.tanh(x)));
    }
    assertTrue(worst < 5e-7, "worst error " + worst);
  }

  @Test void reluGradientPassesOnlyWherePositiveIncludingSubnormals() {
    float[] a = {0f, Float.MIN_VALUE, 1e-38f, 3f, Float.MAX_VALUE, 0f};
    float[] da = {5f, 5f, 5f, 5f, 5f, -2f};
    float[] dz = new float[6];
    Kernels.backprop(Activation.RELU, da, a, 6, dz);
    assertArrayEquals(new float[] {0f, 5f, 5f, 5f, 5f, -0f}, dz);
  }

  @Test void activationAddsTheBiasPerColumn() {
    float[] z = {-1f, 0.5f, 2f, -3f};
    float[] a = new float[4];
    Kernels.activate(Activation.RELU, z, new float[] {0.5f, 1f}, 2, 2, a);
    assertArrayEquals(new float[] {0f, 1.5f, 2.5f, 0f}, a);
  }

  @Test void crossEntropyIsStableForLargeLogits() {
    float[] dz = new float[2];
    double loss = Kernels.sigmoidCrossEntropy(new float[] {1000f, -1000f}, 0f, new float[] {0f, 1f}, 2, 0.5f, dz);
    assertEquals(2000, loss, 1e-9);
    assertArrayEquals(new float[] {0.5f, -0.5f}, dz);
  }
}
