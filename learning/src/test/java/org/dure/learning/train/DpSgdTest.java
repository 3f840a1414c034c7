package org.dure.learning.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DpSgdTest {
  private static RandomGenerator seeded(long seed) {
    return RandomGeneratorFactory.<RandomGenerator>of("L64X256MixRandom").create(seed);
  }

  private static TrainingData data(int rows, int cols, long seed) {
    return TrainingData.of(Reference.gaussian(rows * cols, seed), rows, cols, Reference.coinFlips(rows, seed + 1));
  }

  /** One example's own gradient, by the ordinary backward pass on a batch of one. */
  private static float[] exampleGradient(Architecture arch, float[] params, TrainingData d, int row) {
    float[] x = new float[d.cols()];
    d.features().get(row * d.cols(), x, 0, d.cols());
    try (TrainingData one = TrainingData.of(x, 1, d.cols(), new float[] {d.label(row)})) {
      return LocalTrainer.gradient(arch, params, one, null);
    }
  }

  private static double norm(float[] v) {
    double s = 0;
    for (float f : v) s += (double) f * f;
    return Math.sqrt(s);
  }

  @ParameterizedTest @EnumSource(Activation.class)
  void perExampleNormsFromActivationsAndErrorsEqualTheNormsOfBatchOfOneGradients(Activation f) {
    for (Architecture arch : new Architecture[] {Architecture.logisticRegression(7), Architecture.mlp(7, f, 9, 5)}) {
      float[] params = Initializer.initialParameters(arch, 11);
      for (int i = 0; i < params.length; i++) params[i] += 0.1f * (float) Math.sin(i); // non-zero biases too
      try (TrainingData d = data(23, 7, 5); Network net = new Network(arch, 23)) {
        net.setParameters(params);
        float[] norms = new float[23];
        net.clippedGradientSum(d.rowPointer(0), d.labels(), 23, 1e9f, norms);
        for (int i = 0; i < 23; i++) {
          double expected = norm(exampleGradient(arch, params, d, i));
          assertEquals(expected, norms[i], 1e-4 * expected + 1e-7, arch + " example " + i);
        }
      }
    }
  }

  @ParameterizedTest @EnumSource(Activation.class)
  void theClippedSumIsTheSumOfEachExampleGradientClippedToC(Activation f) {
    Architecture arch = Architecture.mlp(6, f, 8, 4);
    float[] params = Initializer.initialParameters(arch, 3);
    float clip = 0.05f;
    try (TrainingData d = data(31, 6, 9); Network net = new Network(arch, 31)) {
      net.setParameters(params);
      float[] norms = new float[31];
      net.clippedGradientSum(d.rowPointer(0), d.labels(), 31, clip, norms);
      float[] got = net.grads.toArray();
      double[] expected = new double[got.length];
      int clipped = 0;
      for (int i = 0; i < 31; i++) {
        float[] g = exampleGradient(arch, params, d, i);
        double n = norm(g), c = Math.min(1, clip / n);
        if (c < 1) clipped++;
        double clippedNorm = 0;
        for (int j = 0; j < g.length; j++) {
          expected[j] += g[j] * c;
          clippedNorm += g[j] * c * g[j] * c;
        }
        assertTrue(Math.sqrt(clippedNorm) <= clip * (1 + 1e-5), "example " + i + " norm " + Math.sqrt(clippedNorm));
      }
      assertTrue(clipped > 20, "the test must clip most examples, clipped " + clipped);
      for (int j = 0; j < got.length; j++) assertEquals(expected[j], got[j], 1e-5, "parameter " + j);
    }
  }

  @Test void noiseOnTheBatchGradientHasStandardDeviationSigmaCOverExpectedBatch() {
    Architecture arch = Architecture.mlp(10, Activation.TANH, 8);
    int rows = 200;
    double sigma = 1.3, clip = 0.5, q = 0.1;
    TrainingConfig base = new TrainingConfig(1, 32, 0.1, Optimizer.SGD, 0);
    float[] params = Initializer.initialParameters(arch, 1);
    try (TrainingData d = data(rows, 10, 2);
         LocalTrainer clean = new LocalTrainer(arch, base.withDpSgd(new DpSgdConfig(0, clip, q)));
         LocalTrainer noisy = new LocalTrainer(arch, base.withDpSgd(new DpSgdConfig(sigma, clip, q)))) {
      RandomGenerator rng = seeded(7);
      int[] sample = new Random(3).ints(0, rows).distinct().limit(20).sorted().toArray();
      float[] reference = clean.privateGradientAt(params, d, sample, rng);
      double sum = 0, sumSq = 0;
      long n = 0;
      for (int draw = 0; draw < 300; draw++) {
        float[] g = noisy.privateGradientAt(params, d, sample, rng);
        for (int j = 0; j < g.length; j++) {
          double e = g[j] - reference[j];
          sum += e;
          sumSq += e * e;
          n++;
        }
      }
      double mean = sum / n, sd = Math.sqrt(sumSq / n - mean * mean);
      double target = sigma * clip / (q * rows);
      assertEquals(target, sd, 0.05 * target, "empirical sd " + sd + " over " + n + " draws");
      assertEquals(0, mean, 4 * target / Math.sqrt(n), "noise mean");
    }
  }

  @Test void poissonSamplingTakesEachRowWithProbabilityQ() {
    Architecture arch = Architecture.logisticRegression(3);
    int rows = 1000;
    double q = 0.03;
    try (TrainingData d = data(rows, 3, 4);
         LocalTrainer t = new LocalTrainer(arch, new TrainingConfig(1, 64, 0.1, Optimizer.SGD, 0).withDpSgd(new DpSgdConfig(1, 1, q)))) {
      t.privateGradientAt(Initializer.initialParameters(arch, 1), d, new int[0], seeded(1)); // allocates buffers
      RandomGenerator rng = seeded(2);
      int steps = 2000;
      long total = 0;
      int[] hits = new int[rows];
      for (int s = 0; s < steps; s++) {
        int m = t.poissonSample(rows, q, rng);
        total += m;
        for (int i = 0; i < m; i++) hits[t.order()[i]]++;
      }
      double expected = q * rows * steps, se = Math.sqrt(rows * steps * q * (1 - q));
      assertEquals(expected, total, 4 * se, "sampled rows in total");
      // per row: binomial(steps, q) = mean 60, sd 7.6 — no row is systematically skipped or favoured
      double chi2 = 0;
      for (int h : hits) chi2 += (h - steps * q) * (h - steps * q) / (steps * q * (1 - q));
      assertTrue(chi2 < rows + 4 * Math.sqrt(2.0 * rows), "chi-square " + chi2 + " for " + rows + " df");
    }
  }

  @Test void withSeveralRowsPerPatientEachStepSamplesPatientsAndTakesOneRowOfEach() {
    Architecture arch = Architecture.logisticRegression(3);
    int patients = 400;
    int[] patientOfRow = new int[patients * 3];
    int rows = 0;
    for (int p = 0; p < patients; p++) for (int k = 0; k <= p % 5 && rows < patientOfRow.length; k++) patientOfRow[rows++] = p;
    int[] owner = java.util.Arrays.copyOf(patientOfRow, rows);
    double q = 0.05;
    try (TrainingData d = data(rows, 3, 6).withPatients(owner);
         LocalTrainer t = new LocalTrainer(arch, new TrainingConfig(1, 64, 0.1, Optimizer.SGD, 0).withDpSgd(new DpSgdConfig(1, 1, q)))) {
      assertEquals(patients, d.patients());
      assertEquals(5, d.maxRowsPerPatient());
      t.privateGradientAt(Initializer.initialParameters(arch, 1), d, new int[0], seeded(1));
      RandomGenerator rng = seeded(3);
      long total = 0;
      java.util.Set<Integer> rowsSeen = new java.util.HashSet<>();
      for (int s = 0; s < 1000; s++) {
        int m = t.poissonSample(d, q, rng);
        total += m;
        java.util.Set<Integer> patientsThisStep = new java.util.HashSet<>();
        for (int i = 0; i < m; i++) {
          int row = t.order()[i];
          rowsSeen.add(row);
          assertTrue(patientsThisStep.add(owner[row]), "patient " + owner[row] + " contributed twice in step " + s);
        }
      }
      double expected = q * patients * 1000, se = Math.sqrt(patients * 1000 * q * (1 - q));
      assertEquals(expected, total, 4 * se, "patients are sampled at rate q, not rows");
      assertTrue(rowsSeen.size() > 0.95 * rows, "every row of a patient gets its turn: " + rowsSeen.size() + " of " + rows);
    }
    assertThrows(IllegalArgumentException.class, () -> data(3, 2, 1).withPatients(new int[] {0, 2, 2}), "patient 1 has no row");
  }

  @Test void privateTrainingTakesEpochsTimesOneOverQNoisyStepsAndStillLearns() {
    Architecture arch = Architecture.logisticRegression(5);
    int rows = 2000;
    Random random = new Random(8);
    float[] dir = {1, -1, 0.5f, 2, -0.5f};
    float[] x = new float[rows * 5];
    float[] y = new float[rows];
    for (int r = 0; r < rows; r++) {
      y[r] = random.nextBoolean() ? 1 : 0;
      for (int j = 0; j < 5; j++) x[r * 5 + j] = (float) (random.nextGaussian() * 0.5 + (y[r] == 1 ? 1 : -1) * dir[j]);
    }
    double q = DpSgdConfig.samplingRate(64, rows);
    TrainingConfig config = new TrainingConfig(3, 64, 0.5, Optimizer.SGD, 0).withDpSgd(new DpSgdConfig(1.0, 1.0, q));
    try (TrainingData d = TrainingData.of(x, rows, 5, y); LocalTrainer t = new LocalTrainer(arch, config)) {
      t.noiseSource(() -> seeded(5));
      float[] start = Initializer.initialParameters(arch, 1);
      TrainOutcome out = t.train(start, d, 0);
      assertEquals(3L * Math.round(rows / 64.0), out.noisySteps());
      assertEquals(out, t.train(start, d, 0), "a seeded noise source reproduces the run");
      float[] p = Predictor.predictProbabilities(arch, out.parameters(), d);
      int correct = 0;
      for (int i = 0; i < rows; i++) if ((p[i] >= 0.5f) == (y[i] == 1f)) correct++;
      assertTrue(correct > 0.95 * rows, "accuracy " + (double) correct / rows);
      t.noiseSource(LocalTrainer::secureNoise);
      float[] a = t.train(start, d, 0).parameters(), b = t.train(start, d, 0).parameters();
      assertTrue(!java.util.Arrays.equals(a, b), "the default noise source is not reproducible");
    }
  }

  @Test void invalidSettingsAreRejectedNamingTheParameter() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DpSgdConfig(-1, 1, 0.1)).getMessage().contains("noiseMultiplier"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DpSgdConfig(1, 0, 0.1)).getMessage().contains("clipNorm"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DpSgdConfig(1, 1, 0)).getMessage().contains("samplingRate"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DpSgdConfig(1, 1, 1.5)).getMessage().contains("samplingRate"));
    assertEquals(10, new DpSgdConfig(1, 1, 0.1).stepsPerEpoch());
    assertEquals(1, new DpSgdConfig(1, 1, 1).stepsPerEpoch());
  }
}
