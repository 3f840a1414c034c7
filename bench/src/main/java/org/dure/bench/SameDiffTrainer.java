package org.dure.bench;

import java.util.Random;
import org.dure.learning.train.Architecture;
import org.dure.learning.train.TrainOutcome;
import org.dure.learning.train.TrainingConfig;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The same minibatch SGD as the LocalTrainer, as a SameDiff graph trained with {@code SameDiff.fit(DataSet)} per
 * shuffled minibatch (gradients by SameDiff's autodiff). Kept only to measure SameDiff against the LocalTrainer.
 */
final class SameDiffTrainer implements TrainBench.EpochRunner {
  private final SameDiff sd = SameDiff.create();
  private final int rows;
  private final int cols;
  private final int batch;
  private final INDArray x;
  private final INDArray y;
  private final SDVariable[] w;
  private final SDVariable[] b;
  private final int[] inWidth;
  private final int[] outWidth;

  SameDiffTrainer(Architecture arch, TrainingConfig config, float[] rowMajorX, float[] labels, int rows, int cols) {
    this.rows = rows;
    this.cols = cols;
    this.batch = config.batchSize();
    this.x = Nd4j.create(rowMajorX, new long[] {rows, cols}, 'c');
    this.y = Nd4j.create(labels, new long[] {rows, 1}, 'c');
    int layers = arch.layers();
    int[] hidden = arch.hidden();
    w = new SDVariable[layers];
    b = new SDVariable[layers];
    inWidth = new int[layers];
    outWidth = new int[layers];
    SDVariable in = sd.placeHolder("input", DataType.FLOAT, -1, cols);
    SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, 1);
    SDVariable cur = in;
    for (int l = 0; l < layers; l++) {
      inWidth[l] = l == 0 ? cols : hidden[l - 1];
      outWidth[l] = l < hidden.length ? hidden[l] : 1;
      w[l] = sd.var("w" + l, Nd4j.zeros(DataType.FLOAT, inWidth[l], outWidth[l]));
      b[l] = sd.var("b" + l, Nd4j.zeros(DataType.FLOAT, outWidth[l]));
      SDVariable z = cur.mmul(w[l]).add(b[l]);
      cur = l < layers - 1 ? sd.nn.relu(z, 0) : z;
    }
    SDVariable loss = sd.loss.sigmoidCrossEntropy("loss", label, cur, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, 0.0);
    sd.setLossVariables(loss);
    sd.setTrainingConfig(org.nd4j.autodiff.samediff.TrainingConfig.builder()
        .updater(new Sgd(config.learningRate()))
        .dataSetFeatureMapping("input").dataSetLabelMapping("label").build());
  }

  @Override public TrainOutcome epoch(float[] params, long seed) {
    int offset = 0;
    for (int l = 0; l < w.length; l++) {
      int n = inWidth[l] * outWidth[l];
      w[l].getArr().assign(Nd4j.create(java.util.Arrays.copyOfRange(params, offset, offset + n),
          new long[] {inWidth[l], outWidth[l]}, 'c'));
      offset += n;
      b[l].getArr().assign(Nd4j.create(java.util.Arrays.copyOfRange(params, offset, offset + outWidth[l])));
      offset += outWidth[l];
    }
    int[] order = new int[rows];
    for (int i = 0; i < rows; i++) order[i] = i;
    Random random = new Random(seed);
    for (int i = rows - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (int start = 0; start < rows; start += batch) {
      int n = Math.min(batch, rows - start);
      int[] idx = java.util.Arrays.copyOfRange(order, start, start + n);
      INDArray xb = Nd4j.pullRows(x, 1, idx);
      INDArray yb = Nd4j.pullRows(y, 1, idx);
      sd.fit(new DataSet(xb, yb));     // fit(DataSet) records no loss curve; the loss is reported as NaN
    }
    float[] out = new float[params.length];
    offset = 0;
    for (int l = 0; l < w.length; l++) {
      float[] wl = w[l].getArr().dup('c').data().asFloat();
      System.arraycopy(wl, 0, out, offset, wl.length);
      offset += wl.length;
      float[] bl = b[l].getArr().dup('c').data().asFloat();
      System.arraycopy(bl, 0, out, offset, bl.length);
      offset += bl.length;
    }
    return new TrainOutcome(out, Double.NaN, rows);
  }

  @Override public void close() {
    x.close();
    y.close();
  }
}
