package org.dure.learning.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine's float gradients against central finite differences of an independent double-precision
 * forward pass ({@link Reference}).
 */
class GradientCheckTest {
  static Stream<Arguments> architectures() {
    return Stream.of(
        Arguments.of(Architecture.logisticRegression(4)),
        Arguments.of(Architecture.mlp(4, Activation.RELU, 5, 3)),
        Arguments.of(Architecture.mlp(4, Activation.TANH, 5, 3)),
        Arguments.of(Architecture.mlp(4, Activation.SIGMOID, 5, 3)),
        Arguments.of(Architecture.mlp(4, Activation.TANH, 6)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("architectures")
  void analyticGradientMatchesFiniteDifferences(Architecture arch) {
    int rows = 9;
    float[] x = Reference.gaussian(rows * arch.inputs(), 11);
    float[] y = Reference.coinFlips(rows, 12);
    float[] params = Reference.gaussian(arch.parameterCount(), 13);   // non-zero biases too
    for (int i = 0; i < params.length; i++) params[i] *= 0.7f;
    double[] engineLoss = new double[1];
    float[] grad;
    try (TrainingData data = TrainingData.of(x, rows, arch.inputs(), y)) {
      grad = LocalTrainer.gradient(arch, params, data, engineLoss);
    }

    double[] w = Reference.toDouble(params);
    assertEquals(Reference.meanLoss(arch, w, x, y), engineLoss[0], 1e-5, "mean loss");
    double h = 1e-5;
    for (int i = 0; i < w.length; i++) {
      double saved = w[i];
      w[i] = saved + h;
      double up = Reference.meanLoss(arch, w, x, y);
      w[i] = saved - h;
      double down = Reference.meanLoss(arch, w, x, y);
      w[i] = saved;
      double numeric = (up - down) / (2 * h);
      double tolerance = 1e-4 + 1e-3 * Math.abs(numeric);
      int index = i;
      assertTrue(Math.abs(grad[i] - numeric) <= tolerance,
          () -> "parameter " + index + ": analytic " + grad[index] + " vs numeric " + numeric);
    }
  }
}
