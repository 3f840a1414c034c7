package org.dure.learning.estimation;

import java.util.Objects;

/** The outcome of a fit: a coefficient table, or the reason there is none; never both. */
public sealed interface EstimationResult permits EstimationResult.Fitted, EstimationResult.NotEstimable {
  /** The model was estimated. */
  record Fitted(CoefficientTable table) implements EstimationResult {
    public Fitted { Objects.requireNonNull(table, "table"); }
  }

  /** The model has no estimates; {@code message} says why in plain words and what to do. */
  record NotEstimable(EstimationException.Reason reason, String message, Convergence convergence)
      implements EstimationResult {
    public NotEstimable {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }
}
