package org.dure.learning.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LocalTrainerTest {
  private static final Architecture MLP = Architecture.mlp(6, Activation.RELU, 16, 8);

  /** Two gaussian blobs separated along a random direction, with a clear margin. */
  private static TrainingData separable(int rows, int cols, long seed) {
    Random random = new Random(seed);
    float[] direction = new float[cols];
    for (int j = 0; j < cols; j++) direction[j] = (float) random.nextGaussian();
    float[] x = new float[rows * cols];
    float[] y = new float[rows];
    for (int r = 0; r < rows; r++) {
      y[r] = random.nextBoolean() ? 1 : 0;
      double shift = y[r] == 1 ? 1.5 : -1.5;
      for (int j = 0; j < cols; j++) x[r * cols + j] = (float) (random.nextGaussian() * 0.5 + shift * direction[j]);
    }
    return TrainingData.of(x, rows, cols, y);
  }

  private static double accuracy(float[] p, float[] y) {
    int correct = 0;
    for (int i = 0; i < p.length; i++) if ((p[i] >= 0.5f) == (y[i] == 1f)) correct++;
    return (double) correct / p.length;
  }

  @Test void sameSeedGivesBitIdenticalParametersAndLoss() {
    TrainingConfig config = new TrainingConfig(3, 7, 0.05, Optimizer.SGD, 0);
    try (TrainingData data = separable(100, 6, 1);
         LocalTrainer a = new LocalTrainer(MLP, config);
         LocalTrainer b = new LocalTrainer(MLP, config)) {
      float[] start = Initializer.initialParameters(MLP, 3);
      TrainOutcome first = a.train(start, data, 42);
      TrainOutcome again = a.train(start, data, 42);     // same trainer, reused buffers
      TrainOutcome other = b.train(start, data, 42);     // fresh trainer
      TrainOutcome reseeded = b.train(start, data, 43);
      assertEquals(first, again);
      assertEquals(first, other);
      assertFalse(Arrays.equals(first.parameters(), reseeded.parameters()));
      assertEquals(300, first.examplesSeen());
    }
  }

  @Test void adamIsDeterministicToo() {
    TrainingConfig config = new TrainingConfig(2, 16, 0.01, Optimizer.ADAM, 0.1);
    try (TrainingData data = separable(100, 6, 2); LocalTrainer t = new LocalTrainer(MLP, config)) {
      float[] start = Initializer.initialParameters(MLP, 3);
      assertEquals(t.train(start, data, 5), t.train(start, data, 5));
    }
  }

  @Test void logisticRegressionSeparatesSeparableData() {
    Architecture lr = Architecture.logisticRegression(5);
    try (TrainingData data = separable(2000, 5, 3);
         LocalTrainer t = new LocalTrainer(lr, new TrainingConfig(5, 32, 0.1, Optimizer.SGD, 0))) {
      TrainOutcome out = t.train(Initializer.initialParameters(lr, 1), data, 9);
      float[] p = Predictor.predictProbabilities(lr, out.parameters(), data);
      assertTrue(accuracy(p, data.labels()) > 0.98, "accuracy " + accuracy(p, data.labels()));
      assertTrue(out.meanLoss() < 0.3, "mean loss " + out.meanLoss());
    }
  }

  @Test void mlpLearnsXorWhichLogisticRegressionCannot() {
    int rows = 400;
    Random random = new Random(4);
    float[] x = new float[rows * 2];
    float[] y = new float[rows];
    for (int r = 0; r < rows; r++) {
      float a = random.nextBoolean() ? 1 : -1, b = random.nextBoolean() ? 1 : -1;
      x[2 * r] = a + (float) random.nextGaussian() * 0.2f;
      x[2 * r + 1] = b + (float) random.nextGaussian() * 0.2f;
      y[r] = a * b > 0 ? 1 : 0;
    }
    for (Activation f : Activation.values()) {
      Architecture arch = Architecture.mlp(2, f, 16);
      try (TrainingData data = TrainingData.of(x, rows, 2, y);
           LocalTrainer t = new LocalTrainer(arch, new TrainingConfig(60, 16, 0.01, Optimizer.ADAM, 0))) {
        TrainOutcome out = t.train(Initializer.initialParameters(arch, 2), data, 1);
        double acc = accuracy(Predictor.predictProbabilities(arch, out.parameters(), data), y);
        assertTrue(acc > 0.95, f + " accuracy " + acc);
      }
    }
  }

  @Test void hugeProximalMuKeepsWeightsNearTheGlobalOnes() {
    TrainingConfig free = new TrainingConfig(5, 10, 0.01, Optimizer.SGD, 0);
    TrainingConfig anchored = new TrainingConfig(5, 10, 0.01, Optimizer.SGD, 90);
    try (TrainingData data = separable(200, 6, 5);
         LocalTrainer a = new LocalTrainer(MLP, free);
         LocalTrainer b = new LocalTrainer(MLP, anchored)) {
      float[] global = Initializer.initialParameters(MLP, 8);
      double freeDrift = maxAbsDifference(a.train(global, data, 1).parameters(), global);
      double anchoredDrift = maxAbsDifference(b.train(global, data, 1).parameters(), global);
      assertTrue(freeDrift > 0.05, "free drift " + freeDrift);
      assertTrue(anchoredDrift < freeDrift / 10, "anchored drift " + anchoredDrift + " vs free " + freeDrift);
    }
  }

  @Test void finalPartialBatchAveragesOverItsActualSize() {
    // All rows identical: every batch's mean gradient is the single-example gradient, whatever its size,
    // so 5 rows in batches of 4 (4 + 1) must take the same two steps as 2 rows in batches of 1.
    Architecture arch = Architecture.mlp(3, Activation.TANH, 4);
    float[] row = {0.5f, -1f, 2f};
    float[] five = new float[15];
    for (int r = 0; r < 5; r++) System.arraycopy(row, 0, five, 3 * r, 3);
    float[] start = Initializer.initialParameters(arch, 1);
    try (TrainingData d5 = TrainingData.of(five, 5, 3, new float[] {1, 1, 1, 1, 1});
         TrainingData d2 = TrainingData.of(Arrays.copyOf(five, 6), 2, 3, new float[] {1, 1});
         LocalTrainer batch4 = new LocalTrainer(arch, new TrainingConfig(1, 4, 0.5, Optimizer.SGD, 0));
         LocalTrainer batch1 = new LocalTrainer(arch, new TrainingConfig(1, 1, 0.5, Optimizer.SGD, 0))) {
      assertArrayEquals(batch1.train(start, d2, 1).parameters(), batch4.train(start, d5, 1).parameters(), 1e-6f);
    }
  }

  @Test void oneFullBatchSgdStepSubtractsLearningRateTimesMeanGradient() {
    Architecture arch = Architecture.mlp(4, Activation.SIGMOID, 5);
    float[] x = Reference.gaussian(12, 1);
    float[] y = Reference.coinFlips(3, 2);
    float[] start = Initializer.initialParameters(arch, 3);
    try (TrainingData data = TrainingData.of(x, 3, 4, y);
         LocalTrainer t = new LocalTrainer(arch, new TrainingConfig(1, 3, 0.25, Optimizer.SGD, 0))) {
      float[] g = LocalTrainer.gradient(arch, start, data, null);
      float[] expected = start.clone();
      for (int i = 0; i < g.length; i++) expected[i] -= 0.25f * g[i];
      assertArrayEquals(expected, t.train(start, data, 0).parameters(), 1e-6f);
    }
  }

  @Test void adamFirstStepMovesEachWeightByTheLearningRate() {
    // With fresh moments the first bias-corrected Adam step is lr * g / (|g| + eps): lr times the sign.
    Architecture arch = Architecture.logisticRegression(3);
    float[] start = {0.1f, -0.2f, 0.3f, 0.05f};
    try (TrainingData data = TrainingData.of(new float[] {1f, -2f, 0.5f}, 1, 3, new float[] {1});
         LocalTrainer t = new LocalTrainer(arch, new TrainingConfig(1, 1, 0.01, Optimizer.ADAM, 0))) {
      float[] g = LocalTrainer.gradient(arch, start, data, null);
      float[] after = t.train(start, data, 0).parameters();
      for (int i = 0; i < start.length; i++) {
        assertEquals(start[i] - 0.01 * Math.signum(g[i]), after[i], 1e-6, "parameter " + i);
      }
    }
  }

  @Test void meanLossIsTheLossBeforeEachUpdate() {
    // One epoch, one batch: the reported loss is the loss at the starting parameters.
    Architecture arch = Architecture.mlp(4, Activation.RELU, 5);
    float[] x = Reference.gaussian(20, 4);
    float[] y = Reference.coinFlips(5, 5);
    float[] start = Initializer.initialParameters(arch, 6);
    try (TrainingData data = TrainingData.of(x, 5, 4, y);
         LocalTrainer t = new LocalTrainer(arch, new TrainingConfig(1, 8, 0.1, Optimizer.SGD, 0))) {
      double expected = Reference.meanLoss(arch, Reference.toDouble(start), x, y);
      assertEquals(expected, t.train(start, data, 0).meanLoss(), 1e-6);
    }
  }

  @Test void rejectsParametersOfTheWrongLength() {
    try (TrainingData data = separable(10, 6, 1);
         LocalTrainer t = new LocalTrainer(MLP, new TrainingConfig(1, 4, 0.1, Optimizer.SGD, 0))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.train(new float[3], data, 0));
      assertEquals("globalParams.length must be 257 for mlp 6-16-8-1 relu, was 3", e.getMessage());
    }
  }

  @Test void rejectsDataOfTheWrongWidth() {
    try (TrainingData data = separable(10, 5, 1);
         LocalTrainer t = new LocalTrainer(MLP, new TrainingConfig(1, 4, 0.1, Optimizer.SGD, 0))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> t.train(new float[MLP.parameterCount()], data, 0));
      assertEquals("data.cols() must be arch.inputs() = 6, was 5", e.getMessage());
    }
  }

  @Test void closedTrainerRefusesToTrain() {
    LocalTrainer t = new LocalTrainer(MLP, new TrainingConfig(1, 4, 0.1, Optimizer.SGD, 0));
    t.close();
    try (TrainingData data = separable(10, 6, 1)) {
      assertThrows(IllegalStateException.class, () -> t.train(new float[MLP.parameterCount()], data, 0));
    }
  }

  private static double maxAbsDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
    return max;
  }
}
