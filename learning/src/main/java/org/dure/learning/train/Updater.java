package org.dure.learning.train;

import org.bytedeco.javacpp.FloatPointer;

/** Applies one optimizer step to a {@link Network}'s parameters from its gradients, with the FedProx term. */
final class Updater implements AutoCloseable {
  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double EPSILON = 1e-8;

  private final TrainingConfig config;
  private final Network net;
  private final int size;
  private final FloatPointer paramsPtr;
  private final FloatPointer gradsPtr;
  private final NativeFloats global;       // FedProx anchor, when proximalMu > 0
  private final FloatPointer globalPtr;
  // Adam state on the heap
  private final float[] w;
  private final float[] g;
  private final float[] wGlobal;
  private final float[] m;
  private final float[] v;
  private long step;

  Updater(TrainingConfig config, Network net) {
    this.config = config;
    this.net = net;
    this.size = net.parameterCount();
    this.paramsPtr = net.params.at(0);
    this.gradsPtr = net.grads.at(0);
    boolean prox = config.proximalMu() > 0;
    boolean adam = config.optimizer() == Optimizer.ADAM;
    this.global = prox && !adam ? new NativeFloats(size) : null;
    this.globalPtr = global == null ? null : global.at(0);
    this.w = adam ? new float[size] : null;
    this.g = adam ? new float[size] : null;
    this.wGlobal = adam && prox ? new float[size] : null;
    this.m = adam ? new float[size] : null;
    this.v = adam ? new float[size] : null;
  }

  /** Starts a round from {@code globalParams}: loads them and resets the optimizer state. */
  void begin(float[] globalParams) {
    net.setParameters(globalParams);
    step = 0;
    if (global != null) global.put(0, globalParams, 0, size);
    if (w != null) {
      System.arraycopy(globalParams, 0, w, 0, size);
      if (wGlobal != null) System.arraycopy(globalParams, 0, wGlobal, 0, size);
      java.util.Arrays.fill(m, 0f);
      java.util.Arrays.fill(v, 0f);
    }
  }

  void apply() {
    step++;
    if (config.optimizer() == Optimizer.SGD) sgd();
    else adam();
    net.parametersChanged();
  }

  private void sgd() {
    float mu = (float) config.proximalMu();
    if (mu > 0) {                       // g += mu * (w - wGlobal)
      Blas.axpy(size, mu, paramsPtr, gradsPtr);
      Blas.axpy(size, -mu, globalPtr, gradsPtr);
    }
    Blas.axpy(size, (float) -config.learningRate(), gradsPtr, paramsPtr);
  }

  private void adam() {
    net.grads.get(0, g, 0, size);
    float mu = (float) config.proximalMu();
    if (mu > 0) {
      for (int i = 0; i < size; i++) g[i] += mu * (w[i] - wGlobal[i]);
    }
    float b1 = (float) BETA1, b2 = (float) BETA2;
    float c1 = (float) (1 - BETA1), c2 = (float) (1 - BETA2);
    // w -= lr * mHat / (sqrt(vHat) + eps), with mHat = m / (1 - b1^t) and vHat = v / (1 - b2^t)
    float stepSize = (float) (config.learningRate() / (1 - Math.pow(BETA1, step)));
    float vScale = (float) (1 / Math.sqrt(1 - Math.pow(BETA2, step)));
    float eps = (float) EPSILON;
    for (int i = 0; i < size; i++) {
      float gi = g[i];
      float mi = b1 * m[i] + c1 * gi;
      float vi = b2 * v[i] + c2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] -= stepSize * mi / ((float) Math.sqrt(vi) * vScale + eps);
    }
    net.params.put(0, w, 0, size);
  }

  @Override public void close() {
    if (global != null) global.close();
  }
}
