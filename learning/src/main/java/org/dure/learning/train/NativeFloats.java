package org.dure.learning.train;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A flat float array in native memory, owned by ND4J, with the two views the training loop needs: a
 * {@link FloatPointer} for BLAS and a {@link FloatBuffer} for bulk copies to and from the Java heap.
 * Allocated once and reused; {@link #close()} frees it at once instead of waiting for the GC.
 */
final class NativeFloats implements AutoCloseable {
  private final INDArray array;
  private final FloatPointer base;
  private final FloatBuffer buffer;
  final int length;

  NativeFloats(int length) {
    if (length <= 0) throw new IllegalArgumentException("length must be > 0, was " + length);
    this.length = length;
    this.array = Nd4j.create(DataType.FLOAT, length);
    this.base = (FloatPointer) array.data().addressPointer();
    this.buffer = array.data().asNioFloat();
  }

  /** A pointer to element {@code offset}; make these once, not per call. */
  FloatPointer at(int offset) {
    if (offset < 0 || offset >= length) {
      throw new IndexOutOfBoundsException("offset " + offset + " outside [0, " + length + ")");
    }
    return offset == 0 ? base : new FloatPointer(base).position(offset);
  }

  void get(int offset, float[] dst, int dstOffset, int n) {
    buffer.get(offset, dst, dstOffset, n);
  }

  void put(int offset, float[] src, int srcOffset, int n) {
    buffer.put(offset, src, srcOffset, n);
  }

  /** Copies {@code n} floats from {@code src} at {@code srcOffset} to this at {@code offset}. */
  void copyFrom(NativeFloats src, int srcOffset, int offset, int n) {
    buffer.put(offset, src.buffer, srcOffset, n);
  }

  float[] toArray() {
    float[] out = new float[length];
    get(0, out, 0, length);
    return out;
  }

  @Override public void close() {
    array.close();
  }
}
