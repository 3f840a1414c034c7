package org.dure.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShamirTest {
  private final SecureRandom random = new SecureRandom();

  @Test void fieldPrimeIsTheSmallestPrimeAbove2To256() {
    BigInteger two256 = BigInteger.TWO.pow(256);
    assertTrue(Shamir.PRIME.isProbablePrime(128));
    assertEquals(Shamir.PRIME, two256.nextProbablePrime());
    assertTrue(Shamir.PRIME.compareTo(two256) > 0);
  }

  @Test void anyThresholdSizedSubsetOfSharesReconstructsTheSecret() {
    int[] xs = {1, 2, 3, 5, 8, 13, 21};
    for (int trial = 0; trial < 20; trial++) {
      byte[] secret = new byte[32];
      random.nextBytes(secret);
      if (trial == 0) Arrays.fill(secret, (byte) 0xff);
      if (trial == 1) Arrays.fill(secret, (byte) 0);
      BigInteger[] ys = Shamir.split(secret, 4, xs, random);
      List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6));
      Collections.shuffle(order);
      int[] pickX = new int[4];
      BigInteger[] pickY = new BigInteger[4];
      for (int i = 0; i < 4; i++) {
        pickX[i] = xs[order.get(i)];
        pickY[i] = ys[order.get(i)];
      }
      assertArrayEquals(secret, Shamir.combine(pickX, pickY));
    }
  }

  @Test void fewerSharesThanTheThresholdDoNotReconstructTheSecret() {
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    int[] xs = {1, 2, 3, 4, 5};
    BigInteger[] ys = Shamir.split(secret, 3, xs, random);
    byte[] guess = Shamir.combine(new int[] {1, 2}, new BigInteger[] {ys[0], ys[1]});
    assertFalse(Arrays.equals(secret, guess));
  }

  @Test void sharesEncodeToFixed33BytesAndValuesOutsideTheFieldAreRefused() {
    BigInteger big = Shamir.PRIME.subtract(BigInteger.ONE);
    byte[] enc = Shamir.encode(big);
    assertEquals(33, enc.length);
    assertEquals(big, Shamir.decode(enc));
    assertEquals(BigInteger.ONE, Shamir.decode(Shamir.encode(BigInteger.ONE)));
    assertNull(Shamir.decode(Shamir.encode(Shamir.PRIME)));
    assertNull(Shamir.decode(new byte[32]));
  }

  @Test void invalidParametersAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Shamir.split(new byte[31], 2, new int[] {1, 2}, random));
    assertThrows(IllegalArgumentException.class, () -> Shamir.split(new byte[32], 3, new int[] {1, 2}, random));
    assertThrows(IllegalArgumentException.class, () -> Shamir.split(new byte[32], 1, new int[] {0}, random));
    assertThrows(IllegalArgumentException.class, () -> Shamir.lagrangeAtZero(new int[] {2, 2}));
  }
}
