package org.dure.coordinator.aggregation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sums site models weighted by sample count as they arrive, so the coordinator holds O(model size)
 * whatever the number of sites. A site contributes at most once per round.
 */
public final class RoundAccumulator {
  private final double[] weightedSum;
  private final Map<String, Long> samplesBySite = new LinkedHashMap<>();
  private long totalSamples;

  public RoundAccumulator(int parameters) {
    this.weightedSum = new double[parameters];
  }

  /** Adds one site's trained model; rejects a wrong size, a repeat, or non-finite values. */
  public void add(String site, long samples, float[] parameters) {
    if (parameters.length != weightedSum.length)
      throw new IllegalArgumentException("site " + site + " sent " + parameters.length + " parameters but the model has " + weightedSum.length
          + "; check that the site runs the same study definition");
    if (samples <= 0) throw new IllegalArgumentException("site " + site + " sent an update trained on " + samples + " samples");
    if (samplesBySite.containsKey(site)) throw new IllegalArgumentException("site " + site + " already contributed to this round");
    for (float p : parameters)
      if (!Float.isFinite(p)) throw new IllegalArgumentException("site " + site + " sent a non-finite parameter; its training diverged");
    for (int i = 0; i < parameters.length; i++) weightedSum[i] += samples * (double) parameters[i];
    samplesBySite.put(site, samples);
    totalSamples += samples;
  }

  public int contributors() {
    return samplesBySite.size();
  }

  public Map<String, Long> samplesBySite() {
    return Map.copyOf(samplesBySite);
  }

  public long totalSamples() {
    return totalSamples;
  }

  /** The sample-weighted mean of the contributions. */
  public double[] weightedMean() {
    if (totalSamples == 0) throw new IllegalStateException("no contributions to average");
    double[] mean = new double[weightedSum.length];
    for (int i = 0; i < mean.length; i++) mean[i] = weightedSum[i] / totalSamples;
    return mean;
  }

  /** The sample-weighted mean change of the contributions from {@code global}, the model the round trained from. */
  public double[] weightedMeanDelta(float[] global) {
    if (global.length != weightedSum.length)
      throw new IllegalArgumentException("the global model has " + global.length + " parameters, the round " + weightedSum.length);
    double[] delta = weightedMean();
    for (int i = 0; i < delta.length; i++) delta[i] -= global[i];
    return delta;
  }
}
