package org.dure.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.dure.learning.train.Activation;
import org.dure.learning.train.Architecture;
import org.dure.learning.train.Initializer;
import org.dure.learning.train.LocalTrainer;
import org.dure.learning.train.Optimizer;
import org.dure.learning.train.TrainingConfig;
import org.dure.learning.train.TrainingData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The comparison engines compute the same training as the LocalTrainer, so their timings are comparable. */
class EnginesAgreeTest {
  @ParameterizedTest
  @ValueSource(strings = {"nd4j-ops", "samediff"})
  void oneEpochEndsAtTheSameParametersAsTheLocalTrainer(String engine) {
    int rows = 300, cols = 5;
    float[][] xy = TrainBench.synthetic(rows, cols, 3);
    Architecture arch = Architecture.mlp(cols, Activation.RELU, 16, 8);
    TrainingConfig config = new TrainingConfig(1, 32, 0.05, Optimizer.SGD, 0);
    float[] start = Initializer.initialParameters(arch, 4);
    float[] expected;
    try (TrainingData data = TrainingData.of(xy[0], rows, cols, xy[1]);
         LocalTrainer trainer = new LocalTrainer(arch, config)) {
      expected = trainer.train(start, data, 9).parameters();
    }
    try (TrainBench.EpochRunner other = engine.equals("samediff")
        ? new SameDiffTrainer(arch, config, xy[0], xy[1], rows, cols)
        : new Nd4jOpsTrainer(arch, config, xy[0], xy[1], rows, cols)) {
      assertArrayEquals(expected, other.epoch(start, 9).parameters(), 1e-5f);
    }
  }
}
