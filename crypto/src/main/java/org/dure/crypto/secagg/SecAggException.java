package org.dure.crypto.secagg;

/**
 * A secure-aggregation message or request was refused. The {@link Reason} says why; the message names the
 * site(s) and stage involved and what to check.
 */
public final class SecAggException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a message or request was refused. */
  public enum Reason {
    /** A key advertisement's signature does not verify with the site's long-term key. */
    BAD_SIGNATURE,
    /** A message names a site that is not in the round (or not in the stage's participant set). */
    NOT_IN_ROUND,
    /** A site sent the same kind of message twice in one round. */
    DUPLICATE_MESSAGE,
    /** A message is malformed or inconsistent with the round (lengths, recipients, missing own keys). */
    MALFORMED_MESSAGE,
    /** An encrypted share failed authentication: tampered, or made for another study, round or recipient. */
    SHARE_REJECTED,
    /** An unmask request would reveal both secrets of one site, or contradicts what this site saw. */
    UNSAFE_UNMASK_REQUEST,
    /** Fewer participants than the threshold remain. */
    TOO_FEW_SURVIVORS,
    /** Revealed shares do not reconstruct a consistent secret. */
    RECONSTRUCTION_FAILED
  }

  private final Reason reason;

  SecAggException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
