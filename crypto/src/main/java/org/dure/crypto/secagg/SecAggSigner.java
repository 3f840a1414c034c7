package org.dure.crypto.secagg;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Objects;

/**
 * Signs a site's key advertisement with the site's long-term key (the key of its consortium certificate), so peers
 * know the round's public keys really are that site's and the coordinator cannot substitute its own.
 */
@FunctionalInterface
public interface SecAggSigner {
  byte[] sign(byte[] message);

  /** A signer with a JCA private key and signature algorithm, e.g. {@code SHA256withECDSA} or {@code Ed25519}. */
  static SecAggSigner of(PrivateKey key, String algorithm) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(algorithm, "algorithm");
    return message -> {
      try {
        Signature s = Signature.getInstance(algorithm);
        s.initSign(key);
        s.update(message);
        return s.sign();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot sign the key advertisement with " + algorithm + ": " + e.getMessage()
            + "; check that the site key matches the algorithm", e);
      }
    };
  }

  /** {@code SHA256withECDSA}, for the sites' EC P-256 certificate keys. */
  static SecAggSigner ecdsa(PrivateKey key) {
    return of(key, "SHA256withECDSA");
  }
}
