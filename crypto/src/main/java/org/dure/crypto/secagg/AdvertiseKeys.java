package org.dure.crypto.secagg;

import java.util.Arrays;
import java.util.Objects;

/**
 * Stage 1, site → coordinator → all sites: a site's two fresh X25519 public keys for this round (raw 32 bytes):
 * {@code cPublicKey} for encrypting shares to it, {@code sPublicKey} for its pairwise masks; signed with the site's
 * long-term key over {@link #signedBytes}.
 */
public record AdvertiseKeys(String siteId, byte[] cPublicKey, byte[] sPublicKey, byte[] signature)
    implements SecAggMessage {
  public AdvertiseKeys {
    Objects.requireNonNull(siteId, "siteId");
    cPublicKey = Objects.requireNonNull(cPublicKey, "cPublicKey").clone();
    sPublicKey = Objects.requireNonNull(sPublicKey, "sPublicKey").clone();
    signature = Objects.requireNonNull(signature, "signature").clone();
  }

  @Override public byte[] cPublicKey() {
    return cPublicKey.clone();
  }

  @Override public byte[] sPublicKey() {
    return sPublicKey.clone();
  }

  @Override public byte[] signature() {
    return signature.clone();
  }

  /** What the site signs: the round context digest, its id and both public keys, canonically encoded. */
  public static byte[] signedBytes(RoundContext context, String siteId, byte[] cPublicKey, byte[] sPublicKey) {
    return new Canonical("dure-secagg advertise-keys v1").bytes(context.digest()).string(siteId).bytes(cPublicKey)
        .bytes(sPublicKey).toByteArray();
  }

  /** Payload bytes on the wire (keys, signature, id), excluding the transport's framing. */
  public int payloadBytes() {
    return siteId.length() + cPublicKey.length + sPublicKey.length + signature.length;
  }

  @Override public boolean equals(Object o) {
    return o instanceof AdvertiseKeys a && siteId.equals(a.siteId) && Arrays.equals(cPublicKey, a.cPublicKey)
        && Arrays.equals(sPublicKey, a.sPublicKey) && Arrays.equals(signature, a.signature);
  }

  @Override public int hashCode() {
    return Objects.hash(siteId, Arrays.hashCode(cPublicKey), Arrays.hashCode(sPublicKey), Arrays.hashCode(signature));
  }

  @Override public String toString() {
    return "AdvertiseKeys[" + siteId + "]";
  }
}
