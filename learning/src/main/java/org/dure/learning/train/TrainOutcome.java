package org.dure.learning.train;

import java.util.Arrays;

/**
 * Result of one {@link LocalTrainer#train} call.
 *
 * @param parameters the locally trained flat parameter vector (layout: {@link Architecture#tensors()})
 * @param meanLoss mean binary cross-entropy over every example seen, each measured on the minibatch
 *     forward pass just before that minibatch's update (the usual running training loss)
 * @param examplesSeen examples processed: local epochs times rows (with DP-SGD: the examples actually sampled)
 * @param noisySteps DP-SGD steps taken (each one a use of the sampled Gaussian mechanism); 0 without DP-SGD
 */
public record TrainOutcome(float[] parameters, double meanLoss, long examplesSeen, long noisySteps) {
  public TrainOutcome {
    parameters = parameters.clone();
  }

  public TrainOutcome(float[] parameters, double meanLoss, long examplesSeen) {
    this(parameters, meanLoss, examplesSeen, 0);
  }

  @Override public float[] parameters() {
    return parameters.clone();
  }

  @Override public boolean equals(Object o) {
    return o instanceof TrainOutcome t && Arrays.equals(parameters, t.parameters)
        && Double.compare(meanLoss, t.meanLoss) == 0 && examplesSeen == t.examplesSeen && noisySteps == t.noisySteps;
  }

  @Override public int hashCode() {
    return 31 * (31 * Arrays.hashCode(parameters) + Double.hashCode(meanLoss)) + Long.hashCode(examplesSeen) + 17 * Long.hashCode(noisySteps);
  }

  @Override public String toString() {
    return "TrainOutcome[parameters=" + parameters.length + " floats, meanLoss=" + meanLoss
        + ", examplesSeen=" + examplesSeen + ", noisySteps=" + noisySteps + "]";
  }
}
