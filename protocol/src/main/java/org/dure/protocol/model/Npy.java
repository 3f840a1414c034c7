package org.dure.protocol.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format version 1.0) of little-endian float32 in C order, loadable with
 * {@code numpy.load} alone. See https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** A float32 array with its shape. */
  public record Array(int[] shape, float[] data) {
    public Array { shape = shape.clone(); data = data.clone(); }
    @Override public int[] shape() { return shape.clone(); }
    @Override public float[] data() { return data.clone(); }
  }

  public static byte[] encode(int[] shape, float[] data, int offset, int length) {
    long expected = Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b);
    if (expected != length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + expected + " values, not " + length);
    StringBuilder dims = new StringBuilder();
    for (int d : shape) dims.append(d).append(", ");
    String shapeText = shape.length == 1 ? shape[0] + "," : dims.substring(0, dims.length() - 2);
    String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shapeText + "), }";
    int unpadded = MAGIC.length + 2 + 2 + header.length() + 1;
    int padding = (64 - unpadded % 64) % 64;
    header = header + " ".repeat(padding) + "\n";
    byte[] h = header.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + h.length + 4 * length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) h.length).put(h);
    b.asFloatBuffer().put(data, offset, length);
    return b.array();
  }

  public static void write(Path file, int[] shape, float[] data, int offset, int length) throws IOException {
    org.dure.crypto.SecureFiles.writeOwnerOnly(file, encode(shape, data, offset, length));
  }

  public static Array read(Path file) throws IOException {
    return decode(Files.readAllBytes(file));
  }

  public static Array decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[MAGIC.length];
    b.get(magic);
    if (!Arrays.equals(magic, MAGIC)) throw new IllegalArgumentException("not a .npy file (bad magic)");
    int major = b.get();
    b.get();
    if (major != 1) throw new IllegalArgumentException(".npy format version " + major + " is not supported");
    int headerLen = Short.toUnsignedInt(b.getShort());
    byte[] h = new byte[headerLen];
    b.get(h);
    String header = new String(h, StandardCharsets.US_ASCII);
    if (!header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False"))
      throw new IllegalArgumentException(".npy header is not little-endian float32 in C order: " + header.trim());
    Matcher m = SHAPE.matcher(header);
    if (!m.find()) throw new IllegalArgumentException(".npy header has no shape: " + header.trim());
    int[] shape = Arrays.stream(m.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
    int n = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
    if (b.remaining() != 4L * n) throw new IllegalArgumentException(".npy data holds " + b.remaining() + " bytes, shape needs " + 4L * n);
    float[] data = new float[n];
    b.asFloatBuffer().get(data);
    return new Array(shape, data);
  }
}
