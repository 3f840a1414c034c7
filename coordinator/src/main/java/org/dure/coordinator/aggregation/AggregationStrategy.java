package org.dure.coordinator.aggregation;

import org.dure.protocol.study.AggregationPlan;

/**
 * Turns the sample-weighted mean of the sites' models into the next global model. The mean itself is
 * accumulated as updates arrive ({@link RoundAccumulator}), so a strategy sees one vector, never the
 * individual sites' — the shape secure aggregation needs.
 */
public interface AggregationStrategy {
  /** The next global model from the current one and the weighted mean of the sites' trained models. */
  float[] nextGlobal(float[] global, double[] weightedMean);

  static AggregationStrategy of(AggregationPlan plan, int parameters) {
    return switch (plan.strategy()) {
      case FEDAVG, FEDPROX -> new FedAvg();
      case FEDADAM -> new FedAdam(parameters, plan.serverLearningRate(), plan.beta1(), plan.beta2(), plan.tau());
    };
  }
}
