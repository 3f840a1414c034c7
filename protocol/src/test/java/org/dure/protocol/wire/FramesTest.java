package org.dure.protocol.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.UUID;
import org.dure.protocol.wire.Frames.FrameException;
import org.dure.protocol.wire.Frames.Kind;
import org.dure.protocol.wire.Frames.ModelFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FramesTest {
  private static final UUID STUDY = UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

  private static byte[] frameOf(float... values) {
    return Frames.encode(Kind.SITE_UPDATE, STUDY, 3, 2, 500, 0.25f, values);
  }

  private static ByteBuffer le(byte[] bytes) {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  @ParameterizedTest
  @EnumSource(value = Kind.class, names = "MASKED_INPUT", mode = EnumSource.Mode.EXCLUDE)
  void everyModelKindRoundTrips(Kind kind) {
    // Prepare
    float[] values = {1.5f, -2.25f, 0f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NEGATIVE_INFINITY};

    // Execute
    ModelFrame frame = Frames.decodeModel(Frames.encode(kind, STUDY, 7, 6, 1_234_567_890_123L, 0.693f, values));

    // Assert
    assertEquals(kind, frame.kind());
    assertEquals(STUDY, frame.studyId());
    assertEquals(7, frame.round());
    assertEquals(6, frame.modelVersion());
    assertEquals(1_234_567_890_123L, frame.samples());
    assertEquals(0.693f, frame.trainLoss());
    assertArrayEquals(values, frame.values());
  }

  @Test void globalModelWithNanLossAndNoValuesRoundTrips() {
    // Execute
    ModelFrame frame = Frames.decodeModel(Frames.encode(Kind.GLOBAL_EVALUATE, STUDY, 0, 0, 0, Float.NaN, new float[0]));

    // Assert
    assertEquals(Kind.GLOBAL_EVALUATE, frame.kind());
    assertTrue(Float.isNaN(frame.trainLoss()));
    assertEquals(0, frame.samples());
    assertArrayEquals(new float[0], frame.values());
  }

  @Test void nanParameterValuesSurviveTheRoundTrip() {
    // Execute
    ModelFrame frame = Frames.decodeModel(frameOf(Float.NaN, 1f));

    // Assert
    assertTrue(Float.isNaN(frame.values()[0]));
    assertEquals(1f, frame.values()[1]);
  }

  @Test void headerIsFortyEightLittleEndianBytes() {
    // Execute
    byte[] bytes = Frames.encode(Kind.GLOBAL_TRAIN, STUDY, 0x01020304, 9, 500, 0.5f, new float[] {1.0f});

    // Assert
    assertEquals(48, Frames.HEADER_BYTES);
    assertEquals(48 + 4, bytes.length);
    assertArrayEquals(new byte[] {'D', 'U', 'R', 'E', 1, 1, 0, 0}, Arrays.copyOfRange(bytes, 0, 8));
    assertArrayEquals(new byte[] {0x04, 0x03, 0x02, 0x01}, Arrays.copyOfRange(bytes, 24, 28), "round");
    assertArrayEquals(new byte[] {9, 0, 0, 0}, Arrays.copyOfRange(bytes, 28, 32), "model version");
    assertArrayEquals(new byte[] {(byte) 0xF4, 0x01, 0, 0, 0, 0, 0, 0}, Arrays.copyOfRange(bytes, 32, 40), "samples");
    assertArrayEquals(new byte[] {0, 0, 0, 0x3F}, Arrays.copyOfRange(bytes, 40, 44), "loss 0.5f");
    assertArrayEquals(new byte[] {1, 0, 0, 0}, Arrays.copyOfRange(bytes, 44, 48), "value count");
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F}, Arrays.copyOfRange(bytes, 48, 52), "1.0f");
  }

  @Test void studyIdIsMostThenLeastSignificantBits() {
    // Execute
    ByteBuffer b = le(frameOf());

    // Assert
    assertEquals(STUDY.getMostSignificantBits(), b.getLong(8));
    assertEquals(STUDY.getLeastSignificantBits(), b.getLong(16));
  }

  @Test void frameWithBadMagicIsRejected() {
    // Prepare
    byte[] bytes = frameOf(1f);
    bytes[0] = 'X';

    // Execute
    FrameException e = assertThrows(FrameException.class, () -> Frames.decodeModel(bytes));

    // Assert
    assertEquals("not a Dure model frame (bad magic)", e.getMessage());
  }

  @Test void frameOfAnotherVersionIsRejected() {
    // Prepare
    byte[] bytes = frameOf(1f);
    bytes[4] = 2;

    // Execute
    FrameException e = assertThrows(FrameException.class, () -> Frames.decodeModel(bytes));

    // Assert
    assertEquals("unsupported frame version 2; this build speaks version 1", e.getMessage());
  }

  @Test void frameOfUnknownKindIsRejected() {
    // Prepare
    byte[] bytes = frameOf(1f);
    bytes[5] = 9;

    // Execute
    FrameException e = assertThrows(FrameException.class, () -> Frames.decodeModel(bytes));

    // Assert
    assertEquals("unknown frame kind 9", e.getMessage());
  }

  @Test void frameShorterThanHeaderIsRejected() {
    // Prepare
    byte[] bytes = Arrays.copyOf(frameOf(1f), 20);

    // Execute
    FrameException e = assertThrows(FrameException.class, () -> Frames.decodeModel(bytes));

    // Assert
    assertEquals("frame of 20 bytes is shorter than the 48-byte header", e.getMessage());
  }

  @Test void truncatedPayloadIsRejected() {
    // Prepare
    byte[] full = frameOf(1f, 2f, 3f);
    byte[] bytes = Arrays.copyOf(full, full.length - 2);

    // Execute
    FrameException e = assertThrows(FrameException.class, () -> Frames.decodeModel(bytes));

    // Assert
    assertEquals("frame declares 3 values and a 0-byte signature but carries 10 bytes after the header", e.getMessage());
  }

  @Test void payloadLongerThanDeclaredIsRejected() {
    // Prepare
    byte[] bytes = Arrays.copyOf(frameOf(1f, 2f), 48 + 12);

    // Execute
    FrameException e = assertThrows(FrameException.class, () -> Frames.decodeModel(bytes));

    // Assert
    assertEquals("frame declares 2 values and a 0-byte signature but carries 12 bytes after the header", e.getMessage());
  }

  @Test void negativeValueCountIsRejected() {
    // Prepare
    byte[] bytes = frameOf(1f);
    le(bytes).putInt(44, -1);

    // Execute
    FrameException e = assertThrows(FrameException.class, () -> Frames.decodeModel(bytes));

    // Assert
    assertEquals("frame declares -1 values (allowed 0..268435456)", e.getMessage());
  }

  @Test void valueCountAboveLimitIsRejectedBeforeAllocating() {
    // Prepare
    byte[] bytes = frameOf(1f);
    le(bytes).putInt(44, Integer.MAX_VALUE);

    // Execute
    FrameException e = assertThrows(FrameException.class, () -> Frames.decodeModel(bytes));

    // Assert
    assertEquals("frame declares 2147483647 values (allowed 0..268435456)", e.getMessage());
  }

  @Test void negativeSampleCountIsRejected() {
    // Prepare
    byte[] bytes = frameOf(1f);
    le(bytes).putLong(32, -1);

    // Execute
    FrameException e = assertThrows(FrameException.class, () -> Frames.decodeModel(bytes));

    // Assert
    assertEquals("negative sample count -1", e.getMessage());
  }

  @Test void decodedValuesAreACopyOfTheFrame() {
    // Prepare
    ModelFrame frame = Frames.decodeModel(frameOf(1f, 2f));

    // Execute
    frame.values()[0] = 42f;

    // Assert
    assertArrayEquals(new float[] {1f, 2f}, frame.values());
  }

  @Test void aSignatureTrailerRoundTripsAndItsDigestIsTheUnsignedFramesDigest() {
    byte[] unsigned = frameOf(1f, 2f, 3f);
    byte[] digest = Frames.signedDigest(unsigned);
    byte[] signature = {9, 8, 7, 6, 5};

    ModelFrame frame = Frames.decodeModel(Frames.withSignature(unsigned, signature));

    assertArrayEquals(signature, frame.signature());
    assertArrayEquals(digest, frame.signedDigest());
    assertArrayEquals(new float[] {1f, 2f, 3f}, frame.values());
    assertEquals(0, Frames.decodeModel(unsigned).signature().length);
  }

  @Test void anyChangeToASignedFramesBodyChangesItsDigest() {
    byte[] signed = Frames.withSignature(frameOf(1f, 2f, 3f), new byte[] {1, 2, 3});
    byte[] before = Frames.decodeModel(signed).signedDigest();
    signed[50] ^= 1;

    assertTrue(!Arrays.equals(before, Frames.decodeModel(signed).signedDigest()));
  }

  @Test void aTruncatedSignatureTrailerIsRejected() {
    byte[] signed = Frames.withSignature(frameOf(1f), new byte[] {1, 2, 3});

    FrameException e = assertThrows(FrameException.class, () -> Frames.decodeModel(Arrays.copyOf(signed, signed.length - 1)));
    assertTrue(e.getMessage().contains("3-byte signature"), e.getMessage());
  }

  @Test void aSignedMaskedInputRoundTripsBitForBitWithItsAttempt() {
    // Prepare: every bit pattern matters, including those that would be NaN as floats
    int[] masked = {0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x7fc00001, 0xffc00001, 12345};
    byte[] unsigned = Frames.encodeMasked(STUDY, 9, 8, 2, masked);
    byte[] digest = Frames.signedDigest(unsigned);

    // Execute
    Frames.Frame frame = Frames.decode(Frames.withSignature(unsigned, new byte[] {4, 5, 6}));

    // Assert
    Frames.MaskedFrame m = assertInstanceOf(Frames.MaskedFrame.class, frame);
    assertEquals(Kind.MASKED_INPUT, m.kind());
    assertEquals(STUDY, m.studyId());
    assertEquals(9, m.round());
    assertEquals(8, m.modelVersion());
    assertEquals(2, m.attempt());
    assertArrayEquals(masked, m.masked());
    assertArrayEquals(digest, m.signedDigest());
    assertArrayEquals(new byte[] {4, 5, 6}, m.signature());
  }

  @Test void aMaskedInputIsNotAcceptedWhereAModelIsExpected() {
    // Execute
    FrameException e = assertThrows(FrameException.class,
        () -> Frames.decodeModel(Frames.encodeMasked(STUDY, 1, 0, 1, new int[] {1, 2})));

    // Assert
    assertEquals("expected a model frame, got a masked input", e.getMessage());
  }
}
