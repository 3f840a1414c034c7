package org.dure.crypto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 digests (the JDK's implementation) of what the consortium needs to name unambiguously: a
 * model's parameters are hashed as their little-endian float32 bytes, exactly as they travel on the wire.
 */
public final class Digests {
  private Digests() {}

  public static byte[] sha256(byte[] data) {
    return digest().digest(data);
  }

  /** SHA-256 of the parameters' little-endian float32 encoding, as lower-case hex. */
  public static String modelSha256(float[] parameters) {
    MessageDigest d = digest();
    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
    for (float p : parameters) {
      if (!chunk.hasRemaining()) {
        d.update(chunk.array(), 0, chunk.position());
        chunk.clear();
      }
      chunk.putFloat(p);
    }
    d.update(chunk.array(), 0, chunk.position());
    return HexFormat.of().formatHex(d.digest());
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }
}
