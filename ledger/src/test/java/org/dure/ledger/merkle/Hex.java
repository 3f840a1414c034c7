package org.dure.ledger.merkle;

import java.util.HexFormat;

/** Test shorthand for lower-case hex. */
final class Hex {
  private Hex() {}

  static byte[] decode(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  static String encode(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
