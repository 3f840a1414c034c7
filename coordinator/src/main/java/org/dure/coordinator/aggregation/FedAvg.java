package org.dure.coordinator.aggregation;

/**
 * FedAvg (McMahan et al. 2017): the next global model is the sample-weighted mean of the site models.
 * FedProx uses the same server step; its proximal term acts in the sites' local training.
 */
final class FedAvg implements AggregationStrategy {
  @Override public float[] nextGlobal(float[] global, double[] weightedMean) {
    float[] out = new float[weightedMean.length];
    for (int i = 0; i < out.length; i++) out[i] = (float) weightedMean[i];
    return out;
  }
}
