package org.dure.learning.data;

import java.util.Arrays;

/**
 * Model-ready rows: {@code x} holds {@code rows * cols} standardised inputs in row-major order (columns
 * as in {@code StudySpec.encodedFeatureNames()}), {@code y} the labels as 0 or 1. The arrays are shared,
 * not copied, because they can be large; treat them as read-only.
 */
public record EncodedSplit(float[] x, float[] y, int rows, int cols) {
  public EncodedSplit {
    if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, was " + rows);
    if (cols < 1) throw new IllegalArgumentException("cols must be >= 1, was " + cols);
    if (x.length != (long) rows * cols)
      throw new IllegalArgumentException("x has " + x.length + " values but rows * cols is " + rows + " * " + cols);
    if (y.length != rows) throw new IllegalArgumentException("y has " + y.length + " values but rows is " + rows);
  }

  /** Number of rows labelled 1. */
  public int positives() {
    int n = 0;
    for (float v : y) if (v == 1f) n++;
    return n;
  }

  @Override public boolean equals(Object o) {
    return o instanceof EncodedSplit s && s.rows == rows && s.cols == cols && Arrays.equals(s.x, x) && Arrays.equals(s.y, y);
  }

  @Override public int hashCode() {
    return 31 * Arrays.hashCode(x) + Arrays.hashCode(y);
  }

  @Override public String toString() {
    return "EncodedSplit[rows=" + rows + ", cols=" + cols + ", positives=" + positives() + "]";
  }
}
