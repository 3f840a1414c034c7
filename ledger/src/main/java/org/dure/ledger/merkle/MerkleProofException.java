package org.dure.ledger.merkle;

/**
 * A Merkle inclusion or consistency proof did not verify. The {@link Reason} separates proofs that are
 * malformed for the sizes claimed from well-formed proofs that do not lead to the expected root.
 */
public final class MerkleProofException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why verification failed. */
  public enum Reason {
    /** Inclusion: the leaf index is negative or not below the tree size. */
    INDEX_OUT_OF_RANGE,
    /** Consistency: size1 is not in 1..size2. */
    SIZE_OUT_OF_RANGE,
    /** The proof has a different number of hashes than the index and sizes require. */
    WRONG_PROOF_LENGTH,
    /** A leaf hash, root or proof element is not a 32-byte SHA-256 hash. */
    WRONG_HASH_LENGTH,
    /** The proof is well formed but does not reproduce the given root(s). */
    ROOT_MISMATCH
  }

  private final Reason reason;

  MerkleProofException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
