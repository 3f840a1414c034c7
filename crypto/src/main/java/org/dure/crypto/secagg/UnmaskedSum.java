package org.dure.crypto.secagg;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of a completed round: the sum modulo 2^32 of the survivors' quantised inputs (decode it with the
 * round's {@link Quantizer}), and which sites it covers.
 */
public record UnmaskedSum(int[] sum, List<String> survivors, List<String> dropped) {
  public UnmaskedSum {
    sum = Objects.requireNonNull(sum, "sum").clone();
    survivors = List.copyOf(survivors);
    dropped = List.copyOf(dropped);
  }

  @Override public int[] sum() {
    return sum.clone();
  }

  @Override public boolean equals(Object o) {
    return o instanceof UnmaskedSum u && java.util.Arrays.equals(sum, u.sum) && survivors.equals(u.survivors)
        && dropped.equals(u.dropped);
  }

  @Override public int hashCode() {
    return Objects.hash(java.util.Arrays.hashCode(sum), survivors, dropped);
  }

  @Override public String toString() {
    return "UnmaskedSum[" + sum.length + " ints, survivors=" + survivors + ", dropped=" + dropped + "]";
  }
}
