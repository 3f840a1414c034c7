package org.dure.learning.train;

/**
 * Local optimizer: plain minibatch SGD, or Adam (beta1 0.9, beta2 0.999, epsilon 1e-8, bias-corrected,
 * with its moment estimates started afresh at every {@link LocalTrainer#train} call).
 */
public enum Optimizer {
  SGD, ADAM;

  /**
   * Parses a name case-insensitively.
   *
   * @throws IllegalArgumentException naming the valid values when {@code name} is not one of them
   */
  public static Optimizer parse(String name) {
    return Activation.parseEnum(Optimizer.class, "optimizer", name);
  }
}
