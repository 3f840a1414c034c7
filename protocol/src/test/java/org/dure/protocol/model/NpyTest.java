package org.dure.protocol.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NpyTest {

  private static int headerLength(byte[] npy) {
    return ByteBuffer.wrap(npy, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
  }

  private static String headerText(byte[] npy) {
    return new String(npy, 10, headerLength(npy), StandardCharsets.US_ASCII);
  }

  @Test void oneDimensionalArrayHasVersionOneHeaderPaddedTo64Bytes() {
    // Execute
    byte[] npy = Npy.encode(new int[] {3}, new float[] {1f, 2f, 3f}, 0, 3);

    // Assert
    assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, Arrays.copyOfRange(npy, 0, 8));
    int dataStart = 10 + headerLength(npy);
    assertEquals(0, dataStart % 64);
    String header = headerText(npy);
    assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", header.stripTrailing());
    assertEquals('\n', header.charAt(header.length() - 1));
    assertEquals(dataStart + 12, npy.length);
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F}, Arrays.copyOfRange(npy, dataStart, dataStart + 4), "1.0f");
    assertArrayEquals(new byte[] {0, 0, 0, 0x40}, Arrays.copyOfRange(npy, dataStart + 4, dataStart + 8), "2.0f");
  }

  @Test void twoDimensionalShapeIsWrittenAsTuple() {
    // Execute
    byte[] npy = Npy.encode(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}, 0, 6);

    // Assert
    assertEquals(0, (10 + headerLength(npy)) % 64);
    assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", headerText(npy).stripTrailing());
  }

  @Test void encodedSliceDecodesToSameShapeAndValues() {
    // Prepare
    float[] flat = {9f, 1.5f, -2f, 3.25f, Float.NaN, 0f, -0f, 9f};

    // Execute
    Npy.Array a = Npy.decode(Npy.encode(new int[] {2, 3}, flat, 1, 6));

    // Assert
    assertArrayEquals(new int[] {2, 3}, a.shape());
    assertArrayEquals(new float[] {1.5f, -2f, 3.25f, Float.NaN, 0f, -0f}, a.data());
  }

  @Test void oneDimensionalArrayRoundTrips() {
    // Execute
    Npy.Array a = Npy.decode(Npy.encode(new int[] {1}, new float[] {0.125f}, 0, 1));

    // Assert
    assertArrayEquals(new int[] {1}, a.shape());
    assertArrayEquals(new float[] {0.125f}, a.data());
  }

  @Test void shapeThatDoesNotMatchLengthIsRejected() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Npy.encode(new int[] {2, 3}, new float[6], 0, 5));

    // Assert
    assertEquals("shape [2, 3] holds 6 values, not 5", e.getMessage());
  }

  @Test void fileWithoutNumpyMagicIsRejected() {
    // Prepare
    byte[] npy = Npy.encode(new int[] {1}, new float[] {1f}, 0, 1);
    npy[1] = 'X';

    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.decode(npy));

    // Assert
    assertEquals("not a .npy file (bad magic)", e.getMessage());
  }

  @Test void bigEndianArrayIsRejected() {
    // Prepare
    byte[] npy = Npy.encode(new int[] {1}, new float[] {1f}, 0, 1);
    npy[10 + "{'descr': '".length()] = '>';

    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.decode(npy));

    // Assert
    assertEquals(".npy header is not little-endian float32 in C order: "
        + "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", e.getMessage());
  }

  @Test void dataShorterThanShapeIsRejected() {
    // Prepare
    byte[] full = Npy.encode(new int[] {2}, new float[] {1f, 2f}, 0, 2);
    byte[] npy = Arrays.copyOf(full, full.length - 4);

    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.decode(npy));

    // Assert
    assertEquals(".npy data holds 4 bytes, shape needs 8", e.getMessage());
  }
}
