package org.dure.learning.train;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.Random;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Trains a model on one site's data for one federated round: {@link TrainingConfig#localEpochs()} epochs of
 * minibatch SGD or Adam, starting from the global parameters.
 *
 * <p>Deterministic: the same parameters, data, configuration and seed give bit-identical results (examples
 * are shuffled each epoch with {@code java.util.Random(seed)}; math is single-threaded per call when
 * {@code OMP_NUM_THREADS=1} and {@code OPENBLAS_NUM_THREADS=1}, as the site agent runs it). Every buffer is
 * allocated once per trainer and reused; a trainer is not thread-safe. Close it to free native memory.
 */
public final class LocalTrainer implements AutoCloseable {
  private final Architecture arch;
  private final TrainingConfig config;
  private Network net;
  private Updater updater;
  private NativeFloats batch;
  private float[] batchLabels;
  private int[] order;
  private float[] norms, noisy, chunk;
  private java.util.function.Supplier<RandomGenerator> noiseSource = LocalTrainer::secureNoise;
  private boolean closed;

  public LocalTrainer(Architecture arch, TrainingConfig config) {
    this.arch = Objects.requireNonNull(arch, "arch");
    this.config = Objects.requireNonNull(config, "config");
  }

  /**
   * Runs local training from {@code globalParams}.
   *
   * @throws IllegalArgumentException if {@code globalParams} or {@code data} do not fit the architecture
   */
  public TrainOutcome train(float[] globalParams, TrainingData data, long seed) {
    Objects.requireNonNull(globalParams, "globalParams");
    Objects.requireNonNull(data, "data");
    if (closed) throw new IllegalStateException("trainer is closed");
    if (globalParams.length != arch.parameterCount()) {
      throw new IllegalArgumentException("globalParams.length must be " + arch.parameterCount() + " for "
          + arch + ", was " + globalParams.length);
    }
    if (data.cols() != arch.inputs()) {
      throw new IllegalArgumentException("data.cols() must be arch.inputs() = " + arch.inputs()
          + ", was " + data.cols());
    }
    if (config.dpSgd() != null) return trainPrivately(globalParams, data, noiseSource.get());
    int rows = data.rows(), cols = data.cols();
    ensureCapacity(Math.min(config.batchSize(), rows), cols, rows);
    updater.begin(globalParams);

    NativeFloats x = data.features();
    FloatPointer batchPtr = batch.at(0);
    Random random = new Random(seed);
    for (int i = 0; i < rows; i++) order[i] = i;
    double lossSum = 0;
    for (int epoch = 0; epoch < config.localEpochs(); epoch++) {
      shuffle(order, rows, random);
      for (int start = 0; start < rows; start += config.batchSize()) {
        int b = Math.min(config.batchSize(), rows - start);
        for (int i = 0; i < b; i++) {
          int row = order[start + i];
          batch.copyFrom(x, row * cols, i * cols, cols);
          batchLabels[i] = data.label(row);
        }
        lossSum += net.forwardBackward(batchPtr, batchLabels, b);
        updater.apply();
      }
    }
    long seen = (long) config.localEpochs() * rows;
    return new TrainOutcome(net.params.toArray(), lossSum / seen, seen);
  }

  /**
   * DP-SGD: {@link DpSgdConfig#stepsPerRound} steps, each on a Poisson sample of the rows (every row taken
   * independently with probability q), with per-example clipping and Gaussian noise. Not reproducible by design:
   * the sampling and the noise come from {@code random}, which for real studies is seeded from {@code SecureRandom}
   * each round (see {@link #secureNoise()}) — a researcher who knew the study seed must not be able to predict
   * which patients were sampled or subtract the noise.
   */
  private TrainOutcome trainPrivately(float[] globalParams, TrainingData data, RandomGenerator random) {
    DpSgdConfig dp = config.dpSgd();
    int rows = data.rows(), cols = data.cols();
    int expected = (int) Math.ceil(dp.samplingRate() * rows);
    ensureCapacity(Math.min(rows, Math.max(config.batchSize(), expected)), cols, rows);
    updater.begin(globalParams);
    long steps = dp.stepsPerRound(config.localEpochs());
    double lossSum = 0;
    long seen = 0;
    for (long t = 0; t < steps; t++) {
      int m = poissonSample(data, dp.samplingRate(), random);
      lossSum += privateGradient(data, m, random);
      seen += m;
      updater.apply();
    }
    return new TrainOutcome(net.params.toArray(), seen == 0 ? Double.NaN : lossSum / seen, seen, steps);
  }

  /**
   * Fills the network's gradient with the DP-SGD estimate for the {@code m} rows in {@code order[0..m)}:
   * (sum of clipped per-example gradients + N(0, (sigma C)^2) per coordinate) / (q patients). Returns the summed loss.
   */
  double privateGradient(TrainingData data, int m, RandomGenerator random) {
    DpSgdConfig dp = config.dpSgd();
    int cols = data.cols(), size = net.parameterCount();
    NativeFloats x = data.features();
    FloatPointer batchPtr = batch.at(0);
    float clip = (float) dp.clipNorm();
    double loss = 0;
    boolean first = true;
    for (int start = 0; start < m; start += net.capacity) {
      int b = Math.min(net.capacity, m - start);
      for (int i = 0; i < b; i++) {
        int row = order[start + i];
        batch.copyFrom(x, row * cols, i * cols, cols);
        batchLabels[i] = data.label(row);
      }
      loss += net.clippedGradientSum(batchPtr, batchLabels, b, clip, norms);
      if (first) net.grads.get(0, noisy, 0, size);
      else {
        net.grads.get(0, chunk, 0, size);
        for (int j = 0; j < size; j++) noisy[j] += chunk[j];
      }
      first = false;
    }
    if (first) java.util.Arrays.fill(noisy, 0, size, 0f); // nobody sampled: the step is pure noise
    double sd = dp.noiseMultiplier() * dp.clipNorm();
    float scale = (float) (1 / (dp.samplingRate() * data.patients()));
    for (int j = 0; j < size; j++) noisy[j] = (float) ((noisy[j] + sd * random.nextGaussian()) * scale);
    net.grads.put(0, noisy, 0, size);
    return loss;
  }

  /** The rows the last {@link #poissonSample} took (for tests). */
  int[] order() {
    return order;
  }

  /** The DP-SGD gradient at {@code params} for the given sampled rows (for tests). */
  float[] privateGradientAt(float[] params, TrainingData data, int[] rows, RandomGenerator random) {
    if (config.dpSgd() == null) throw new IllegalStateException("not a DP-SGD trainer");
    int n = data.rows();
    ensureCapacity(Math.min(n, Math.max(config.batchSize(), rows.length)), data.cols(), n);
    updater.begin(params);
    System.arraycopy(rows, 0, order, 0, rows.length);
    privateGradient(data, rows.length, random);
    return net.grads.toArray();
  }

  /**
   * Samples this step's rows: every patient independently with probability q, and one uniformly random row of each
   * sampled patient (with one row per patient: the rows themselves). Each patient thus contributes at most one
   * clipped gradient per step, so the accountant's per-record guarantee holds per patient. Leaves the rows in
   * {@code order[0..m)}.
   */
  int poissonSample(TrainingData data, double q, RandomGenerator random) {
    int m = poissonSample(data.patients(), q, random);
    for (int i = 0; i < m; i++) {
      int patient = order[i], n = data.rowsOfPatient(patient);
      order[i] = data.rowOfPatient(patient, n == 1 ? 0 : random.nextInt(n));
    }
    return m;
  }

  /** Poisson sampling of {@code 0..n-1} by geometric gaps: O(sampled), not O(n). Leaves them in {@code order[0..m)}. */
  int poissonSample(int rows, double q, RandomGenerator random) {
    if (q >= 1) {
      for (int i = 0; i < rows; i++) order[i] = i;
      return rows;
    }
    double logMiss = Math.log1p(-q);
    int m = 0;
    long i = -1;
    while (true) {
      double u = random.nextDouble();                   // in [0, 1): 1 - u in (0, 1]
      i += 1 + (long) Math.floor(Math.log1p(-u) / logMiss);
      if (i >= rows) return m;
      order[m++] = (int) i;
    }
  }

  /**
   * The default DP-SGD noise and sampling source: an LXM generator ({@code L64X256MixRandom}; its
   * {@code nextGaussian} is a ziggurat) seeded with 256 bits from {@link SecureRandom} each round, so that the
   * d Gaussians a step needs cost nanoseconds each while no one can reproduce them.
   */
  public static RandomGenerator secureNoise() {
    byte[] seed = new byte[32];
    new SecureRandom().nextBytes(seed);
    return RandomGeneratorFactory.<RandomGenerator>of("L64X256MixRandom").create(seed);
  }

  /** Replaces the per-round noise source (tests only: a seeded one makes DP training reproducible). */
  LocalTrainer noiseSource(java.util.function.Supplier<RandomGenerator> source) {
    this.noiseSource = Objects.requireNonNull(source);
    return this;
  }

  /** Gradient of the mean loss over all of {@code data} at {@code params}, as one batch (for tests). */
  static float[] gradient(Architecture arch, float[] params, TrainingData data, double[] meanLossOut) {
    try (Network n = new Network(arch, data.rows())) {
      n.setParameters(params);
      float[] y = data.labels();
      double loss = n.forwardBackward(data.rowPointer(0), y, data.rows());
      if (meanLossOut != null) meanLossOut[0] = loss / data.rows();
      return n.grads.toArray();
    }
  }

  private static void shuffle(int[] a, int n, Random random) {
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  private void ensureCapacity(int batchSize, int cols, int rows) {
    if (net == null || net.capacity < batchSize) {
      release();
      net = new Network(arch, batchSize);
      updater = new Updater(config, net);
      batch = new NativeFloats(batchSize * cols);
      batchLabels = new float[batchSize];
      norms = new float[batchSize];
      int size = net.parameterCount();
      noisy = config.dpSgd() == null ? null : new float[size];
      chunk = config.dpSgd() == null ? null : new float[size];
    }
    if (order == null || order.length < rows) order = new int[rows];
  }

  private void release() {
    if (updater != null) updater.close();
    if (net != null) net.close();
    if (batch != null) batch.close();
  }

  @Override public void close() {
    if (!closed) {
      closed = true;
      release();
    }
  }
}
