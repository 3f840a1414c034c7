package org.dure.ledger.merkle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reproduces transparency-dev/merkle's RFC 6962 vectors (src/test/resources/vectors/merkle-rfc6962.json). */
class MerkleVectorsTest {
  private static Map<String, Object> vectors;
  private static List<byte[]> leaves;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void readVectors() throws IOException {
    try (InputStream in = MerkleVectorsTest.class.getResourceAsStream("/vectors/merkle-rfc6962.json")) {
      vectors = (Map<String, Object>) TinyJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    leaves = ((List<Object>) vectors.get("leaves_hex")).stream().map(h -> Hex.decode((String) h)).toList();
  }

  @Test void vectorFileKeepsItsAttribution() {
    String about = (String) vectors.get("about");
    assertTrue(about.contains("transparency-dev/merkle"), about);
    assertEquals(8, leaves.size());
  }

  @Test void rootAtEverySizeMatchesTheVectors() {
    MerkleTree full = treeOf(leaves.size());
    Map<String, Object> roots = map(vectors.get("roots_by_size"));
    assertEquals(leaves.size() + 1, roots.size());
    for (Map.Entry<String, Object> e : roots.entrySet()) {
      int size = Integer.parseInt(e.getKey());
      String expected = (String) e.getValue();
      assertEquals(expected, Hex.encode(full.root(size)), "root(" + size + ") of the full tree");
      assertEquals(expected, Hex.encode(treeOf(size).root()), "root() of a tree of " + size + " leaves");
    }
  }

  @Test void generatedInclusionProofsEqualTheVectorsAndVerify() {
    MerkleTree tree = treeOf(leaves.size());
    for (Object o : list(vectors.get("inclusion_proofs"))) {
      Map<String, Object> v = map(o);
      long index = (Long) v.get("leaf_index");
      long size = (Long) v.get("tree_size");
      List<byte[]> proof = hashes(v.get("proof"));
      String what = "inclusion of " + index + " in " + size;

      assertEquals(hex(proof), hex(tree.inclusionProof(index, size)), what);
      MerkleProofs.verifyInclusion(MerkleProofs.leafHash(leaves.get((int) index)), index, size, proof,
          rootHex(size));
    }
  }

  @Test void generatedConsistencyProofsEqualTheVectorsAndVerify() {
    MerkleTree tree = treeOf(leaves.size());
    for (Object o : list(vectors.get("consistency_proofs"))) {
      Map<String, Object> v = map(o);
      long size1 = (Long) v.get("size1");
      long size2 = (Long) v.get("size2");
      List<byte[]> proof = hashes(v.get("proof"));

      assertEquals(hex(proof), hex(tree.consistencyProof(size1, size2)), "consistency " + size1 + "->" + size2);
      MerkleProofs.verifyConsistency(size1, size2, rootHex(size1), rootHex(size2), proof);
    }
  }

  @Test void emptyTreeRootIsSha256OfNothing() {
    assertEquals(map(vectors.get("roots_by_size")).get("0"), Hex.encode(new MerkleTree().root()));
  }

  private byte[] rootHex(long size) {
    return Hex.decode((String) map(vectors.get("roots_by_size")).get(Long.toString(size)));
  }

  private static MerkleTree treeOf(int size) {
    MerkleTree tree = new MerkleTree();
    for (int i = 0; i < size; i++) assertEquals(i, tree.append(leaves.get(i)));
    return tree;
  }

  private static List<byte[]> hashes(Object jsonList) {
    return list(jsonList).stream().map(h -> Hex.decode((String) h)).toList();
  }

  private static List<String> hex(List<byte[]> hashes) {
    return hashes.stream().map(Hex::encode).toList();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return (List<Object>) o;
  }
}
