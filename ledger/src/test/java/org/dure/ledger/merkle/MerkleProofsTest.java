package org.dure.ledger.merkle;

import static org.dure.ledger.merkle.MerkleProofException.Reason.INDEX_OUT_OF_RANGE;
import static org.dure.ledger.merkle.MerkleProofException.Reason.ROOT_MISMATCH;
import static org.dure.ledger.merkle.MerkleProofException.Reason.SIZE_OUT_OF_RANGE;
import static org.dure.ledger.merkle.MerkleProofException.Reason.WRONG_HASH_LENGTH;
import static org.dure.ledger.merkle.MerkleProofException.Reason.WRONG_PROOF_LENGTH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class MerkleProofsTest {
  private final MerkleTree tree = new MerkleTree();

  MerkleProofsTest() {
    for (int i = 0; i < 11; i++) tree.append(("leaf " + i).getBytes(StandardCharsets.UTF_8));
  }

  private byte[] leaf(int i) {
    return MerkleProofs.leafHash(("leaf " + i).getBytes(StandardCharsets.UTF_8));
  }

  @Test void leafHashIsSha256OfZeroBytePrefixedData() {
    assertEquals("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        Hex.encode(MerkleProofs.leafHash(new byte[0])));
  }

  @Test void inclusionIndexEqualToSizeIsRejectedAsOutOfRange() {
    MerkleProofException e = assertFails(INDEX_OUT_OF_RANGE,
        () -> MerkleProofs.verifyInclusion(leaf(0), 11, 11, tree.inclusionProof(0, 11), tree.root()));
    assertEquals("index must be in [0, size), was index=11 size=11; a tree of size n holds leaves 0..n-1",
        e.getMessage());
  }

  @Test void inclusionNegativeIndexAndEmptyTreeAreRejectedAsOutOfRange() {
    assertFails(INDEX_OUT_OF_RANGE, () -> MerkleProofs.verifyInclusion(leaf(0), -1, 11, List.of(), tree.root()));
    assertFails(INDEX_OUT_OF_RANGE, () -> MerkleProofs.verifyInclusion(leaf(0), 0, 0, List.of(), tree.root(0)));
  }

  @Test void inclusionProofOneHashShortIsRejectedAsWrongLength() {
    List<byte[]> proof = tree.inclusionProof(3, 11);
    MerkleProofException e = assertFails(WRONG_PROOF_LENGTH,
        () -> MerkleProofs.verifyInclusion(leaf(3), 3, 11, proof.subList(0, proof.size() - 1), tree.root()));
    assertEquals("an inclusion proof for index 3 in a tree of size 11 has 4 hashes, but this one has 3",
        e.getMessage());
  }

  @Test void inclusionProofWithAnExtraHashIsRejectedAsWrongLength() {
    List<byte[]> proof = new ArrayList<>(tree.inclusionProof(10, 11));
    proof.add(tree.root());
    assertFails(WRONG_PROOF_LENGTH, () -> MerkleProofs.verifyInclusion(leaf(10), 10, 11, proof, tree.root()));
  }

  @Test void inclusionWithA31ByteHashAnywhereIsRejectedAsWrongHashLength() {
    List<byte[]> proof = tree.inclusionProof(5, 11);
    byte[] short31 = new byte[31];
    List<byte[]> badProof = new ArrayList<>(proof);
    badProof.set(1, short31);

    MerkleProofException e = assertFails(WRONG_HASH_LENGTH,
        () -> MerkleProofs.verifyInclusion(leaf(5), 5, 11, badProof, tree.root()));
    assertEquals("proof[1] must be a 32-byte SHA-256 hash, was 31 bytes", e.getMessage());
    assertFails(WRONG_HASH_LENGTH, () -> MerkleProofs.verifyInclusion(short31, 5, 11, proof, tree.root()));
    assertFails(WRONG_HASH_LENGTH, () -> MerkleProofs.verifyInclusion(leaf(5), 5, 11, proof, short31));
  }

  @Test void inclusionOfAnotherLeafIsRejectedAsRootMismatch() {
    assertFails(ROOT_MISMATCH,
        () -> MerkleProofs.verifyInclusion(leaf(4), 5, 11, tree.inclusionProof(5, 11), tree.root()));
  }

  @Test void inclusionAgainstAnEarlierRootIsRejectedAsRootMismatch() {
    assertFails(ROOT_MISMATCH,
        () -> MerkleProofs.verifyInclusion(leaf(5), 5, 11, tree.inclusionProof(5, 11), tree.root(10)));
  }

  @Test void consistencyFromSizeZeroIsRejectedAsSizeOutOfRange() {
    MerkleProofException e = assertFails(SIZE_OUT_OF_RANGE,
        () -> MerkleProofs.verifyConsistency(0, 11, tree.root(0), tree.root(), List.of()));
    assertEquals("sizes must satisfy 0 < size1 <= size2, was size1=0 size2=11; every tree extends the empty"
        + " tree, so there is nothing to prove for 0", e.getMessage());
  }

  @Test void consistencyWithSize1AboveSize2IsRejectedAsSizeOutOfRange() {
    assertFails(SIZE_OUT_OF_RANGE,
        () -> MerkleProofs.verifyConsistency(11, 7, tree.root(), tree.root(7), tree.consistencyProof(7, 11)));
  }

  @Test void consistencyProofOfWrongLengthIsRejected() {
    List<byte[]> proof = tree.consistencyProof(6, 11);
    MerkleProofException e = assertFails(WRONG_PROOF_LENGTH, () -> MerkleProofs.verifyConsistency(
        6, 11, tree.root(6), tree.root(), proof.subList(0, proof.size() - 1)));
    assertEquals("a consistency proof from size 6 to 11 has " + proof.size() + " hashes, but this one has "
        + (proof.size() - 1), e.getMessage());
    assertFails(WRONG_PROOF_LENGTH,
        () -> MerkleProofs.verifyConsistency(4, 11, tree.root(4), tree.root(), List.of()));
  }

  @Test void consistencyBetweenEqualSizesNeedsAnEmptyProofAndEqualRoots() {
    MerkleProofs.verifyConsistency(7, 7, tree.root(7), tree.root(7), List.of());
    assertFails(WRONG_PROOF_LENGTH,
        () -> MerkleProofs.verifyConsistency(7, 7, tree.root(7), tree.root(7), List.of(tree.root(7))));
    assertFails(ROOT_MISMATCH, () -> MerkleProofs.verifyConsistency(7, 7, tree.root(7), tree.root(), List.of()));
  }

  @Test void consistencyWithAWrongLengthRootOrElementIsRejected() {
    List<byte[]> proof = tree.consistencyProof(3, 11);
    byte[] long33 = Arrays.copyOf(tree.root(), 33);
    List<byte[]> badProof = new ArrayList<>(proof);
    badProof.set(0, long33);

    assertFails(WRONG_HASH_LENGTH, () -> MerkleProofs.verifyConsistency(3, 11, long33, tree.root(), proof));
    assertFails(WRONG_HASH_LENGTH, () -> MerkleProofs.verifyConsistency(3, 11, tree.root(3), long33, proof));
    assertFails(WRONG_HASH_LENGTH,
        () -> MerkleProofs.verifyConsistency(3, 11, tree.root(3), tree.root(), badProof));
  }

  @Test void consistencyWithSwappedRootsIsRejectedAsRootMismatch() {
    assertFails(ROOT_MISMATCH, () -> MerkleProofs.verifyConsistency(
        3, 11, tree.root(), tree.root(3), tree.consistencyProof(3, 11)));
  }

  @Test void nullArgumentsAreRejectedByName() {
    NullPointerException e = assertThrows(NullPointerException.class,
        () -> MerkleProofs.verifyInclusion(null, 0, 1, List.of(), tree.root(1)));
    assertEquals("leafHash", e.getMessage());
    List<byte[]> withNull = new ArrayList<>();
    withNull.add(null);
    e = assertThrows(NullPointerException.class,
        () -> MerkleProofs.verifyConsistency(1, 2, tree.root(1), tree.root(2), withNull));
    assertEquals("proof[0]", e.getMessage());
  }

  private static MerkleProofException assertFails(MerkleProofException.Reason reason, Executable verification) {
    MerkleProofException e = assertThrows(MerkleProofException.class, verification);
    assertEquals(reason, e.reason(), e.getMessage());
    return e;
  }
}
