package org.dure.learning.train;

import java.util.Objects;
import java.util.Random;
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
