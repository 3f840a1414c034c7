package org.dure.ledger;

/**
 * A ledger operation failed; the {@link Reason} says why and the message says what to do about it.
 */
public final class LedgerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a ledger operation failed. */
  public enum Reason {
    /** A log file ends with an incomplete line: a write was interrupted by a crash. */
    TORN_TAIL,
    /** A log file holds a line that is not a valid entry or tree head, or the two files disagree. */
    CORRUPT_LOG,
    /** Another log instance (in this or another process) has the directory open. */
    LOCKED,
    /** The key given does not match the key the log was signed with. */
    WRONG_KEY,
    /** The log was closed. */
    CLOSED,
    /** Writing or syncing a log file failed; the log accepts no more appends until reopened. */
    WRITE_FAILED,
    /** A tree head's or entry's coordinator signature does not verify. */
    BAD_SIGNATURE,
    /** An inclusion or consistency proof is malformed or does not verify against the tree head. */
    BAD_PROOF,
    /** Two tree heads cannot both be views of one append-only log: the log was forked or rewritten. */
    FORK_DETECTED,
    /** A tree head is smaller than one already accepted: the log was rolled back, or the head is stale. */
    ROLLBACK
  }

  private final Reason reason;

  LedgerException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  LedgerException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
