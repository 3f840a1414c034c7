package org.dure.ledger.merkle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class MerkleTreeTest {
  private static final long SEED = 0x6962L;

  @Test void rootsAndProofsAgreeWithTheRecursiveRfcDefinitionForEverySizeUpTo70() {
    Random random = new Random(SEED);
    List<byte[]> data = randomLeaves(random, 70);
    MerkleTree tree = new MerkleTree();
    data.forEach(tree::append);
    Reference ref = new Reference(data);

    for (int n = 0; n <= data.size(); n++) {
      assertEquals(Hex.encode(ref.mth(0, n)), Hex.encode(tree.root(n)), "root(" + n + ")");
      for (int m = 0; m < n; m++) {
        assertEquals(hex(ref.path(m, 0, n)), hex(tree.inclusionProof(m, n)), "PATH(" + m + ", " + n + ")");
        if (m > 0) {
          assertEquals(hex(ref.subproof(m, 0, n, true)), hex(tree.consistencyProof(m, n)),
              "PROOF(" + m + ", " + n + ")");
        }
      }
    }
  }

  @Test void everyProofOfRandomTreesVerifiesAndEveryTamperedOneFails() {
    Random random = new Random(SEED);
    for (int trial = 0; trial < 2; trial++) {
      int leaves = trial == 0 ? 300 : 1 + random.nextInt(300);
      List<byte[]> data = randomLeaves(random, leaves);
      MerkleTree tree = new MerkleTree();
      data.forEach(tree::append);
      byte[][] roots = new byte[leaves + 1][];
      for (int n = 0; n <= leaves; n++) roots[n] = tree.root(n);

      for (int n = 1; n <= leaves; n++) {
        for (int m = 0; m < n; m++) {
          byte[] leafHash = MerkleProofs.leafHash(data.get(m));
          long index = m;
          long size = n;
          byte[] root = roots[n];
          List<byte[]> proof = tree.inclusionProof(m, n);
          MerkleProofs.verifyInclusion(leafHash, index, size, proof, root);
          assertTamperedProofsFail(random, proof, p -> MerkleProofs.verifyInclusion(leafHash, index, size, p, root),
              "inclusion of " + m + " in " + n);
          assertFails(() -> MerkleProofs.verifyInclusion(flipBit(random, leafHash), index, size, proof, root));
          assertFails(() -> MerkleProofs.verifyInclusion(leafHash, index, size, proof, flipBit(random, root)));
        }
        for (int m = 1; m <= n; m++) {
          long size1 = m;
          long size2 = n;
          byte[] root1 = roots[m];
          byte[] root2 = roots[n];
          List<byte[]> proof = tree.consistencyProof(m, n);
          MerkleProofs.verifyConsistency(size1, size2, root1, root2, proof);
          assertTamperedProofsFail(random, proof, p -> MerkleProofs.verifyConsistency(size1, size2, root1, root2, p),
              "consistency " + m + " -> " + n);
          assertFails(() -> MerkleProofs.verifyConsistency(size1, size2, flipBit(random, root1), root2, proof));
          assertFails(() -> MerkleProofs.verifyConsistency(size1, size2, root1, flipBit(random, root2), proof));
        }
      }
    }
  }

  @Test void earlierRootsDoNotChangeAsTheTreeGrows() {
    Random random = new Random(SEED);
    MerkleTree tree = new MerkleTree();
    List<byte[]> rootsSeen = new ArrayList<>();
    for (int i = 0; i < 130; i++) {
      rootsSeen.add(tree.root());
      assertEquals(i, tree.append(randomLeaves(random, 1).get(0)));
      assertEquals(i + 1, tree.size());
    }
    for (int n = 0; n < rootsSeen.size(); n++) assertArrayEquals(rootsSeen.get(n), tree.root(n), "root(" + n + ")");
  }

  @Test void aMillionLeafTreeProvesInclusionAndConsistencyAcrossItsHistory() {
    MerkleTree tree = new MerkleTree();
    int leaves = 1_000_000;
    byte[] data = new byte[8];
    for (int i = 0; i < leaves; i++) {
      putLong(data, i);
      tree.append(data);
    }
    long[][] cases = {{0, 1}, {123_456, 765_432}, {999_999, 1_000_000}, {524_288, 524_289}, {1, 1_000_000}};
    for (long[] c : cases) {
      putLong(data, c[0]);
      MerkleProofs.verifyInclusion(MerkleProofs.leafHash(data), c[0], c[1], tree.inclusionProof(c[0], c[1]),
          tree.root(c[1]));
      long size1 = c[0] + 1;
      MerkleProofs.verifyConsistency(size1, c[1], tree.root(size1), tree.root(c[1]),
          tree.consistencyProof(size1, c[1]));
    }
  }

  @Test void proofsAndRootsBeyondTheCurrentSizeAreRejectedWithTheValidRange() {
    MerkleTree tree = new MerkleTree();
    for (int i = 0; i < 5; i++) tree.append(new byte[] {(byte) i});

    assertEquals("size must be in [0, 5], was 6", assertIae(() -> tree.root(6)).getMessage());
    assertEquals("size must be in [1, 5], was 6", assertIae(() -> tree.inclusionProof(0, 6)).getMessage());
    assertEquals("index must be in [0, 3), was 3", assertIae(() -> tree.inclusionProof(3, 3)).getMessage());
    assertEquals("size1 must be in [1, 4], was 0", assertIae(() -> tree.consistencyProof(0, 4)).getMessage());
    assertEquals("size1 must be in [1, 4], was 5", assertIae(() -> tree.consistencyProof(5, 4)).getMessage());
    assertEquals("size2 must be in [1, 5], was 9", assertIae(() -> tree.consistencyProof(1, 9)).getMessage());
    assertEquals("leafData", assertThrows(NullPointerException.class, () -> tree.append(null)).getMessage());
  }

  @Test void returnedHashesAreCopiesThatCannotCorruptTheTree() {
    MerkleTree tree = new MerkleTree();
    for (int i = 0; i < 4; i++) tree.append(new byte[] {(byte) i});
    byte[] root = tree.root();
    tree.root()[0] ^= 1;
    tree.inclusionProof(0, 4).get(1)[0] ^= 1;
    assertArrayEquals(root, tree.root());
  }

  /**
   * A bit flipped in a random element, a random adjacent pair of unequal elements swapped, the last element
   * dropped, and an element appended: none may verify.
   */
  private static void assertTamperedProofsFail(Random random, List<byte[]> proof, Consumer<List<byte[]>> verify,
      String what) {
    if (!proof.isEmpty()) {
      int i = random.nextInt(proof.size());
      List<byte[]> flipped = new ArrayList<>(proof);
      flipped.set(i, flipBit(random, proof.get(i)));
      assertFails(() -> verify.accept(flipped), what + " with a bit flipped in element " + i);
      assertFails(() -> verify.accept(proof.subList(0, proof.size() - 1)), what + " truncated");
    }
    if (proof.size() >= 2) {
      int i = random.nextInt(proof.size() - 1);
      if (!Arrays.equals(proof.get(i), proof.get(i + 1))) {
        List<byte[]> swapped = new ArrayList<>(proof);
        swapped.set(i, proof.get(i + 1));
        swapped.set(i + 1, proof.get(i));
        assertFails(() -> verify.accept(swapped), what + " with elements " + i + " and " + (i + 1) + " swapped");
      }
    }
    List<byte[]> extended = new ArrayList<>(proof);
    extended.add(new byte[32]);
    assertFails(() -> verify.accept(extended), what + " extended");
  }

  private static void assertFails(Executable verification) {
    assertFails(verification, "tampered input");
  }

  private static void assertFails(Executable verification, String what) {
    assertThrows(MerkleProofException.class, verification, what + " must not verify");
  }

  private static IllegalArgumentException assertIae(Executable call) {
    return assertThrows(IllegalArgumentException.class, call);
  }

  private static byte[] flipBit(Random random, byte[] hash) {
    byte[] copy = hash.clone();
    int bit = random.nextInt(copy.length * 8);
    copy[bit / 8] ^= (byte) (1 << (bit % 8));
    return copy;
  }

  private static List<byte[]> randomLeaves(Random random, int count) {
    List<byte[]> leaves = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] leaf = new byte[random.nextInt(40)];
      random.nextBytes(leaf);
      leaves.add(leaf);
    }
    return leaves;
  }

  private static void putLong(byte[] buffer, long value) {
    for (int i = 0; i < 8; i++) buffer[i] = (byte) (value >>> (8 * i));
  }

  private static List<String> hex(List<byte[]> hashes) {
    return hashes.stream().map(Hex::encode).toList();
  }

  /** RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 written as literally as possible, with no caching. */
  private static final class Reference {
    private final List<byte[]> data;

    Reference(List<byte[]> data) {
      this.data = data;
    }

    byte[] mth(int start, int n) {
      MessageDigest d = sha256();
      if (n == 0) return d.digest();
      if (n == 1) {
        d.update((byte) 0);
        return d.digest(data.get(start));
      }
      int k = Integer.highestOneBit(n - 1);
      d.update((byte) 1);
      d.update(mth(start, k));
      return d.digest(mth(start + k, n - k));
    }

    List<byte[]> path(int m, int start, int n) {
      List<byte[]> out = new ArrayList<>();
      if (n == 1) return out;
      int k = Integer.highestOneBit(n - 1);
      if (m < k) {
        out.addAll(path(m, start, k));
        out.add(mth(start + k, n - k));
      } else {
        out.addAll(path(m - k, start + k, n - k));
        out.add(mth(start, k));
      }
      return out;
    }

    List<byte[]> subproof(int m, int start, int n, boolean b) {
      List<byte[]> out = new ArrayList<>();
      if (m == n) {
        if (!b) out.add(mth(start, n));
        return out;
      }
      int k = Integer.highestOneBit(n - 1);
      if (m <= k) {
        out.addAll(subproof(m, start, k, b));
        out.add(mth(start + k, n - k));
      } else {
        out.addAll(subproof(m - k, start + k, n - k, false));
        out.add(mth(start, k));
      }
      return out;
    }

    private static MessageDigest sha256() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
