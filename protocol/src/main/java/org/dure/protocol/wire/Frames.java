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
 *   6     2   reserved, 0
 *   8    16   study id (UUID, most then least significant 64 bits)
 *  24     4   round (int32)
 *  28     4   model version the frame refers to (int32; an update names the version it was trained from)
 *  32     8   sample count (int64; 0 for a global model)
 *  40     4   mean training loss (float32; NaN for a global model)
 *  44     4   number of float values n (int32)
 *  48   4n    values
 * </pre>
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
    /** Site to coordinator: the locally trained parameters. */
    SITE_UPDATE(3);
    final byte code;
    Kind(int code) { this.code = (byte) code; }
    static Kind of(byte code) {
      for (Kind k : values()) if (k.code == code) return k;
      throw new FrameException("unknown frame kind " + code);
    }
  }

  /** A decoded frame. */
  public record ModelFrame(Kind kind, UUID studyId, int round, int modelVersion, long samples, float trainLoss,
                           float[] values) {
    public ModelFrame { values = values.clone(); }
    @Override public float[] values() { return values.clone(); }
    /** The values without a defensive copy, for code that only reads them. */
    public float[] valuesUnsafe() { return values; }
  }

  /** A frame that cannot be decoded. */
  public static final class FrameException extends RuntimeException {
    public FrameException(String message) { super(message); }
  }

  public static byte[] encode(Kind kind, UUID study, int round, int modelVersion, long samples, float trainLoss, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + 4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).put(VERSION).put(kind.code).putShort((short) 0)
        .putLong(study.getMostSignificantBits()).putLong(study.getLeastSignificantBits())
        .putInt(round).putInt(modelVersion).putLong(samples).putFloat(trainLoss).putInt(values.length);
    b.asFloatBuffer().put(values);
    return b.array();
  }

  public static ModelFrame decode(byte[] bytes) {
    if (bytes.length < HEADER_BYTES) throw new FrameException("frame of " + bytes.length + " bytes is shorter than the " + HEADER_BYTES + "-byte header");
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt() != MAGIC) throw new FrameException("not a Dure model frame (bad magic)");
    byte version = b.get();
    if (version != VERSION) throw new FrameException("unsupported frame version " + version + "; this build speaks version " + VERSION);
    Kind kind = Kind.of(b.get());
    b.getShort();
    UUID study = new UUID(b.getLong(), b.getLong());
    int round = b.getInt(), modelVersion = b.getInt();
    long samples = b.getLong();
    float loss = b.getFloat();
    int n = b.getInt();
    if (n < 0 || n > MAX_VALUES) throw new FrameException("frame declares " + n + " values (allowed 0.." + MAX_VALUES + ")");
    if (bytes.length != HEADER_BYTES + 4L * n)
      throw new FrameException("frame declares " + n + " values but carries " + (bytes.length - HEADER_BYTES) + " payload bytes");
    if (samples < 0) throw new FrameException("negative sample count " + samples);
    float[] values = new float[n];
    b.asFloatBuffer().get(values);
    return new ModelFrame(kind, study, round, modelVersion, samples, loss, values);
  }
}
