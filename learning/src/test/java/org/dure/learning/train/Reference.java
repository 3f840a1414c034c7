package org.dure.learning.train;

import java.util.Random;

/** An independent, slow, double-precision forward pass used to check the engine. */
final class Reference {
  private Reference() {}

  static double activate(Activation f, double v) {
    return switch (f) {
      case RELU -> Math.max(v, 0);
      case TANH -> Math.tanh(v);
      case SIGMOID -> 1 / (1 + Math.exp(-v));
    };
  }

  /** Probability of label 1 for each row. */
  static double[] probabilities(Architecture arch, double[] params, float[] x, int rows) {
    double[] out = new double[rows];
    int[] hidden = arch.hidden();
    for (int r = 0; r < rows; r++) {
      double[] a = new double[arch.inputs()];
      for (int j = 0; j < a.length; j++) a[j] = x[r * a.length + j];
      int offset = 0;
      for (int l = 0; l <= hidden.length; l++) {
        int in = a.length, n = l < hidden.length ? hidden[l] : 1;
        double[] z = new double[n];
        for (int o = 0; o < n; o++) {
          double s = params[offset + in * n + o];                 // bias
          for (int i = 0; i < in; i++) s += a[i] * params[offset + i * n + o];   // weight [in, out] row-major
          z[o] = s;
        }
        offset += in * n + n;
        if (l < hidden.length) {
          for (int o = 0; o < n; o++) z[o] = activate(arch.activation(), z[o]);
        } else {
          z[0] = 1 / (1 + Math.exp(-z[0]));
        }
        a = z;
      }
      out[r] = a[0];
    }
    return out;
  }

  static double meanLoss(Architecture arch, double[] params, float[] x, float[] y) {
    double[] p = probabilities(arch, params, x, y.length);
    double loss = 0;
    for (int r = 0; r < y.length; r++) loss -= y[r] == 1 ? Math.log(p[r]) : Math.log(1 - p[r]);
    return loss / y.length;
  }

  static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }

  static float[] gaussian(int n, long seed) {
    Random random = new Random(seed);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) out[i] = (float) random.nextGaussian();
    return out;
  }

  static float[] coinFlips(int n, long seed) {
    Random random = new Random(seed);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) out[i] = random.nextBoolean() ? 1f : 0f;
    return out;
  }
}
