package org.dure.crypto.secagg;

import java.security.SecureRandom;
import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/**
 * X25519 (RFC 7748) with raw 32-byte keys, from BouncyCastle's lightweight API: raw keys are what is Shamir-shared
 * and advertised, and a reconstructed private key can be checked against the advertised public key.
 */
final class X25519Keys {
  static final int KEY_BYTES = 32;

  /** A raw key pair; {@code privateKey} is the 32-byte scalar. */
  record Pair(byte[] privateKey, byte[] publicKey) {}

  private X25519Keys() {}

  static Pair generate(SecureRandom random) {
    X25519PrivateKeyParameters priv = new X25519PrivateKeyParameters(random);
    return new Pair(priv.getEncoded(), priv.generatePublicKey().getEncoded());
  }

  static byte[] publicKeyOf(byte[] privateKey) {
    return new X25519PrivateKeyParameters(privateKey, 0).generatePublicKey().getEncoded();
  }

  /** The shared secret, or null when the peer key is a low-order point (the agreement would be all zeros). */
  static byte[] agree(byte[] privateKey, byte[] peerPublicKey) {
    X25519Agreement agreement = new X25519Agreement();
    agreement.init(new X25519PrivateKeyParameters(privateKey, 0));
    byte[] secret = new byte[agreement.getAgreementSize()];
    try {
      agreement.calculateAgreement(new X25519PublicKeyParameters(peerPublicKey, 0), secret, 0);
    } catch (IllegalStateException e) {
      return null;
    }
    return secret;
  }
}
