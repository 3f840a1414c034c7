package org.dure.protocol.study;

/** How each site trains in each round. */
public record TrainingPlan(int rounds, int localEpochs, int batchSize, double learningRate,
                           String optimizer, long seed) {
  public static final java.util.List<String> OPTIMIZERS = java.util.List.of("sgd", "adam");
}
