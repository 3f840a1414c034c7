package org.dure.learning.train;

import org.bytedeco.javacpp.FloatPointer;

/**
 * The forward and backward pass of an {@link Architecture} for minibatches of up to {@code capacity}
 * examples, with every buffer allocated once.
 *
 * <p>Layout: a batch of {@code b} examples of width {@code n} is stored sample-major ({@code b x n} row-major,
 * which BLAS sees as a column-major {@code n x b} matrix {@code A}), exactly as rows of the training data lie in
 * memory, so a batch of inputs needs no transposition. A dense weight {@code [in, out]} in row-major order is
 * the column-major {@code out x in} matrix {@code W}, so layer outputs are {@code Z = W A} and the gradients are
 * {@code dW = dZ A'} and {@code dA = W' dZ}: three GEMMs per hidden layer, written straight into the flat
 * parameter and gradient vectors. The output unit uses GEMVs, and bias gradients are GEMVs against a vector of
 * ones. Bias addition, activations, their derivatives and the loss run as {@link Kernels} loops on heap copies
 * (one bulk copy each way per layer); nothing is allocated per batch, so no ND4J workspace is needed.
 */
final class Network implements AutoCloseable {
  final Architecture arch;
  final Activation activation;
  final int capacity;
  final int layers;                 // dense layers, output included
  private final int[] width;        // width[0] = inputs ... width[layers] = 1
  private final int[] weightOffset;
  private final int[] biasOffset;
  private final int maxHidden;

  final NativeFloats params;
  final NativeFloats grads;
  private final FloatPointer[] weightPtr;
  private final FloatPointer[] gradWeightPtr;
  private final FloatPointer[] gradBiasPtr;
  private final NativeFloats ones;         // for bias gradients as GEMVs

  // hidden boundaries 1..layers-1
  private final NativeFloats[] actNative;
  private final FloatPointer[] actPtr;
  private final float[][] actHeap;
  private final float[][] bias;
  private final NativeFloats zNative;      // scratch: a GEMM output (pre-activation or upstream gradient)
  private final NativeFloats dzNative;     // scratch: a layer's dZ for its two backward GEMMs
  private final float[] scratchHeap;       // heap copy of zNative
  private final float[] dzHeap;

  // output unit
  private final NativeFloats outNative;    // logits, then dZ of the output
  private final float[] outHeap;
  private final float[] outGradHeap;
  private final float[] outBiasGradHeap = new float[1];
  private final float[] lastWeight;        // heap copy of the output unit's weights (when there are hidden layers)

  Network(Architecture arch, int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
    this.arch = arch;
    this.activation = arch.activation();
    this.capacity = capacity;
    this.layers = arch.layers();
    this.width = new int[layers + 1];
    for (int i = 0; i <= layers; i++) width[i] = arch.width(i);
    this.weightOffset = new int[layers + 1];
    this.biasOffset = new int[layers + 1];
    int offset = 0;
    for (int l = 1; l <= layers; l++) {
      weightOffset[l] = offset;
      offset += width[l - 1] * width[l];
      biasOffset[l] = offset;
      offset += width[l];
    }
    int max = 1;
    for (int l = 1; l < layers; l++) max = Math.max(max, width[l]);
    this.maxHidden = max;
    if ((long) Math.max(max, width[0]) * capacity > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("batch size " + capacity + " times the widest layer " + Math.max(max, width[0])
          + " must stay below 2^31 floats; use a smaller batchSize");
    }

    params = new NativeFloats(offset);
    grads = new NativeFloats(offset);
    weightPtr = new FloatPointer[layers + 1];
    gradWeightPtr = new FloatPointer[layers + 1];
    gradBiasPtr = new FloatPointer[layers + 1];
    for (int l = 1; l <= layers; l++) {
      weightPtr[l] = params.at(weightOffset[l]);
      gradWeightPtr[l] = grads.at(weightOffset[l]);
      gradBiasPtr[l] = grads.at(biasOffset[l]);
    }
    actNative = new NativeFloats[layers];
    actPtr = new FloatPointer[layers];
    actHeap = new float[layers][];
    bias = new float[layers + 1][];
    for (int l = 1; l <= layers; l++) bias[l] = new float[width[l]];
    boolean hasHidden = layers > 1;
    for (int l = 1; l < layers; l++) {
      actNative[l] = new NativeFloats(width[l] * capacity);
      actPtr[l] = actNative[l].at(0);
      actHeap[l] = new float[width[l] * capacity];
    }
    zNative = hasHidden ? new NativeFloats(maxHidden * capacity) : null;
    dzNative = hasHidden ? new NativeFloats(maxHidden * capacity) : null;
    scratchHeap = hasHidden ? new float[maxHidden * capacity] : null;
    dzHeap = hasHidden ? new float[maxHidden * capacity] : null;
    ones = hasHidden ? new NativeFloats(capacity) : null;
    if (ones != null) {
      float[] one = new float[capacity];
      java.util.Arrays.fill(one, 1f);
      ones.put(0, one, 0, capacity);
    }
    outNative = new NativeFloats(capacity);
    outHeap = new float[capacity];
    outGradHeap = new float[capacity];
    lastWeight = new float[width[layers - 1]];
  }

  int parameterCount() {
    return params.length;
  }

  /** Replaces the parameters. */
  void setParameters(float[] values) {
    params.put(0, values, 0, values.length);
    parametersChanged();
  }

  /** Must be called after {@link #params} changed natively, to refresh the heap copies of biases. */
  void parametersChanged() {
    for (int l = 1; l <= layers; l++) params.get(biasOffset[l], bias[l], 0, width[l]);
    params.get(weightOffset[layers], lastWeight, 0, lastWeight.length);
  }

  /** Forward pass; leaves the output logits (without bias) in {@link #outHeap}. */
  private void forward(FloatPointer x, int b) {
    FloatPointer in = x;
    for (int l = 1; l < layers; l++) {
      int n = width[l], k = width[l - 1];
      FloatPointer z = zNative.at(0);
      Blas.gemm(false, false, n, b, k, 1f, weightPtr[l], n, in, k, 0f, z, n);
      zNative.get(0, scratchHeap, 0, n * b);
      Kernels.activate(activation, scratchHeap, bias[l], n, b, actHeap[l]);
      actNative[l].put(0, actHeap[l], 0, n * b);
      in = actPtr[l];
    }
    int k = width[layers - 1];
    Blas.gemv(true, k, b, 1f, in, k, weightPtr[layers], 0f, outNative.at(0));
    outNative.get(0, outHeap, 0, b);
  }

  /**
   * Forward and backward pass over {@code b} examples at {@code x} (sample-major) with labels
   * {@code y[0..b)}: fills {@link #grads} with the gradient of the mean loss and returns the summed loss.
   */
  double forwardBackward(FloatPointer x, float[] y, int b) {
    checkBatch(b);
    forward(x, b);
    double loss = Kernels.sigmoidCrossEntropy(outHeap, bias[layers][0], y, b, 1f / b, outGradHeap);
    double outBiasGrad = 0;
    for (int i = 0; i < b; i++) outBiasGrad += outGradHeap[i];
    outBiasGradHeap[0] = (float) outBiasGrad;
    grads.put(biasOffset[layers], outBiasGradHeap, 0, 1);
    outNative.put(0, outGradHeap, 0, b);
    int k = width[layers - 1];
    FloatPointer prev = layers > 1 ? actPtr[layers - 1] : x;
    Blas.gemv(false, k, b, 1f, prev, k, outNative.at(0), 0f, gradWeightPtr[layers]);

    for (int l = layers - 1; l >= 1; l--) {
      int n = width[l], in = width[l - 1];
      if (l == layers - 1) {
        Kernels.backpropFromOutput(activation, outGradHeap, lastWeight, actHeap[l], n, b, dzHeap);
      } else {
        zNative.get(0, scratchHeap, 0, n * b);
        Kernels.backprop(activation, scratchHeap, actHeap[l], n * b, dzHeap);
      }
      dzNative.put(0, dzHeap, 0, n * b);
      FloatPointer dz = dzNative.at(0);
      Blas.gemv(false, n, b, 1f, dz, n, ones.at(0), 0f, gradBiasPtr[l]);
      FloatPointer below = l > 1 ? actPtr[l - 1] : x;
      Blas.gemm(false, true, n, in, b, 1f, dz, n, below, in, 0f, gradWeightPtr[l], n);
      if (l > 1) Blas.gemm(true, false, in, b, n, 1f, weightPtr[l], n, dz, n, 0f, zNative.at(0), in);
    }
    return loss;
  }

  // DP-SGD scratch, allocated on first use: each hidden layer's dZ kept from the first backward sweep
  private float[][] dzLayer;
  private float[] inputHeap;
  private float[] sqNorm;

  /**
   * DP-SGD's clipped gradient sum over {@code b} examples at {@code x} (sample-major) with labels {@code y[0..b)}:
   * fills {@link #grads} with {@code sum_i g_i * min(1, clip / ||g_i||)}, where {@code g_i} is example i's
   * gradient of its own loss, and returns the summed loss. {@code norms[0..b)} receives each {@code ||g_i||}.
   *
   * <p>No per-example gradient is materialised. For a dense layer example i's weight gradient is the outer
   * product {@code dz_i a_i'} and its bias gradient {@code dz_i}, so its squared norm is
   * {@code ||dz_i||^2 (||a_i||^2 + 1)}; summed over layers that is {@code ||g_i||^2}. Since every layer's
   * {@code dz_i} is linear in example i's output error, scaling each example's stored {@code dz_i} by its clip
   * factor before the weight-gradient GEMMs yields the clipped sum. Cost over {@link #forwardBackward}: the norm
   * loops and one scaling pass per layer, both O(batch x width).
   */
  double clippedGradientSum(FloatPointer x, float[] y, int b, float clip, float[] norms) {
    checkBatch(b);
    if (!(clip > 0) || Float.isInfinite(clip)) throw new IllegalArgumentException("clip must be finite and > 0, was " + clip);
    if (dzLayer == null) {
      dzLayer = new float[layers][];
      for (int l = 1; l < layers; l++) dzLayer[l] = new float[width[l] * capacity];
      inputHeap = new float[width[0] * capacity];
      sqNorm = new float[capacity];
    }
    forward(x, b);
    double loss = Kernels.sigmoidCrossEntropy(outHeap, bias[layers][0], y, b, 1f, outGradHeap);
    // first sweep: every layer's dZ, and each example's squared gradient norm
    float[] below = layers > 1 ? actHeap[layers - 1] : copyInput(x, b);
    int k = width[layers - 1];
    for (int i = 0; i < b; i++) {
      float d = outGradHeap[i];
      sqNorm[i] = d * d * (squaredNorm(below, i * k, k) + 1f);
    }
    for (int l = layers - 1; l >= 1; l--) {
      int n = width[l], in = width[l - 1];
      float[] dz = dzLayer[l];
      if (l == layers - 1) {
        Kernels.backpropFromOutput(activation, outGradHeap, lastWeight, actHeap[l], n, b, dz);
      } else {
        zNative.get(0, scratchHeap, 0, n * b);
        Kernels.backprop(activation, scratchHeap, actHeap[l], n * b, dz);
      }
      float[] a = l > 1 ? actHeap[l - 1] : copyInput(x, b);
      for (int i = 0; i < b; i++) sqNorm[i] += squaredNorm(dz, i * n, n) * (squaredNorm(a, i * in, in) + 1f);
      if (l > 1) {
        dzNative.put(0, dz, 0, n * b);
        Blas.gemm(true, false, in, b, n, 1f, weightPtr[l], n, dzNative.at(0), n, 0f, zNative.at(0), in);
      }
    }
    // clip factors, applied to the stored errors
    for (int i = 0; i < b; i++) {
      float norm = (float) Math.sqrt(sqNorm[i]);
      norms[i] = norm;
      float c = norm > clip ? clip / norm : 1f;
      sqNorm[i] = c;
      outGradHeap[i] *= c;
    }
    // second sweep: gradients of the clipped sum, no further back-propagation needed
    double outBiasGrad = 0;
    for (int i = 0; i < b; i++) outBiasGrad += outGradHeap[i];
    outBiasGradHeap[0] = (float) outBiasGrad;
    grads.put(biasOffset[layers], outBiasGradHeap, 0, 1);
    outNative.put(0, outGradHeap, 0, b);
    FloatPointer prev = layers > 1 ? actPtr[layers - 1] : x;
    Blas.gemv(false, k, b, 1f, prev, k, outNative.at(0), 0f, gradWeightPtr[layers]);
    for (int l = layers - 1; l >= 1; l--) {
      int n = width[l], in = width[l - 1];
      float[] dz = dzLayer[l];
      for (int i = 0; i < b; i++) {
        float c = sqNorm[i];
        if (c == 1f) continue;
        for (int j = i * n, end = j + n; j < end; j++) dz[j] *= c;
      }
      dzNative.put(0, dz, 0, n * b);
      FloatPointer d = dzNative.at(0);
      Blas.gemv(false, n, b, 1f, d, n, ones.at(0), 0f, gradBiasPtr[l]);
      FloatPointer a = l > 1 ? actPtr[l - 1] : x;
      Blas.gemm(false, true, n, in, b, 1f, d, n, a, in, 0f, gradWeightPtr[l], n);
    }
    return loss;
  }

  private float[] copyInput(FloatPointer x, int b) {
    int n = width[0] * b;
    x.get(inputHeap, 0, n);
    return inputHeap;
  }

  private static float squaredNorm(float[] v, int offset, int n) {
    float s = 0;
    for (int j = offset, end = offset + n; j < end; j++) s += v[j] * v[j];
    return s;
  }

  /** Probabilities for {@code b} examples at {@code x} into {@code out[offset..offset+b)}. */
  void predict(FloatPointer x, int b, float[] out, int offset) {
    checkBatch(b);
    forward(x, b);
    Kernels.sigmoid(outHeap, bias[layers][0], b, out, offset);
  }

  private void checkBatch(int b) {
    if (b < 1 || b > capacity) throw new IllegalArgumentException("batch must be in [1, " + capacity + "], was " + b);
  }

  @Override public void close() {
    params.close();
    grads.close();
    for (int l = 1; l < layers; l++) actNative[l].close();
    if (zNative != null) zNative.close();
    if (dzNative != null) dzNative.close();
    if (ones != null) ones.close();
    outNative.close();
  }
}
