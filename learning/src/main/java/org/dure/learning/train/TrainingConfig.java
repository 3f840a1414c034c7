package org.dure.learning.train;

import java.util.Objects;

/**
 * How a site trains locally in one round.
 *
 * @param localEpochs passes over the local data per round, {@code >= 1}
 * @param batchSize minibatch size, {@code >= 1}; the last batch of an epoch may be smaller
 * @param learningRate step size, finite and {@code > 0}
 * @param optimizer SGD or Adam
 * @param proximalMu FedProx coefficient, finite and {@code >= 0}; when positive each gradient gets
 *     {@code proximalMu * (w - wGlobal)} added, which keeps the local model near the global one
 * @param dpSgd differentially private SGD, or null for ordinary minibatch training (then {@code batchSize} is
 *     the exact minibatch size; with DP-SGD it is the capacity of one pass, and batches are Poisson-sampled)
 */
public record TrainingConfig(int localEpochs, int batchSize, double learningRate, Optimizer optimizer,
                             double proximalMu, DpSgdConfig dpSgd) {
  public TrainingConfig(int localEpochs, int batchSize, double learningRate, Optimizer optimizer, double proximalMu) {
    this(localEpochs, batchSize, learningRate, optimizer, proximalMu, null);
  }

  /** The same training, made differentially private. */
  public TrainingConfig withDpSgd(DpSgdConfig dp) {
    return new TrainingConfig(localEpochs, batchSize, learningRate, optimizer, proximalMu, Objects.requireNonNull(dp, "dp"));
  }

  public TrainingConfig {
    if (localEpochs < 1) throw new IllegalArgumentException("localEpochs must be >= 1, was " + localEpochs);
    if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learningRate must be finite and > 0, was " + learningRate);
    }
    Objects.requireNonNull(optimizer, "optimizer");
    if (!(proximalMu >= 0) || Double.isInfinite(proximalMu)) {
      throw new IllegalArgumentException("proximalMu must be finite and >= 0, was " + proximalMu);
    }
  }
}
