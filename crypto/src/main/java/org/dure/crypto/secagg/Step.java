package org.dure.crypto.secagg;

import java.util.Objects;

/**
 * What closing a coordinator stage gives: the message for the next stage, or the round's abort with its reason.
 * An aborted round reveals nothing and is retried as a new attempt with the sites that are online.
 */
public sealed interface Step<T> permits Step.Proceed, Step.Abort {
  /** The stage closed with enough participants; {@code value} goes to the next stage's sites. */
  record Proceed<T>(T value) implements Step<T> {
    public Proceed {
      Objects.requireNonNull(value, "value");
    }
  }

  /** The round aborted while closing {@code stage}; {@code reason} says why (for the round record). */
  record Abort<T>(SecAggCoordinator.Stage stage, String reason) implements Step<T> {
    public Abort {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(reason, "reason");
    }
  }

  default boolean aborted() {
    return this instanceof Abort;
  }

  /** The value, or a {@link SecAggException} ({@code TOO_FEW_SURVIVORS}) with the abort reason. */
  default T orElseThrow() {
    if (this instanceof Proceed<T> p) return p.value();
    Abort<T> a = (Abort<T>) this;
    throw new SecAggException(SecAggException.Reason.TOO_FEW_SURVIVORS, a.reason());
  }
}
