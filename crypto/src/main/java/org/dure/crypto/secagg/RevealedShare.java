package org.dure.crypto.secagg;

import java.util.Arrays;
import java.util.Objects;

/**
 * One Shamir share revealed for unmasking: of {@code owner}'s self-mask seed (owner survived) or of its mask key
 * (owner dropped). The share's x-coordinate is the revealing site's roster index; {@code share} is the 33-byte
 * field element.
 */
public record RevealedShare(String owner, Kind kind, byte[] share) {
  /** Which of the owner's two secrets the share is of. */
  public enum Kind { SELF_MASK_SEED, MASK_KEY }

  public RevealedShare {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(kind, "kind");
    share = Objects.requireNonNull(share, "share").clone();
  }

  @Override public byte[] share() {
    return share.clone();
  }

  @Override public boolean equals(Object o) {
    return o instanceof RevealedShare r && owner.equals(r.owner) && kind == r.kind && Arrays.equals(share, r.share);
  }

  @Override public int hashCode() {
    return Objects.hash(owner, kind, Arrays.hashCode(share));
  }

  @Override public String toString() {
    return "RevealedShare[" + owner + ", " + kind + "]";
  }
}
