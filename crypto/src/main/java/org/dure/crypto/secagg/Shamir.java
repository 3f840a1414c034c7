package org.dure.crypto.secagg;

import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * Shamir t-of-n secret sharing of 32-byte secrets over the prime field GF(p), p = 2^256 + 297 (the smallest
 * prime above 2^256, so every 32-byte secret is a field element). A share is the value of a random polynomial of
 * degree t-1, whose constant term is the secret, at a holder's x (its 1-based roster index). Field elements
 * travel as 33-byte big-endian unsigned integers.
 */
final class Shamir {
  static final BigInteger PRIME = BigInteger.TWO.pow(256).add(BigInteger.valueOf(297));
  static final int SHARE_BYTES = 33;
  private static final BigInteger SECRET_BOUND = BigInteger.TWO.pow(256);

  private Shamir() {}

  /** Shares of {@code secret} (32 bytes) for the holders at {@code xs}, any {@code threshold} of which recover it. */
  static BigInteger[] split(byte[] secret, int threshold, int[] xs, SecureRandom random) {
    if (secret.length != 32) throw new IllegalArgumentException("secret must be 32 bytes, was " + secret.length);
    if (threshold < 1 || threshold > xs.length) {
      throw new IllegalArgumentException("threshold must be in 1.." + xs.length + ", was " + threshold);
    }
    BigInteger[] coefficients = new BigInteger[threshold];
    coefficients[0] = new BigInteger(1, secret);
    for (int i = 1; i < threshold; i++) {
      BigInteger c;
      do {
        c = new BigInteger(257, random);
      } while (c.compareTo(PRIME) >= 0);
      coefficients[i] = c;
    }
    BigInteger[] ys = new BigInteger[xs.length];
    for (int k = 0; k < xs.length; k++) {
      if (xs[k] < 1) throw new IllegalArgumentException("share x must be >= 1, was " + xs[k]);
      BigInteger x = BigInteger.valueOf(xs[k]), y = BigInteger.ZERO;
      for (int i = threshold - 1; i >= 0; i--) y = y.multiply(x).add(coefficients[i]).mod(PRIME);
      ys[k] = y;
    }
    return ys;
  }

  /** Lagrange coefficients at x = 0 for the distinct, non-zero points {@code xs}. */
  static BigInteger[] lagrangeAtZero(int[] xs) {
    BigInteger[] l = new BigInteger[xs.length];
    for (int i = 0; i < xs.length; i++) {
      BigInteger num = BigInteger.ONE, den = BigInteger.ONE;
      for (int j = 0; j < xs.length; j++) {
        if (j == i) continue;
        if (xs[j] == xs[i]) throw new IllegalArgumentException("share x values must be distinct, " + xs[i] + " repeats");
        num = num.multiply(BigInteger.valueOf(xs[j])).mod(PRIME);
        den = den.multiply(BigInteger.valueOf((long) xs[j] - xs[i])).mod(PRIME);
      }
      l[i] = num.multiply(den.modInverse(PRIME)).mod(PRIME);
    }
    return l;
  }

  /** The secret from shares {@code ys} at points with Lagrange coefficients {@code lagrange}; null if not 32 bytes. */
  static byte[] combine(BigInteger[] lagrange, BigInteger[] ys) {
    BigInteger s = BigInteger.ZERO;
    for (int i = 0; i < ys.length; i++) s = s.add(lagrange[i].multiply(ys[i]));
    s = s.mod(PRIME);
    if (s.compareTo(SECRET_BOUND) >= 0) return null;
    return toFixed(s, 32);
  }

  static byte[] combine(int[] xs, BigInteger[] ys) {
    return combine(lagrangeAtZero(xs), ys);
  }

  static byte[] encode(BigInteger element) {
    return toFixed(element, SHARE_BYTES);
  }

  /** The field element in 33 bytes, or null when the bytes are not a field element. */
  static BigInteger decode(byte[] bytes) {
    if (bytes.length != SHARE_BYTES) return null;
    BigInteger v = new BigInteger(1, bytes);
    return v.compareTo(PRIME) < 0 ? v : null;
  }

  private static byte[] toFixed(BigInteger v, int length) {
    byte[] raw = v.toByteArray();
    byte[] out = new byte[length];
    int copy = Math.min(raw.length, length);
    System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
    return out;
  }
}
