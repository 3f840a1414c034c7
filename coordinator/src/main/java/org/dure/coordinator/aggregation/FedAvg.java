package org.dure.coordinator.aggregation;

/**
 * FedAvg (McMahan et al. 2017): the next global model is the sample-weighted mean of the site models, that is the
 * global model moved by the sites' weighted mean change.
 * FedProx uses the same server step; its proximal term acts in the sites' local training.
 */
final class FedAvg implements AggregationStrategy {
  @Override public float[] nextGlobal(float[] global, double[] meanDelta) {
    if (global.length != meanDelta.length)
      throw new IllegalArgumentException("the model has " + global.length + " parameters, the mean change " + meanDelta.length);
    float[] out = new float[meanDelta.length];
    for (int i = 0; i < out.length; i++) out[i] = (float) (global[i] + meanDelta[i]);
    return out;
  }
}
