package org.dure.protocol.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * Binary WebSocket frames that carry model parameters: a fixed 48-byte little-endian header followed
 * by the raw little-endian float32 values. Never JSON numbers, so a million parameters cost 4 MB, not 10+.
 *
 * <pre>
 * offset size field
 *   0     4   magic "DURE"
 *   4     1   format version (1)
 *   5     1   kind (see {@link Kind})
 *   6     2   signature length s (uint16; 0 = unsigned)
 *   8    16   study id (UUID, most then least significant 64 bits)
 *  24     4   round (int32)
 *  28     4   model version the frame refers to (int32; an update names the version it was trained from)
 *  32     8   sample count (int64; 0 for a global model); for a masked input the secure-aggregation attempt
 *  40     4   mean training loss (float32; NaN for a global model and a masked input)
 *  44     4   number of values n (int32)
 *  48   4n    values: float32, or for a masked input int32 (the masked fixed-point vector mod 2^32)
 * 48+4n  s    signature (a site's DER ECDSA {@code contribution} signature; see {@link #signedDigest})
 * </pre>
 *
 * <p>Site updates and masked inputs must be signed: the signature covers the SHA-256 of the frame as it would be unsigned
 * (signature length 0, no trailer), bound to the site, study and round by {@code SiteSignatures}.
 */
public final class Frames {
  public static final int HEADER_BYTES = 48;
  static final int MAGIC = 0x45525544; // "DURE" read little-endian
  static final byte VERSION = 1;
  /** Largest model accepted on the wire: 256M parameters (1 GiB). */
  public static final int MAX_VALUES = 256 * 1024 * 1024;

  private Frames() {}

  public enum Kind {
    /** Coordinator to site: evaluate this global model on the validation split, then train from it. */
    GLOBAL_TRAIN(1),
    /** Coordinator to site: evaluate this (final) global model only. */
    GLOBAL_EVALUATE(2),
    /** Site to coordinator: the locally trained parameters (plain aggregation). */
    SITE_UPDATE(3),
    /** Site to coordinator: the masked, fixed-point model change (secure aggregation stage 3). */
    MASKED_INPUT(4);
    final byte code;
    Kind(int code) { this.code = (byte) code; }
    static Kind of(byte code) {
      for (Kind k : values()) if (k.code == code) return k;
      throw new FrameException("unknown frame kind " + code);
    }
  }

  /** Largest signature trailer accepted. */
  public static final int MAX_SIGNATURE = 512;

  /** A decoded frame: model parameters, or a masked input. */
  public sealed interface Frame permits ModelFrame, MaskedFrame {
    Kind kind();

    UUID studyId();

    int round();

    int modelVersion();

    /** The signature trailer, empty for an unsigned frame. */
    byte[] signature();

    /** SHA-256 of the frame without its signature (what a signature covers). */
    byte[] signedDigest();
  }

  /**
   * A masked input: the site's fixed-point weighted model change plus its masks, mod 2^32. Meaningless alone;
   * only the round's sum, once unmasked, is.
   */
  public record MaskedFrame(UUID studyId, int round, int modelVersion, int attempt, int[] masked, byte[] signature,
                            byte[] signedDigest) implements Frame {
    public MaskedFrame {
      signature = signature.clone();
      signedDigest = signedDigest.clone();
    }
    @Override public Kind kind() { return Kind.MASKED_INPUT; }
    /** The masked values, not copied (they can be millions). */
    @Override public int[] masked() { return masked; }
    @Override public byte[] signature() { return signature.clone(); }
    @Override public byte[] signedDigest() { return signedDigest.clone(); }
  }

  /**
   * A decoded model frame.
   *
   * @param signature the signature trailer, empty for an unsigned frame
   * @param signedDigest SHA-256 of the frame without its signature (what a signature covers)
   */
  public record ModelFrame(Kind kind, UUID studyId, int round, int modelVersion, long samples, float trainLoss,
                           float[] values, byte[] signature, byte[] signedDigest) implements Frame {
    public ModelFrame {
      if (kind == Kind.MASKED_INPUT) throw new IllegalArgumentException("a masked input is a MaskedFrame");
      values = values.clone();
      signature = signature.clone();
      signedDigest = signedDigest.clone();
    }
    @Override public float[] values() { return values.clone(); }
    @Override public byte[] signature() { return signature.clone(); }
    @Override public byte[] signedDigest() { return signedDigest.clone(); }
    /** The values without a defensive copy, for code that only reads them. */
    public float[] valuesUnsafe() { return values; }
  }

  /** A frame that cannot be decoded. */
  public static final class FrameException extends RuntimeException {
    public FrameException(String message) { super(message); }
  }

  public static byte[] encode(Kind kind, UUID study, int round, int modelVersion, long samples, float trainLoss, float[] values) {
    if (kind == Kind.MASKED_INPUT) throw new IllegalArgumentException("encode masked inputs with encodeMasked");
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + 4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).put(VERSION).put(kind.code).putShort((short) 0)
        .putLong(study.getMostSignificantBits()).putLong(study.getLeastSignificantBits())
        .putInt(round).putInt(modelVersion).putLong(samples).putFloat(trainLoss).putInt(values.length);
    b.asFloatBuffer().put(values);
    return b.array();
  }

  /** An unsigned masked-input frame for secure aggregation attempt {@code attempt} of {@code round}. */
  public static byte[] encodeMasked(UUID study, int round, int modelVersion, int attempt, int[] masked) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + 4 * masked.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).put(VERSION).put(Kind.MASKED_INPUT.code).putShort((short) 0)
        .putLong(study.getMostSignificantBits()).putLong(study.getLeastSignificantBits())
        .putInt(round).putInt(modelVersion).putLong(attempt).putFloat(Float.NaN).putInt(masked.length);
    b.asIntBuffer().put(masked);
    return b.array();
  }

  /** SHA-256 of an unsigned frame from {@link #encode}: what a site signs. */
  public static byte[] signedDigest(byte[] unsignedFrame) {
    if (unsignedFrame.length < HEADER_BYTES || unsignedFrame[6] != 0 || unsignedFrame[7] != 0)
      throw new IllegalArgumentException("signedDigest takes an unsigned frame from Frames.encode");
    return sha256(unsignedFrame, unsignedFrame.length);
  }

  /** Appends a signature trailer to an unsigned frame from {@link #encode}. */
  public static byte[] withSignature(byte[] unsignedFrame, byte[] signature) {
    if (signature.length == 0 || signature.length > MAX_SIGNATURE)
      throw new IllegalArgumentException("signature must have 1.." + MAX_SIGNATURE + " bytes, had " + signature.length);
    if (unsignedFrame.length < HEADER_BYTES || unsignedFrame[6] != 0 || unsignedFrame[7] != 0)
      throw new IllegalArgumentException("withSignature takes an unsigned frame from Frames.encode");
    byte[] out = java.util.Arrays.copyOf(unsignedFrame, unsignedFrame.length + signature.length);
    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putShort(6, (short) signature.length);
    System.arraycopy(signature, 0, out, unsignedFrame.length, signature.length);
    return out;
  }

  private static byte[] sha256(byte[] bytes, int length) {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      md.update(bytes, 0, 6);
      md.update(new byte[2]);
      md.update(bytes, 8, length - 8);
      return md.digest();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  /** What a frame's header says, read without copying its values. */
  public record Header(Kind kind, UUID studyId, int round, int modelVersion) {}

  /** Reads the header of {@code bytes} (magic, version, kind, study, round, model version); the body is not checked. */
  public static Header readHeader(byte[] bytes) {
    ByteBuffer b = checkedStart(bytes);
    Kind kind = Kind.of(b.get());
    b.getShort();
    UUID study = new UUID(b.getLong(), b.getLong());
    return new Header(kind, study, b.getInt(), b.getInt());
  }

  /** The frame as a little-endian buffer past its checked length, magic and version (at the kind byte). */
  private static ByteBuffer checkedStart(byte[] bytes) {
    if (bytes.length < HEADER_BYTES) throw new FrameException("frame of " + bytes.length + " bytes is shorter than the " + HEADER_BYTES + "-byte header");
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt() != MAGIC) throw new FrameException("not a Dure model frame (bad magic)");
    byte version = b.get();
    if (version != VERSION) throw new FrameException("unsupported frame version " + version + "; this build speaks version " + VERSION);
    return b;
  }

  /** Decodes a frame that must carry float parameters (what a site receives). */
  public static ModelFrame decodeModel(byte[] bytes) {
    if (decode(bytes) instanceof ModelFrame m) return m;
    throw new FrameException("expected a model frame, got a masked input");
  }

  public static Frame decode(byte[] bytes) {
    ByteBuffer b = checkedStart(bytes);
    Kind kind = Kind.of(b.get());
    int signatureLength = Short.toUnsignedInt(b.getShort());
    if (signatureLength > MAX_SIGNATURE) throw new FrameException("frame declares a " + signatureLength + "-byte signature (at most " + MAX_SIGNATURE + ")");
    UUID study = new UUID(b.getLong(), b.getLong());
    int round = b.getInt(), modelVersion = b.getInt();
    long samples = b.getLong();
    float loss = b.getFloat();
    int n = b.getInt();
    if (n < 0 || n > MAX_VALUES) throw new FrameException("frame declares " + n + " values (allowed 0.." + MAX_VALUES + ")");
    long unsignedLength = HEADER_BYTES + 4L * n;
    if (bytes.length != unsignedLength + signatureLength)
      throw new FrameException("frame declares " + n + " values and a " + signatureLength + "-byte signature but carries "
          + (bytes.length - HEADER_BYTES) + " bytes after the header");
    if (samples < 0) throw new FrameException("negative sample count " + samples);
    byte[] signature = java.util.Arrays.copyOfRange(bytes, (int) unsignedLength, bytes.length);
    byte[] digest = signatureLength == 0 ? new byte[0] : sha256(bytes, (int) unsignedLength);
    if (kind == Kind.MASKED_INPUT) {
      if (samples > Integer.MAX_VALUE) throw new FrameException("masked input names attempt " + samples);
      int[] masked = new int[n];
      b.asIntBuffer().get(masked);
      return new MaskedFrame(study, round, modelVersion, (int) samples, masked, signature, digest);
    }
    float[] values = new float[n];
    b.asFloatBuffer().get(values);
    return new ModelFrame(kind, study, round, modelVersion, samples, loss, values, signature, digest);
  }
}
