package org.dure.crypto.secagg;

import java.util.Arrays;
import java.util.Objects;

/**
 * One site's Shamir shares (of its mask key and of its self-mask seed) for one recipient, encrypted with
 * AES-256-GCM under a key only the two sites can derive (X25519 of their c keys, then HKDF-SHA256). The
 * associated data binds the round context, sender and recipient, so a ciphertext that is altered, or replayed to
 * another recipient, round or study, fails authentication. Routed through the coordinator, which cannot read it.
 */
public record EncryptedShare(String sender, String recipient, byte[] nonce, byte[] ciphertext) {
  public EncryptedShare {
    Objects.requireNonNull(sender, "sender");
    Objects.requireNonNull(recipient, "recipient");
    nonce = Objects.requireNonNull(nonce, "nonce").clone();
    ciphertext = Objects.requireNonNull(ciphertext, "ciphertext").clone();
  }

  @Override public byte[] nonce() {
    return nonce.clone();
  }

  @Override public byte[] ciphertext() {
    return ciphertext.clone();
  }

  public int payloadBytes() {
    return sender.length() + recipient.length() + nonce.length + ciphertext.length;
  }

  @Override public boolean equals(Object o) {
    return o instanceof EncryptedShare e && sender.equals(e.sender) && recipient.equals(e.recipient)
        && Arrays.equals(nonce, e.nonce) && Arrays.equals(ciphertext, e.ciphertext);
  }

  @Override public int hashCode() {
    return Objects.hash(sender, recipient, Arrays.hashCode(nonce), Arrays.hashCode(ciphertext));
  }

  @Override public String toString() {
    return "EncryptedShare[" + sender + " -> " + recipient + "]";
  }
}
