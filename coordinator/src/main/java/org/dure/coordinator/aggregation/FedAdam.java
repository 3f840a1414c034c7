package org.dure.coordinator.aggregation;

/**
 * FedAdam (Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 2): the mean site
 * change {@code Δ} (trained − global) is a pseudo-gradient for a server Adam step
 * {@code m = β1 m + (1-β1) Δ; v = β2 v + (1-β2) Δ²; x += η m / (√v + τ)}.
 * Its moment state lives for the study's lifetime in this coordinator process.
 */
final class FedAdam implements AggregationStrategy {
  private final double[] m, v;
  private final double lr, beta1, beta2, tau;

  FedAdam(int parameters, double lr, double beta1, double beta2, double tau) {
    if (!(lr > 0)) throw new IllegalArgumentException("serverLearningRate must be > 0, was " + lr);
    if (!(tau > 0)) throw new IllegalArgumentException("tau must be > 0, was " + tau);
    this.m = new double[parameters];
    this.v = new double[parameters];
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.tau = tau;
  }

  @Override public float[] nextGlobal(float[] global, double[] meanDelta) {
    if (global.length != m.length || meanDelta.length != m.length)
      throw new IllegalArgumentException("FedAdam state has " + m.length + " parameters, got " + global.length + " and " + meanDelta.length);
    float[] out = new float[global.length];
    for (int i = 0; i < out.length; i++) {
      double delta = meanDelta[i];
      m[i] = beta1 * m[i] + (1 - beta1) * delta;
      v[i] = beta2 * v[i] + (1 - beta2) * delta * delta;
      out[i] = (float) (global[i] + lr * m[i] / (Math.sqrt(v[i]) + tau));
    }
    return out;
  }
}
