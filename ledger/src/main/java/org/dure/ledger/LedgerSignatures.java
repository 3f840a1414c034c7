package org.dure.ledger;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

/**
 * The coordinator's signatures on entries and tree heads: ECDSA P-256 with SHA-256 ({@code SHA256withECDSA},
 * JDK provider, DER-encoded). The signed message is a domain tag, a NUL byte, then the canonical JSON of the
 * entry without its {@code coordinatorSignature} (tag {@code dure/ledger-entry/v1}) or of the tree head without
 * its {@code signature} (tag {@code dure/tree-head/v1}), so a signature made for one can never pass as the other,
 * nor as anything else the key signs.
 */
final class LedgerSignatures {
  static final String ALGORITHM = "SHA256withECDSA";
  /** Largest DER-encoded ECDSA P-256 signature. */
  static final int MAX_SIGNATURE_BYTES = 72;
  static final byte[] ENTRY_DOMAIN = "dure/ledger-entry/v1\0".getBytes(StandardCharsets.US_ASCII);
  static final byte[] TREE_HEAD_DOMAIN = "dure/tree-head/v1\0".getBytes(StandardCharsets.US_ASCII);

  private LedgerSignatures() {}

  static byte[] sign(PrivateKey key, byte[] domain, byte[] message) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(domain);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with a " + key.getAlgorithm() + " key: " + e.getMessage()
          + "; the ledger key must be EC P-256", e);
    }
  }

  /** Whether {@code signature} is the key's signature of {@code domain || message}; false for garbage. */
  static boolean verify(PublicKey key, byte[] domain, byte[] message, byte[] signature) {
    if (signature == null || signature.length == 0 || signature.length > MAX_SIGNATURE_BYTES) return false;
    try {
      Signature v = Signature.getInstance(ALGORITHM);
      v.initVerify(key);
      v.update(domain);
      v.update(message);
      return v.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * Decodes standard base64 that is in its one canonical form (padded, no line breaks, zero padding bits), so a
   * changed character can never decode to the same bytes.
   */
  static byte[] strictBase64(String text, String name, int maxBytes) {
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " must be standard base64, was \"" + abbreviate(text) + "\"");
    }
    if (!Base64.getEncoder().encodeToString(decoded).equals(text)) {
      throw new IllegalArgumentException(name + " must be canonical base64 (padded, no line breaks, zero padding bits),"
          + " was \"" + abbreviate(text) + "\"");
    }
    if (decoded.length == 0 || decoded.length > maxBytes) {
      throw new IllegalArgumentException(name + " must decode to 1.." + maxBytes + " bytes, was " + decoded.length);
    }
    return decoded;
  }

  static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 37) + "...";
  }
}
