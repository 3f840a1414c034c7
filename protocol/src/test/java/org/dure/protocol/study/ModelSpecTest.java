package org.dure.protocol.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSpecTest {

  private static void assertTensor(String name, int[] shape, int offset, ModelSpec.Tensor actual) {
    assertEquals(name, actual.name());
    assertArrayEquals(shape, actual.shape(), name + " shape");
    assertEquals(offset, actual.offset(), name + " offset");
  }

  @Test void logisticRegressionIsOneDenseLayerToOneOutput() {
    // Prepare
    ModelSpec lr = new ModelSpec(ModelSpec.Kind.LOGISTIC_REGRESSION, null, "sigmoid");

    // Execute
    List<ModelSpec.Tensor> tensors = lr.tensors(3);

    // Assert
    assertEquals(2, tensors.size());
    assertTensor("dense_0_weight", new int[] {3, 1}, 0, tensors.get(0));
    assertTensor("dense_0_bias", new int[] {1}, 3, tensors.get(1));
    assertArrayEquals(new int[] {3, 1}, lr.layerSizes(3));
    assertEquals(4, lr.parameterCount(3));
  }

  @Test void logisticRegressionIgnoresHiddenLayers() {
    // Execute
    ModelSpec lr = new ModelSpec(ModelSpec.Kind.LOGISTIC_REGRESSION, new int[] {8}, "sigmoid");

    // Assert
    assertArrayEquals(new int[0], lr.hiddenLayers());
    assertEquals(6, lr.parameterCount(5));
  }

  @Test void mlpTensorsAreWeightThenBiasPerLayerInOrder() {
    // Prepare
    ModelSpec mlp = new ModelSpec(ModelSpec.Kind.MLP, new int[] {4, 2}, "relu");

    // Execute
    List<ModelSpec.Tensor> tensors = mlp.tensors(3);

    // Assert
    assertEquals(6, tensors.size());
    assertTensor("dense_0_weight", new int[] {3, 4}, 0, tensors.get(0));
    assertTensor("dense_0_bias", new int[] {4}, 12, tensors.get(1));
    assertTensor("dense_1_weight", new int[] {4, 2}, 16, tensors.get(2));
    assertTensor("dense_1_bias", new int[] {2}, 24, tensors.get(3));
    assertTensor("dense_2_weight", new int[] {2, 1}, 26, tensors.get(4));
    assertTensor("dense_2_bias", new int[] {1}, 28, tensors.get(5));
    assertEquals(12, tensors.get(0).length());
    assertArrayEquals(new int[] {3, 4, 2, 1}, mlp.layerSizes(3));
    assertEquals(29, mlp.parameterCount(3));
  }

  @Test void hiddenLayersCannotBeChangedFromOutside() {
    // Prepare
    int[] layers = {4, 2};
    ModelSpec mlp = new ModelSpec(ModelSpec.Kind.MLP, layers, "relu");

    // Execute
    layers[0] = 99;
    mlp.hiddenLayers()[1] = 99;

    // Assert
    assertArrayEquals(new int[] {4, 2}, mlp.hiddenLayers());
  }

  @Test void specsWithEqualLayersAreEqual() {
    // Prepare
    ModelSpec a = new ModelSpec(ModelSpec.Kind.MLP, new int[] {4, 2}, "relu");
    ModelSpec b = new ModelSpec(ModelSpec.Kind.MLP, new int[] {4, 2}, "relu");

    // Assert
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals("mlp[4, 2]/relu", a.toString());
  }
}
