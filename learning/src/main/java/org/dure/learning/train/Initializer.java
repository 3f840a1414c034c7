package org.dure.learning.train;

import java.util.List;
import java.util.Random;

/** Initial global parameters for an {@link Architecture}. */
public final class Initializer {
  private Initializer() {}

  /**
   * Deterministic initial parameters from {@code seed}: biases 0; hidden-layer weights He-normal
   * ({@code N(0, 2 / fanIn)}) for relu and Glorot-uniform ({@code U(±sqrt(6 / (fanIn + fanOut)))}) for tanh and
   * sigmoid; the output layer Glorot-uniform.
   */
  public static float[] initialParameters(Architecture arch, long seed) {
    float[] p = new float[arch.parameterCount()];
    Random random = new Random(seed);
    List<Architecture.Tensor> tensors = arch.tensors();
    for (int l = 0; l < arch.layers(); l++) {
      Architecture.Tensor w = tensors.get(2 * l);
      int fanIn = w.shape()[0], fanOut = w.shape()[1];
      boolean output = l == arch.layers() - 1;
      if (!output && arch.activation() == Activation.RELU) {
        double std = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < w.length(); i++) p[w.offset() + i] = (float) (random.nextGaussian() * std);
      } else {
        double limit = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < w.length(); i++) p[w.offset() + i] = (float) ((2 * random.nextDouble() - 1) * limit);
      }
    }
    return p;
  }
}
