package org.dure.crypto.secagg;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Unambiguous bytes for what is signed, authenticated or hashed: a domain label, then fields, each
 * length-prefixed (strings as UTF-8) or fixed-width big-endian.
 */
final class Canonical {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(128);

  Canonical(String label) {
    string(label);
  }

  Canonical string(String s) {
    return bytes(s.getBytes(StandardCharsets.UTF_8));
  }

  Canonical strings(List<String> list) {
    int32(list.size());
    for (String s : list) string(s);
    return this;
  }

  Canonical bytes(byte[] b) {
    int32(b.length);
    out.write(b, 0, b.length);
    return this;
  }

  Canonical int32(int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
    return this;
  }

  Canonical int64(long v) {
    int32((int) (v >>> 32));
    return int32((int) v);
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }
}
