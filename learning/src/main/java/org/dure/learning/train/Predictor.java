package org.dure.learning.train;

import java.util.Objects;

/** Batched inference with a trained parameter vector. */
public final class Predictor {
  private static final int CHUNK = 1024;

  private Predictor() {}

  /** Predicted probability of label 1 for every row of {@code data}, in row order. */
  public static float[] predictProbabilities(Architecture arch, float[] params, TrainingData data) {
    Objects.requireNonNull(arch, "arch");
    Objects.requireNonNull(params, "params");
    Objects.requireNonNull(data, "data");
    if (params.length != arch.parameterCount()) {
      throw new IllegalArgumentException("params.length must be " + arch.parameterCount() + " for " + arch
          + ", was " + params.length);
    }
    if (data.cols() != arch.inputs()) {
      throw new IllegalArgumentException("data.cols() must be arch.inputs() = " + arch.inputs()
          + ", was " + data.cols());
    }
    int rows = data.rows();
    float[] out = new float[rows];
    try (Network net = new Network(arch, Math.min(CHUNK, rows))) {
      net.setParameters(params);
      for (int start = 0; start < rows; start += CHUNK) {
        int b = Math.min(CHUNK, rows - start);
        net.predict(data.rowPointer(start), b, out, start);
      }
    }
    return out;
  }
}
