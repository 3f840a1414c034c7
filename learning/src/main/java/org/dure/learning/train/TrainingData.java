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
  // patients (groups of rows), when a site has several rows per patient: CSR layout
  private int[] groupStart;
  private int[] groupRows;

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

  /**
   * Declares which rows belong to the same patient ({@code patientOfRow[i]} in {@code [0, patients)}), so that
   * DP-SGD samples and bounds patients rather than rows: each step takes every patient with probability q and
   * one random row of each taken patient. Without it every row is its own patient.
   *
   * @return this
   * @throws IllegalArgumentException if the array does not have one entry per row, or a patient has no row
   */
  public TrainingData withPatients(int[] patientOfRow) {
    Objects.requireNonNull(patientOfRow, "patientOfRow");
    if (patientOfRow.length != rows)
      throw new IllegalArgumentException("patientOfRow.length must be rows = " + rows + ", was " + patientOfRow.length);
    int patients = 0;
    for (int p : patientOfRow) {
      if (p < 0) throw new IllegalArgumentException("patient indices must be >= 0, was " + p);
      patients = Math.max(patients, p + 1);
    }
    int[] start = new int[patients + 1];
    for (int p : patientOfRow) start[p + 1]++;
    for (int p = 0; p < patients; p++) {
      if (start[p + 1] == 0) throw new IllegalArgumentException("patient " + p + " has no row; number patients densely");
      start[p + 1] += start[p];
    }
    int[] fill = start.clone();
    int[] members = new int[rows];
    for (int r = 0; r < rows; r++) members[fill[patientOfRow[r]]++] = r;
    this.groupStart = start;
    this.groupRows = members;
    return this;
  }

  /** Patients: as declared by {@link #withPatients}, else one per row. */
  public int patients() {
    return groupStart == null ? rows : groupStart.length - 1;
  }

  /** The most rows any one patient has (1 without {@link #withPatients}). */
  public int maxRowsPerPatient() {
    if (groupStart == null) return 1;
    int max = 1;
    for (int p = 0; p + 1 < groupStart.length; p++) max = Math.max(max, groupStart[p + 1] - groupStart[p]);
    return max;
  }

  /** Row {@code k} (0-based, below the patient's row count) of {@code patient}. */
  int rowOfPatient(int patient, int k) {
    return groupStart == null ? patient : groupRows[groupStart[patient] + k];
  }

  int rowsOfPatient(int patient) {
    return groupStart == null ? 1 : groupStart[patient + 1] - groupStart[patient];
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
