package org.dure.learning.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArchitectureTest {
  @Test void tensorsListWeightThenBiasPerLayerInFlatOrder() {
    Architecture a = Architecture.mlp(3, Activation.TANH, 4, 2);
    List<Architecture.Tensor> t = a.tensors();
    assertEquals(List.of(
        new Architecture.Tensor("dense_0_weight", new int[] {3, 4}, 0, 12),
        new Architecture.Tensor("dense_0_bias", new int[] {4}, 12, 4),
        new Architecture.Tensor("dense_1_weight", new int[] {4, 2}, 16, 8),
        new Architecture.Tensor("dense_1_bias", new int[] {2}, 24, 2),
        new Architecture.Tensor("dense_2_weight", new int[] {2, 1}, 26, 2),
        new Architecture.Tensor("dense_2_bias", new int[] {1}, 28, 1)), t);
    assertEquals(29, a.parameterCount());
  }

  @Test void logisticRegressionHasOneDenseLayer() {
    Architecture a = Architecture.logisticRegression(100);
    assertEquals(101, a.parameterCount());
    assertEquals(2, a.tensors().size());
    assertEquals("logistic regression 100-1", a.toString());
  }

  @Test void benchmarkMlpHasTheExpectedParameterCount() {
    assertEquals(100 * 256 + 256 + 256 * 256 + 256 + 256 + 1, Architecture.mlp(100, Activation.RELU, 256, 256).parameterCount());
  }

  @Test void hiddenSizesAreCopiedAndComparedByContent() {
    int[] hidden = {8, 4};
    Architecture a = new Architecture(5, hidden, Activation.RELU);
    hidden[0] = 99;
    assertArrayEquals(new int[] {8, 4}, a.hidden());
    a.hidden()[1] = 77;
    assertArrayEquals(new int[] {8, 4}, a.hidden());
    Architecture b = new Architecture(5, new int[] {8, 4}, Activation.RELU);
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, new Architecture(5, new int[] {8, 4}, Activation.TANH));
  }

  @Test void rejectsNonPositiveSizesNamingTheField() {
    assertEquals("inputs must be > 0, was 0", assertThrows(IllegalArgumentException.class,
        () -> Architecture.logisticRegression(0)).getMessage());
    assertEquals("hidden[1] must be > 0, was -3", assertThrows(IllegalArgumentException.class,
        () -> Architecture.mlp(4, Activation.RELU, 2, -3)).getMessage());
  }

  @Test void parsesActivationsAndOptimizersCaseInsensitively() {
    assertEquals(Activation.TANH, Activation.parse("Tanh"));
    assertEquals(Activation.RELU, Activation.parse(" relu "));
    assertEquals(Optimizer.ADAM, Optimizer.parse("adam"));
    assertEquals("activation must be one of relu, tanh, sigmoid, was gelu",
        assertThrows(IllegalArgumentException.class, () -> Activation.parse("gelu")).getMessage());
    assertEquals("optimizer must be one of sgd, adam, was null",
        assertThrows(IllegalArgumentException.class, () -> Optimizer.parse(null)).getMessage());
  }

  @Test void trainingConfigRejectsOutOfRangeValuesNamingTheField() {
    assertEquals("localEpochs must be >= 1, was 0", assertThrows(IllegalArgumentException.class,
        () -> new TrainingConfig(0, 8, 0.1, Optimizer.SGD, 0)).getMessage());
    assertEquals("batchSize must be >= 1, was 0", assertThrows(IllegalArgumentException.class,
        () -> new TrainingConfig(1, 0, 0.1, Optimizer.SGD, 0)).getMessage());
    assertEquals("learningRate must be finite and > 0, was NaN", assertThrows(IllegalArgumentException.class,
        () -> new TrainingConfig(1, 8, Double.NaN, Optimizer.SGD, 0)).getMessage());
    assertEquals("learningRate must be finite and > 0, was 0.0", assertThrows(IllegalArgumentException.class,
        () -> new TrainingConfig(1, 8, 0, Optimizer.SGD, 0)).getMessage());
    assertEquals("proximalMu must be finite and >= 0, was -1.0", assertThrows(IllegalArgumentException.class,
        () -> new TrainingConfig(1, 8, 0.1, Optimizer.SGD, -1)).getMessage());
    assertEquals("optimizer", assertThrows(NullPointerException.class,
        () -> new TrainingConfig(1, 8, 0.1, null, 0)).getMessage());
  }
}
