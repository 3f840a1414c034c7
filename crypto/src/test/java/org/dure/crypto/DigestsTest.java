package org.dure.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DigestsTest {
  @Test void sha256MatchesTheFips180TestVectorForAbc() {
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        HexFormat.of().formatHex(Digests.sha256("abc".getBytes(StandardCharsets.US_ASCII))));
  }

  @Test void modelHashIsTheHashOfTheLittleEndianFloatBytesEvenAcrossChunkBoundaries() {
    float[] params = new float[40_000];
    for (int i = 0; i < params.length; i++) params[i] = i * 0.25f - 7;
    ByteBuffer b = ByteBuffer.allocate(4 * params.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float p : params) b.putFloat(p);
    assertEquals(HexFormat.of().formatHex(Digests.sha256(b.array())), Digests.modelSha256(params));
  }

  @Test void changingOneParameterChangesTheModelHash() {
    float[] a = {1, 2, 3};
    float[] b = {1, 2, 3.0000002f};
    assertNotEquals(Digests.modelSha256(a), Digests.modelSha256(b));
  }
}
