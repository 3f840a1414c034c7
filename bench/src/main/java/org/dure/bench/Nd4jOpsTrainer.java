package org.dure.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.dure.learning.train.Architecture;
import org.dure.learning.train.TrainOutcome;
import org.dure.learning.train.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The same minibatch SGD as the LocalTrainer (relu MLP or logistic regression, binary cross-entropy, per-epoch
 * shuffle), written the way the ND4J documentation suggests: INDArray ops only, {@code Nd4j.gemm} into
 * preallocated f-order outputs, in-place broadcasts and transforms, {@code pullRows} for the shuffled batch.
 * Kept only to measure what hand-written "plain INDArray ops" cost against the LocalTrainer.
 */
final class Nd4jOpsTrainer implements TrainBench.EpochRunner {
  private final Architecture arch;
  private final TrainingConfig config;
  private final int rows;
  private final int layers;
  private final int[] width;
  private final INDArray x;          // [rows, cols] c-order
  private final float[] labels;
  private final INDArray flat;       // parameters, flat
  private final INDArray gradFlat;
  private final INDArray[] w, b, gw, gb;
  private final Map<Integer, Buffers> buffers = new HashMap<>();

  /** Per-batch-size work arrays, allocated once. */
  private final class Buffers {
    final INDArray xb, y;
    final INDArray[] z, a, mask, dz;
    final INDArray dOut;

    Buffers(int n) {
      xb = Nd4j.create(DataType.FLOAT, new long[] {n, width[0]}, 'c');
      y = Nd4j.create(DataType.FLOAT, new long[] {n, 1}, 'f');
      z = new INDArray[layers + 1];
      a = new INDArray[layers + 1];
      mask = new INDArray[layers + 1];
      dz = new INDArray[layers + 1];
      for (int l = 1; l <= layers; l++) {
        z[l] = Nd4j.create(DataType.FLOAT, new long[] {n, width[l]}, 'f');
        a[l] = Nd4j.create(DataType.FLOAT, new long[] {n, width[l]}, 'f');
        mask[l] = Nd4j.create(DataType.FLOAT, new long[] {n, width[l]}, 'f');
        dz[l] = Nd4j.create(DataType.FLOAT, new long[] {n, width[l]}, 'f');
      }
      dOut = Nd4j.create(DataType.FLOAT, new long[] {n, 1}, 'f');
    }
  }

  Nd4jOpsTrainer(Architecture arch, TrainingConfig config, float[] rowMajorX, float[] labels, int rows, int cols) {
    this.arch = arch;
    this.config = config;
    this.rows = rows;
    this.layers = arch.layers();
    this.width = new int[layers + 1];
    width[0] = cols;
    int[] hidden = arch.hidden();
    for (int l = 1; l < layers; l++) width[l] = hidden[l - 1];
    width[layers] = 1;
    this.x = Nd4j.create(rowMajorX, new long[] {rows, cols}, 'c');
    this.labels = labels;
    int count = arch.parameterCount();
    flat = Nd4j.create(DataType.FLOAT, 1, count);
    gradFlat = Nd4j.create(DataType.FLOAT, 1, count);
    w = new INDArray[layers + 1];
    b = new INDArray[layers + 1];
    gw = new INDArray[layers + 1];
    gb = new INDArray[layers + 1];
    int offset = 0;
    for (int l = 1; l <= layers; l++) {
      int in = width[l - 1], out = width[l];
      w[l] = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(offset, offset + in * out)).reshape('c', in, out);
      gw[l] = gradFlat.get(NDArrayIndex.point(0), NDArrayIndex.interval(offset, offset + in * out)).reshape('c', in, out);
      offset += in * out;
      b[l] = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(offset, offset + out)).reshape(1, out);
      gb[l] = gradFlat.get(NDArrayIndex.point(0), NDArrayIndex.interval(offset, offset + out)).reshape(1, out);
      offset += out;
    }
  }

  @Override public TrainOutcome epoch(float[] params, long seed) {
    flat.assign(Nd4j.create(params, new long[] {1, params.length}, 'c'));
    int[] order = new int[rows];
    for (int i = 0; i < rows; i++) order[i] = i;
    Random random = new Random(seed);
    for (int i = rows - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    double lossSum = 0;
    int bs = config.batchSize();
    float[] yb = new float[bs];
    for (int start = 0; start < rows; start += bs) {
      int n = Math.min(bs, rows - start);
      Buffers buf = buffers.computeIfAbsent(n, Buffers::new);
      int[] idx = new int[n];
      System.arraycopy(order, start, idx, 0, n);
      Nd4j.pullRows(x, buf.xb, 1, idx);
      for (int i = 0; i < n; i++) yb[i] = labels[idx[i]];
      buf.y.assign(Nd4j.create(yb, new long[] {bs, 1}, 'f').get(NDArrayIndex.interval(0, n), NDArrayIndex.all()));
      lossSum += step(buf, n);
      Nd4j.getBlasWrapper().level1().axpy(flat.length(), -config.learningRate(), gradFlat, flat);
    }
    return new TrainOutcome(flat.toFloatVector(), lossSum / rows, rows);
  }

  private double step(Buffers buf, int n) {
    INDArray in = buf.xb;
    for (int l = 1; l <= layers; l++) {
      Nd4j.gemm(in, w[l], buf.z[l], false, false, 1.0, 0.0);
      buf.z[l].addiRowVector(b[l]);
      if (l < layers) Nd4j.exec(new RectifiedLinear(buf.z[l], buf.a[l], 0.0));
      else Nd4j.exec(new Sigmoid(buf.z[l], buf.a[l]));
      in = buf.a[l];
    }
    INDArray p = buf.a[layers];
    // loss = -mean(y log p + (1 - y) log(1 - p)), from the probabilities as a plain-ops user would write it
    INDArray clipped = org.nd4j.linalg.ops.transforms.Transforms.max(
        org.nd4j.linalg.ops.transforms.Transforms.min(p, 1 - 1e-7, true), 1e-7, false);
    INDArray logP = org.nd4j.linalg.ops.transforms.Transforms.log(clipped, true);
    INDArray log1mP = org.nd4j.linalg.ops.transforms.Transforms.log(clipped.rsub(1.0), false);
    double loss = -(logP.muli(buf.y).sumNumber().doubleValue()
        + log1mP.muli(buf.y.rsub(1.0)).sumNumber().doubleValue());
    INDArray dz = buf.dz[layers];
    dz.assign(p).subi(buf.y).muli(1.0 / n);
    for (int l = layers; l >= 1; l--) {
      INDArray below = l > 1 ? buf.a[l - 1] : buf.xb;
      Nd4j.gemm(below, buf.dz[l], gw[l], true, false, 1.0, 0.0);
      buf.dz[l].sum(gb[l], 0);
      if (l > 1) {
        INDArray da = buf.dz[l - 1];
        Nd4j.gemm(buf.dz[l], w[l], da, false, true, 1.0, 0.0);
        Nd4j.exec(new Step(buf.z[l - 1], buf.mask[l - 1], 0.0));
        da.muli(buf.mask[l - 1]);
      }
    }
    return loss;
  }

  @Override public void close() {
    x.close();
  }
}
