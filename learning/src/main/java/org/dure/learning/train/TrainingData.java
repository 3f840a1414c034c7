package org.dure.learning.train;

import java.util.Objects;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A site's encoded examples, copied once into native memory and reused by every round of training and
 * evaluation. Close it to free that memory at once.
 */
public final class TrainingData implements AutoCloseable {
  private final int rows;
  private final int cols;
  private final NativeFloats features;
  private final float[] labels;
  private boolean closed;

  private TrainingData(int rows, int cols, NativeFloats features, float[] labels) {
    this.rows = rows;
    this.cols = cols;
    this.features = features;
    this.labels = labels;
  }

  /**
   * Copies {@code rows x cols} finite features given in row-major order, and one label per row that is 0 or 1.
   *
   * @throws IllegalArgumentException if the lengths disagree, a feature is not finite or a label is not 0/1
   */
  public static TrainingData of(float[] rowMajorX, int rows, int cols, float[] labels01) {
    Objects.requireNonNull(rowMajorX, "rowMajorX");
    Objects.requireNonNull(labels01, "labels01");
    if (rows < 1) throw new IllegalArgumentException("rows must be >= 1, was " + rows);
    if (cols < 1) throw new IllegalArgumentException("cols must be >= 1, was " + cols);
    if ((long) rows * cols != rowMajorX.length) {
      throw new IllegalArgumentException("rowMajorX.length must be rows * cols = " + (long) rows * cols
          + ", was " + rowMajorX.length);
    }
    if (labels01.length != rows) {
      throw new IllegalArgumentException("labels01.length must be rows = " + rows + ", was " + labels01.length);
    }
    for (int i = 0; i < labels01.length; i++) {
      if (labels01[i] != 0f && labels01[i] != 1f) {
        throw new IllegalArgumentException("labels01[" + i + "] must be 0 or 1, was " + labels01[i]);
      }
    }
    for (int i = 0; i < rowMajorX.length; i++) {
      if (!Float.isFinite(rowMajorX[i])) {
        throw new IllegalArgumentException("feature at row " + i / cols + ", column " + i % cols
            + " must be finite, was " + rowMajorX[i]);
      }
    }
    NativeFloats features = new NativeFloats(rowMajorX.length);
    features.put(0, rowMajorX, 0, rowMajorX.length);
    return new TrainingData(rows, cols, features, labels01.clone());
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  /** A copy of the labels. */
  public float[] labels() {
    return labels.clone();
  }

  float label(int row) {
    return labels[row];
  }

  NativeFloats features() {
    checkOpen();
    return features;
  }

  /** Pointer to the first feature of {@code row}; allocates, so not for per-batch use. */
  FloatPointer rowPointer(int row) {
    return features().at(row * cols);
  }

  private void checkOpen() {
    if (closed) throw new IllegalStateException("training data is closed");
  }

  @Override public void close() {
    if (!closed) {
      closed = true;
      features.close();
    }
  }
}
