package org.dure.ledger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.dure.crypto.SecureFiles;
import org.dure.ledger.merkle.MerkleProofException;
import org.dure.ledger.merkle.MerkleProofs;
import org.dure.ledger.LedgerException.Reason;

/**
 * What a site keeps to hold the coordinator to one history: the last tree head it accepted, in a small file.
 * Every newer head must come with a consistency proof from the accepted one ({@link #accept}), so a coordinator
 * that rewrites, rolls back or forks its log (shows different histories to different sites) is caught by the
 * sites themselves, and {@link #checkInclusion} proves that an entry, such as the site's own receipt, is in the
 * log a head commits to.
 *
 * <p>The first head is accepted on trust (there is nothing to compare it with); after that, a head is accepted
 * only if it extends the last one. Thread-safe.
 */
public final class TreeHeadMonitor {
  private final Path file;
  private final PublicKey coordinatorKey;
  private SignedTreeHead current;   // guarded by this

  private TreeHeadMonitor(Path file, PublicKey coordinatorKey, SignedTreeHead current) {
    this.file = file;
    this.coordinatorKey = coordinatorKey;
    this.current = current;
  }

  /**
   * Opens the monitor kept in {@code file} (which need not exist yet) for the coordinator's ledger key.
   *
   * @throws LedgerException {@link Reason#CORRUPT_LOG} if the file holds no valid head,
   *     {@link Reason#BAD_SIGNATURE} if its head was not signed by {@code coordinatorKey}
   */
  public static TreeHeadMonitor open(Path file, PublicKey coordinatorKey) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(coordinatorKey, "coordinatorKey");
    SignedTreeHead head = null;
    if (Files.exists(file)) {
      String text = Files.readString(file).strip();
      try {
        head = SignedTreeHead.parse(text);
      } catch (IllegalArgumentException e) {
        throw new LedgerException(Reason.CORRUPT_LOG, file + " does not hold a tree head (" + e.getMessage()
            + "); it is written only by this monitor: restore it from a backup rather than delete it, since deleting"
            + " it makes the site trust whatever head it sees next", e);
      }
      if (!head.verifySignature(coordinatorKey)) {
        throw new LedgerException(Reason.BAD_SIGNATURE, "the tree head in " + file + " does not verify with the"
            + " coordinator key given; is this the consortium's coordinator key?");
      }
    }
    return new TreeHeadMonitor(file, coordinatorKey, head);
  }

  /** The last head accepted, if any. */
  public synchronized Optional<SignedTreeHead> current() {
    return Optional.ofNullable(current);
  }

  /**
   * Accepts {@code newHead} if the coordinator signed it and {@code consistencyProof} (from
   * {@code TransparencyLog.consistencyProof(current.size(), newHead.size())}) proves it extends the last head
   * accepted, then keeps it (written atomically to the monitor's file). A head equal in size and root to the
   * current one is accepted without a proof and changes nothing.
   *
   * @throws LedgerException {@link Reason#BAD_SIGNATURE} if the coordinator did not sign the head;
   *     {@link Reason#ROLLBACK} if it is smaller than the current one; {@link Reason#FORK_DETECTED} if it has the
   *     current size but another root, or the proof shows it does not extend the current head;
   *     {@link Reason#BAD_PROOF} if the proof is malformed for the two sizes
   */
  public synchronized void accept(SignedTreeHead newHead, List<byte[]> consistencyProof) throws IOException {
    Objects.requireNonNull(newHead, "newHead");
    Objects.requireNonNull(consistencyProof, "consistencyProof");
    if (!newHead.verifySignature(coordinatorKey)) {
      throw new LedgerException(Reason.BAD_SIGNATURE, "tree head " + newHead + " is not signed by the coordinator's"
          + " ledger key; reject whatever came with it");
    }
    SignedTreeHead old = current;
    if (old != null) {
      if (newHead.size() < old.size()) {
        throw new LedgerException(Reason.ROLLBACK, "the coordinator presented a tree head of size " + newHead.size()
            + ", smaller than the head of size " + old.size() + " accepted earlier (signed " + old.timestamp()
            + "): its log was rolled back, or it is replaying an old head; keep both heads as evidence");
      }
      if (newHead.size() == old.size()) {
        if (!MessageDigest.isEqual(newHead.rootHash(), old.rootHash())) {
          throw forked(old, newHead, "two different roots for the same size");
        }
        return;
      }
      if (old.size() > 0) {
        try {
          MerkleProofs.verifyConsistency(old.size(), newHead.size(), old.rootHash(), newHead.rootHash(),
              consistencyProof);
        } catch (MerkleProofException e) {
          if (e.reason() == MerkleProofException.Reason.ROOT_MISMATCH) {
            throw forked(old, newHead, "the consistency proof does not connect them");
          }
          throw new LedgerException(Reason.BAD_PROOF, "the consistency proof from size " + old.size() + " to "
              + newHead.size() + " is malformed (" + e.getMessage() + "); ask the coordinator for"
              + " consistencyProof(" + old.size() + ", " + newHead.size() + ")", e);
        }
      }
    }
    SecureFiles.writeAtomically(file, newHead.toJson() + "\n", false);
    current = newHead;
  }

  /** {@link #checkInclusion(byte[], long, List, SignedTreeHead)} for an entry, also checking its coordinator signature. */
  public void checkInclusion(LedgerEntry entry, long index, List<byte[]> proof, SignedTreeHead head) {
    Objects.requireNonNull(entry, "entry");
    if (entry.index() != index) {
      throw new IllegalArgumentException("the entry's index is " + entry.index() + ", not " + index);
    }
    if (!entry.verifyCoordinatorSignature(coordinatorKey)) {
      throw new LedgerException(Reason.BAD_SIGNATURE, "entry " + index + " (" + entry.type() + ") is not signed by"
          + " the coordinator's ledger key");
    }
    checkInclusion(entry.canonicalBytes(), index, proof, head);
  }

  /**
   * Checks that the entry whose canonical bytes are {@code entryCanonicalBytes} is entry {@code index} of the log
   * that {@code head} (signed by the coordinator) commits to. Accept the head first, so that it is known to
   * extend the history this site has seen.
   *
   * @throws LedgerException {@link Reason#BAD_SIGNATURE} if the coordinator did not sign the head,
   *     {@link Reason#BAD_PROOF} if the proof does not put the entry at that index under the head's root
   */
  public void checkInclusion(byte[] entryCanonicalBytes, long index, List<byte[]> proof, SignedTreeHead head) {
    Objects.requireNonNull(entryCanonicalBytes, "entryCanonicalBytes");
    Objects.requireNonNull(proof, "proof");
    Objects.requireNonNull(head, "head");
    if (!head.verifySignature(coordinatorKey)) {
      throw new LedgerException(Reason.BAD_SIGNATURE, "tree head " + head + " is not signed by the coordinator's"
          + " ledger key");
    }
    try {
      MerkleProofs.verifyInclusion(MerkleProofs.leafHash(entryCanonicalBytes), index, head.size(), proof,
          head.rootHash());
    } catch (MerkleProofException e) {
      throw new LedgerException(Reason.BAD_PROOF, "entry " + index + " is not proven to be in the log of size "
          + head.size() + ": " + e.getMessage(), e);
    }
  }

  private static LedgerException forked(SignedTreeHead old, SignedTreeHead newHead, String how) {
    return new LedgerException(Reason.FORK_DETECTED, "the coordinator's log forked: the tree head of size "
        + newHead.size() + " (signed " + newHead.timestamp() + ") does not extend the head of size " + old.size()
        + " accepted earlier (signed " + old.timestamp() + "), " + how + ". Both are signed by the coordinator: keep"
        + " them as evidence, stop contributing and tell the consortium administrators");
  }
}
