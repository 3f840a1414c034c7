package org.dure.crypto.secagg;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM (JDK) encryption of share plaintexts between two sites. Key: HKDF-SHA256 of the X25519 agreement of
 * the two sites' c keys, salted with the round context digest, info naming sender and recipient (one key per
 * direction). Nonce: 96 random bits. Associated data: the context digest, sender and recipient.
 */
final class ShareCipher {
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;

  private ShareCipher() {}

  static byte[] key(byte[] digest, byte[] agreement, String sender, String recipient) {
    return Masks.derive(agreement, digest,
        new Canonical("dure-secagg share key v1").string(sender).string(recipient).toByteArray());
  }

  static byte[] associatedData(byte[] digest, String sender, String recipient) {
    return new Canonical("dure-secagg share v1").bytes(digest).string(sender).string(recipient).toByteArray();
  }

  static EncryptedShare seal(byte[] key, byte[] digest, String sender, String recipient, byte[] plaintext,
      SecureRandom random) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(associatedData(digest, sender, recipient));
      return new EncryptedShare(sender, recipient, nonce, c.doFinal(plaintext));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM/NoPadding failed: " + e.getMessage(), e);
    }
  }

  /** The plaintext; throws {@code SHARE_REJECTED} when authentication fails. */
  static byte[] open(byte[] key, byte[] digest, EncryptedShare share, String where) {
    if (share.nonce().length != NONCE_BYTES) {
      throw new SecAggException(SecAggException.Reason.MALFORMED_MESSAGE, where + ": share from " + share.sender()
          + " has a " + share.nonce().length + "-byte nonce, expected " + NONCE_BYTES);
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, share.nonce()));
      c.updateAAD(associatedData(digest, share.sender(), share.recipient()));
      return c.doFinal(share.ciphertext());
    } catch (AEADBadTagException e) {
      throw new SecAggException(SecAggException.Reason.SHARE_REJECTED, where + ": the encrypted share from "
          + share.sender() + " to " + share.recipient() + " failed authentication: it was altered in transit, or "
          + "was made for another study, round, attempt or recipient (a replay); discard it and check the route");
    } catch (GeneralSecurityException e) {
      throw new SecAggException(SecAggException.Reason.SHARE_REJECTED, where + ": cannot decrypt the share from "
          + share.sender() + ": " + e.getMessage());
    }
  }
}
