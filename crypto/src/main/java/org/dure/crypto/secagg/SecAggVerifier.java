package org.dure.crypto.secagg;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Objects;
import java.util.function.Function;

/** Checks a site's signature on its key advertisement with that site's long-term public key. */
@FunctionalInterface
public interface SecAggVerifier {
  /** True only when {@code signature} is the site's valid signature over {@code message}; never throws for bad input. */
  boolean verify(String siteId, byte[] message, byte[] signature);

  /**
   * A verifier that looks each site's public key up (e.g. from its validated certificate); a site without a key
   * (lookup returns null) fails verification.
   */
  static SecAggVerifier of(Function<String, PublicKey> keys, String algorithm) {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(algorithm, "algorithm");
    return (siteId, message, signature) -> {
      PublicKey key = keys.apply(siteId);
      if (key == null || signature == null) return false;
      try {
        Signature s = Signature.getInstance(algorithm);
        s.initVerify(key);
        s.update(message);
        return s.verify(signature);
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        return false;
      }
    };
  }

  /** {@code SHA256withECDSA}, for the sites' EC P-256 certificate keys. */
  static SecAggVerifier ecdsa(Function<String, PublicKey> keys) {
    return of(keys, "SHA256withECDSA");
  }

  /**
   * Checks {@code secagg-keys} site signatures ({@link org.dure.crypto.sign.SiteSignatures}, bound to the site, study
   * and round) made over the SHA-256 of the advertisement's signed bytes, with each site's certificate key.
   */
  static SecAggVerifier siteSignatures(Function<String, PublicKey> keys, String studyId, int round) {
    Objects.requireNonNull(keys, "keys");
    return (siteId, message, signature) -> {
      PublicKey key = keys.apply(siteId);
      if (key == null) return false;
      try {
        org.dure.crypto.sign.SiteSignatures.verify(key, org.dure.crypto.sign.SiteSignatures.Purpose.SECAGG_KEYS, siteId,
            studyId, round, org.dure.crypto.Digests.sha256(message), signature);
        return true;
      } catch (org.dure.crypto.sign.SiteSignatures.SignatureRejected | RuntimeException e) {
        return false;
      }
    };
  }
}
