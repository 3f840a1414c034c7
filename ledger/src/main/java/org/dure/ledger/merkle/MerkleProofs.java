package org.dure.ledger.merkle;

import static org.dure.ledger.merkle.MerkleProofException.Reason.INDEX_OUT_OF_RANGE;
import static org.dure.ledger.merkle.MerkleProofException.Reason.ROOT_MISMATCH;
import static org.dure.ledger.merkle.MerkleProofException.Reason.SIZE_OUT_OF_RANGE;
import static org.dure.ledger.merkle.MerkleProofException.Reason.WRONG_HASH_LENGTH;
import static org.dure.ledger.merkle.MerkleProofException.Reason.WRONG_PROOF_LENGTH;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Verifiers for RFC 9162 (Certificate Transparency 2.0) Merkle proofs over SHA-256, the same hashing as
 * RFC 6962: a leaf hashes as {@code SHA-256(0x00 || data)}, an interior node as
 * {@code SHA-256(0x01 || left || right)}, a tree of n > 1 leaves splits at the largest power of two
 * smaller than n, and the empty tree's root is {@code SHA-256("")}.
 *
 * <p>Each verifier returns normally only if the proof holds; otherwise it throws a
 * {@link MerkleProofException} whose {@link MerkleProofException#reason() reason} says whether the proof
 * was malformed (index or sizes out of range, wrong number of hashes, a hash that is not 32 bytes) or
 * simply does not lead to the given root. There is no boolean to forget to check.
 */
public final class MerkleProofs {
  private MerkleProofs() {}

  /** The RFC 6962 leaf hash {@code SHA-256(0x00 || leafData)}, the input to {@link #verifyInclusion}. */
  public static byte[] leafHash(byte[] leafData) {
    Objects.requireNonNull(leafData, "leafData");
    return new TreeHasher().leaf(leafData);
  }

  /**
   * Checks that {@code leafHash} is the leaf at {@code index} of the tree of {@code size} leaves whose
   * root is {@code root}, following RFC 9162 §2.1.3.2.
   *
   * @throws MerkleProofException if the proof is malformed or does not reproduce {@code root}
   */
  public static void verifyInclusion(byte[] leafHash, long index, long size, List<byte[]> proof, byte[] root) {
    Objects.requireNonNull(leafHash, "leafHash");
    Objects.requireNonNull(proof, "proof");
    Objects.requireNonNull(root, "root");
    if (index < 0 || index >= size) {
      throw new MerkleProofException(INDEX_OUT_OF_RANGE, "index must be in [0, size), was index=" + index
          + " size=" + size + "; a tree of size n holds leaves 0..n-1");
    }
    requireHashLength("leafHash", leafHash);
    requireHashLength("root", root);
    List<byte[]> path = checkedHashes(proof);
    int expected = inclusionProofLength(index, size);
    if (path.size() != expected) {
      throw new MerkleProofException(WRONG_PROOF_LENGTH, "an inclusion proof for index " + index
          + " in a tree of size " + size + " has " + expected + " hashes, but this one has " + path.size());
    }

    TreeHasher hasher = new TreeHasher();
    long fn = index;
    long sn = size - 1;
    byte[] r = leafHash;
    for (byte[] p : path) {
      if (sn == 0) throw mismatch("inclusion proof for index " + index + " is longer than the tree is deep");
      if ((fn & 1) == 1 || fn == sn) {
        r = hasher.node(p, r);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>>= 1;
          sn >>>= 1;
        }
      } else {
        r = hasher.node(r, p);
      }
      fn >>>= 1;
      sn >>>= 1;
    }
    if (sn != 0 || !MessageDigest.isEqual(r, root)) {
      throw mismatch("inclusion proof for index " + index + " in a tree of size " + size
          + " does not lead to the given root; the leaf, the proof or the root is not the logged one");
    }
  }

  /**
   * Checks that the tree of {@code size1} leaves with root {@code root1} is a prefix of the tree of
   * {@code size2} leaves with root {@code root2}, following RFC 9162 §2.1.4.2. When the sizes are equal the
   * proof must be empty and the roots equal, as RFC 9162 §2.1.4.1 produces an empty proof for that case.
   *
   * @throws MerkleProofException if the proof is malformed or does not reproduce both roots
   */
  public static void verifyConsistency(long size1, long size2, byte[] root1, byte[] root2, List<byte[]> proof) {
    Objects.requireNonNull(root1, "root1");
    Objects.requireNonNull(root2, "root2");
    Objects.requireNonNull(proof, "proof");
    if (size1 <= 0 || size1 > size2) {
      throw new MerkleProofException(SIZE_OUT_OF_RANGE, "sizes must satisfy 0 < size1 <= size2, was size1="
          + size1 + " size2=" + size2 + "; every tree extends the empty tree, so there is nothing to prove for 0");
    }
    requireHashLength("root1", root1);
    requireHashLength("root2", root2);
    List<byte[]> path = checkedHashes(proof);
    int expected = consistencyProofLength(size1, size2);
    if (path.size() != expected) {
      throw new MerkleProofException(WRONG_PROOF_LENGTH, "a consistency proof from size " + size1 + " to "
          + size2 + " has " + expected + " hashes, but this one has " + path.size());
    }
    if (size1 == size2) {
      if (!MessageDigest.isEqual(root1, root2)) {
        throw mismatch("two trees of the same size " + size1 + " have different roots: the log forked");
      }
      return;
    }

    if (Long.bitCount(size1) == 1) {
      List<byte[]> seeded = new ArrayList<>(path.size() + 1);
      seeded.add(root1);
      seeded.addAll(path);
      path = seeded;
    }
    TreeHasher hasher = new TreeHasher();
    long fn = size1 - 1;
    long sn = size2 - 1;
    while ((fn & 1) == 1) {
      fn >>>= 1;
      sn >>>= 1;
    }
    byte[] fr = path.get(0);
    byte[] sr = path.get(0);
    for (byte[] c : path.subList(1, path.size())) {
      if (sn == 0) throw mismatch("consistency proof from size " + size1 + " is longer than the tree is deep");
      if ((fn & 1) == 1 || fn == sn) {
        fr = hasher.node(c, fr);
        sr = hasher.node(c, sr);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>>= 1;
          sn >>>= 1;
        }
      } else {
        sr = hasher.node(sr, c);
      }
      fn >>>= 1;
      sn >>>= 1;
    }
    if (sn != 0 || !MessageDigest.isEqual(fr, root1) || !MessageDigest.isEqual(sr, root2)) {
      throw mismatch("consistency proof from size " + size1 + " to " + size2 + " does not lead to the given"
          + " roots; the later tree does not extend the earlier one, or a root or the proof is wrong");
    }
  }

  /** Number of hashes in the inclusion proof of {@code index} in a tree of {@code size} leaves. */
  static int inclusionProofLength(long index, long size) {
    int inner = 64 - Long.numberOfLeadingZeros(index ^ (size - 1));
    int border = Long.bitCount(index >>> inner);
    return inner + border;
  }

  /** Number of hashes in the consistency proof from {@code size1} to {@code size2}, 0 < size1 <= size2. */
  static int consistencyProofLength(long size1, long size2) {
    if (size1 == size2) return 0;
    int shift = Long.numberOfTrailingZeros(size1);
    int length = inclusionProofLength(size1 - 1, size2) - shift + 1;
    return Long.bitCount(size1) == 1 ? length - 1 : length;
  }

  private static List<byte[]> checkedHashes(List<byte[]> proof) {
    List<byte[]> copy = new ArrayList<>(proof.size());
    for (int i = 0; i < proof.size(); i++) {
      byte[] hash = proof.get(i);
      Objects.requireNonNull(hash, "proof[" + i + "]");
      requireHashLength("proof[" + i + "]", hash);
      copy.add(hash);
    }
    return copy;
  }

  private static void requireHashLength(String name, byte[] hash) {
    if (hash.length != TreeHasher.HASH_LENGTH) {
      throw new MerkleProofException(WRONG_HASH_LENGTH, name + " must be a " + TreeHasher.HASH_LENGTH
          + "-byte SHA-256 hash, was " + hash.length + " bytes");
    }
  }

  private static MerkleProofException mismatch(String message) {
    return new MerkleProofException(ROOT_MISMATCH, message);
  }
}
