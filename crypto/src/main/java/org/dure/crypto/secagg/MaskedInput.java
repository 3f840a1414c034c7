package org.dure.crypto.secagg;

import java.util.Arrays;
import java.util.Objects;

/**
 * Stage 3, site → coordinator: the site's quantised input plus its self mask plus its pairwise masks, modulo 2^32.
 * Alone it is indistinguishable from uniform noise; only the sum over the survivors, once unmasked, means anything.
 */
public record MaskedInput(String siteId, int[] masked) implements SecAggMessage {
  public MaskedInput {
    Objects.requireNonNull(siteId, "siteId");
    masked = Objects.requireNonNull(masked, "masked").clone();
  }

  @Override public int[] masked() {
    return masked.clone();
  }

  public int length() {
    return masked.length;
  }

  /** Adds the masked vector into {@code sum} (mod 2^32) without copying it. */
  void addTo(int[] sum) {
    for (int i = 0; i < sum.length; i++) sum[i] += masked[i];
  }

  /** Payload bytes on the wire: 4 per element plus the id. */
  public long payloadBytes() {
    return siteId.length() + 4L * masked.length;
  }

  @Override public boolean equals(Object o) {
    return o instanceof MaskedInput m && siteId.equals(m.siteId) && Arrays.equals(masked, m.masked);
  }

  @Override public int hashCode() {
    return 31 * siteId.hashCode() + Arrays.hashCode(masked);
  }

  @Override public String toString() {
    return "MaskedInput[" + siteId + ", " + masked.length + " ints]";
  }
}
