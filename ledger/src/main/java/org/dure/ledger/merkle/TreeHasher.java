package org.dure.ledger.merkle;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** RFC 6962 hashing with domain separation; one instance wraps one (not thread-safe) JDK digest. */
final class TreeHasher {
  static final int HASH_LENGTH = 32;
  private static final byte LEAF_PREFIX = 0x00;
  private static final byte NODE_PREFIX = 0x01;

  private final MessageDigest digest;

  TreeHasher() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  /** SHA-256 of nothing: the root of the empty tree. */
  byte[] emptyRoot() {
    return digest.digest();
  }

  /** SHA-256(0x00 || data). */
  byte[] leaf(byte[] data) {
    digest.update(LEAF_PREFIX);
    return digest.digest(data);
  }

  /** SHA-256(0x01 || left || right). */
  byte[] node(byte[] left, byte[] right) {
    digest.update(NODE_PREFIX);
    digest.update(left);
    return digest.digest(right);
  }
}
