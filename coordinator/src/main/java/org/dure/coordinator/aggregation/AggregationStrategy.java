package org.dure.coordinator.aggregation;

import org.dure.protocol.study.AggregationPlan;

/**
 * Turns the sites' sample-weighted mean model change (trained − global) into the next global model. The mean is
 * accumulated as updates arrive ({@link RoundAccumulator}) or decoded from a secure sum, so a strategy sees one
 * vector, never the individual sites' — the shape secure aggregation needs, and one a robust or differentially
 * private strategy can transform before handing it to another.
 */
public interface AggregationStrategy {
  /** The next global model from the current one and the sites' weighted mean change {@code meanDelta}. */
  float[] nextGlobal(float[] global, double[] meanDelta);

  static AggregationStrategy of(AggregationPlan plan, int parameters) {
    return switch (plan.strategy()) {
      case FEDAVG, FEDPROX -> new FedAvg();
      case FEDADAM -> new FedAdam(parameters, plan.serverLearningRate(), plan.beta1(), plan.beta2(), plan.tau());
    };
  }
}
