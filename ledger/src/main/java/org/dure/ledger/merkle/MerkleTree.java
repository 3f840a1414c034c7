package org.dure.ledger.merkle;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An append-only, in-memory RFC 6962 / RFC 9162 Merkle tree over SHA-256 that can produce the root of
 * the tree at any earlier size and inclusion and consistency proofs against it; see {@link MerkleProofs}
 * for the hashing and for verification.
 *
 * <p>Besides the leaf hashes, the tree keeps the hash of every complete, aligned power-of-two subtree
 * (about one more hash per leaf), so a root or a proof costs O(log² n) hashes rather than O(n). It holds
 * at most {@value #MAX_LEAVES} leaves. Methods are synchronized, so one tree can be appended to and
 * read from by several threads.
 */
public final class MerkleTree {
  /** The most leaves one in-memory tree holds: the leaf level must fit in one byte array. */
  public static final long MAX_LEAVES = Integer.MAX_VALUE / TreeHasher.HASH_LENGTH;

  private final TreeHasher hasher = new TreeHasher();
  /** {@code levels.get(h)} holds the hashes of the complete subtrees of 2^h leaves, left to right. */
  private final List<HashLevel> levels = new ArrayList<>();

  public MerkleTree() {
    levels.add(new HashLevel());
  }

  /** Appends a leaf (hashed as {@code SHA-256(0x00 || leafData)}) and returns its 0-based index. */
  public synchronized long append(byte[] leafData) {
    Objects.requireNonNull(leafData, "leafData");
    long index = size();
    if (index >= MAX_LEAVES) {
      throw new IllegalStateException("tree is full at " + MAX_LEAVES + " leaves; start a new tree segment");
    }
    levels.get(0).add(hasher.leaf(leafData));
    long node = index;
    for (int h = 0; (node & 1) == 1; h++, node >>>= 1) {
      HashLevel level = levels.get(h);
      byte[] parent = hasher.node(level.get(node - 1), level.get(node));
      if (levels.size() == h + 1) levels.add(new HashLevel());
      levels.get(h + 1).add(parent);
    }
    return index;
  }

  /** The number of leaves appended so far. */
  public synchronized long size() {
    return levels.get(0).count;
  }

  /** The root of the current tree; {@code SHA-256("")} while the tree is empty. */
  public synchronized byte[] root() {
    return root(size());
  }

  /** The root the tree had when it held its first {@code size} leaves, 0 <= size <= size(). */
  public synchronized byte[] root(long size) {
    if (size < 0 || size > size()) {
      throw new IllegalArgumentException("size must be in [0, " + size() + "], was " + size);
    }
    return size == 0 ? hasher.emptyRoot() : subtreeHash(0, size);
  }

  /**
   * The RFC 9162 §2.1.3.1 inclusion proof (audit path) of the leaf at {@code index} in the tree of the
   * first {@code size} leaves, ordered from the leaf's sibling up to the root's child.
   */
  public synchronized List<byte[]> inclusionProof(long index, long size) {
    if (size <= 0 || size > size()) {
      throw new IllegalArgumentException("size must be in [1, " + size() + "], was " + size);
    }
    if (index < 0 || index >= size) {
      throw new IllegalArgumentException("index must be in [0, " + size + "), was " + index);
    }
    List<byte[]> proof = new ArrayList<>();
    path(index, 0, size, proof);
    return List.copyOf(proof);
  }

  /**
   * The RFC 9162 §2.1.4.1 consistency proof that the tree of the first {@code size1} leaves is a prefix
   * of the tree of the first {@code size2} leaves, 0 < size1 <= size2 <= size(); empty if the sizes are
   * equal.
   */
  public synchronized List<byte[]> consistencyProof(long size1, long size2) {
    if (size2 < 0 || size2 > size()) {
      throw new IllegalArgumentException("size2 must be in [1, " + size() + "], was " + size2);
    }
    if (size1 <= 0 || size1 > size2) {
      throw new IllegalArgumentException("size1 must be in [1, " + size2 + "], was " + size1);
    }
    List<byte[]> proof = new ArrayList<>();
    subproof(size1, 0, size2, true, proof);
    return List.copyOf(proof);
  }

  /** PATH(m, D[start:start+n]) of RFC 9162, appended to {@code out} bottom-up. */
  private void path(long m, long start, long n, List<byte[]> out) {
    if (n == 1) return;
    long k = largestPowerOfTwoBelow(n);
    if (m < k) {
      path(m, start, k, out);
      out.add(subtreeHash(start + k, n - k));
    } else {
      path(m - k, start + k, n - k, out);
      out.add(subtreeHash(start, k));
    }
  }

  /** SUBPROOF(m, D[start:start+n], b) of RFC 9162, appended to {@code out} bottom-up. */
  private void subproof(long m, long start, long n, boolean wholeOldTree, List<byte[]> out) {
    if (m == n) {
      if (!wholeOldTree) out.add(subtreeHash(start, n));
      return;
    }
    long k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      subproof(m, start, k, wholeOldTree, out);
      out.add(subtreeHash(start + k, n - k));
    } else {
      subproof(m - k, start + k, n - k, false, out);
      out.add(subtreeHash(start, k));
    }
  }

  /** MTH(D[start:start+n]) for n >= 1, from the cached complete subtrees. */
  private byte[] subtreeHash(long start, long n) {
    if (Long.bitCount(n) == 1 && start % n == 0) {
      int h = Long.numberOfTrailingZeros(n);
      return levels.get(h).get(start >>> h);
    }
    long k = largestPowerOfTwoBelow(n);
    return hasher.node(subtreeHash(start, k), subtreeHash(start + k, n - k));
  }

  /** The largest power of two strictly smaller than n, for n >= 2. */
  private static long largestPowerOfTwoBelow(long n) {
    return Long.highestOneBit(n - 1);
  }

  /** A growable array of 32-byte hashes stored back to back. */
  private static final class HashLevel {
    private byte[] hashes = new byte[16 * TreeHasher.HASH_LENGTH];
    private int count;

    void add(byte[] hash) {
      int offset = count * TreeHasher.HASH_LENGTH;
      if (offset == hashes.length) {
        int capacity = hashes.length / TreeHasher.HASH_LENGTH;
        long grown = Math.min(capacity + (long) capacity / 2, MAX_LEAVES);
        hashes = Arrays.copyOf(hashes, (int) grown * TreeHasher.HASH_LENGTH);
      }
      System.arraycopy(hash, 0, hashes, offset, TreeHasher.HASH_LENGTH);
      count++;
    }

    byte[] get(long index) {
      int offset = Math.toIntExact(index) * TreeHasher.HASH_LENGTH;
      return Arrays.copyOfRange(hashes, offset, offset + TreeHasher.HASH_LENGTH);
    }
  }
}
