package org.dure.learning.estimation;

import java.util.Objects;

/** Why a model cannot be estimated (or a site cannot contribute), in words a researcher can act on. */
public final class EstimationException extends RuntimeException {
  /** The kind of failure. */
  public enum Reason {
    /** A site (or the whole pool) has no rows. */
    NO_ROWS,
    /** The outcome has no events (or only events): nothing to estimate. */
    NO_EVENTS,
    /** A class of a multinomial outcome has no rows at any site. */
    EMPTY_CLASS,
    /** Perfect or quasi-complete separation (monotone likelihood for Cox): coefficients diverge. */
    SEPARATION,
    /** Collinear or empty columns: the information matrix is singular. */
    SINGULAR_INFORMATION,
    /** Newton–Raphson stopped without converging for another reason. */
    NOT_CONVERGED
  }

  private final Reason reason;

  public EstimationException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() { return reason; }
}
