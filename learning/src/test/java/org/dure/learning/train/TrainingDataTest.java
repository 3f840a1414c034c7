package org.dure.learning.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TrainingDataTest {
  @Test void copiesFeaturesIntoNativeMemory() {
    float[] x = {1, 2, 3, 4, 5, 6};
    try (TrainingData d = TrainingData.of(x, 2, 3, new float[] {0, 1})) {
      x[0] = 99;
      assertEquals(2, d.rows());
      assertEquals(3, d.cols());
      assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, d.features().toArray());
      assertArrayEquals(new float[] {0, 1}, d.labels());
    }
  }

  @Test void rejectsInconsistentShapesAndBadValuesNamingThem() {
    assertEquals("rowMajorX.length must be rows * cols = 6, was 5", assertThrows(IllegalArgumentException.class,
        () -> TrainingData.of(new float[5], 2, 3, new float[2])).getMessage());
    assertEquals("labels01.length must be rows = 2, was 3", assertThrows(IllegalArgumentException.class,
        () -> TrainingData.of(new float[6], 2, 3, new float[3])).getMessage());
    assertEquals("labels01[1] must be 0 or 1, was 0.5", assertThrows(IllegalArgumentException.class,
        () -> TrainingData.of(new float[6], 2, 3, new float[] {1, 0.5f})).getMessage());
    assertEquals("feature at row 1, column 2 must be finite, was NaN", assertThrows(IllegalArgumentException.class,
        () -> TrainingData.of(new float[] {0, 0, 0, 0, 0, Float.NaN}, 2, 3, new float[2])).getMessage());
    assertEquals("rows must be >= 1, was 0", assertThrows(IllegalArgumentException.class,
        () -> TrainingData.of(new float[0], 0, 3, new float[0])).getMessage());
  }

  @Test void closedDataCannotBeUsed() {
    TrainingData d = TrainingData.of(new float[] {1}, 1, 1, new float[] {1});
    d.close();
    d.close();
    assertThrows(IllegalStateException.class, d::features);
  }
}
