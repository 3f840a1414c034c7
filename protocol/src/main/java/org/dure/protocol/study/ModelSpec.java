package org.dure.protocol.study;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The model a study trains: logistic regression, or a multilayer perceptron with the given hidden
 * layer sizes and hidden activation. Both end in one sigmoid unit trained with binary cross-entropy.
 *
 * <p>Parameters travel as one flat float vector. Its layout, shared by every module, is: for each dense
 * layer {@code l} in order, the weight matrix {@code dense_l_weight} of shape {@code [in, out]} in
 * row-major order, then the bias {@code dense_l_bias} of shape {@code [out]}. A prediction is
 * {@code sigmoid(act(...act(x W0 + b0)...) WL + bL)}.
 */
public record ModelSpec(Kind kind, int[] hiddenLayers, String activation) {
  public enum Kind {
    LOGISTIC_REGRESSION("logistic_regression"), MLP("mlp");
    private final String wireName;
    Kind(String wireName) { this.wireName = wireName; }
    public String wireName() { return wireName; }
  }

  public static final List<String> ACTIVATIONS = List.of("relu", "tanh", "sigmoid");

  public ModelSpec {
    hiddenLayers = hiddenLayers == null ? new int[0] : hiddenLayers.clone();
    if (kind == Kind.LOGISTIC_REGRESSION) hiddenLayers = new int[0];
  }

  @Override public int[] hiddenLayers() { return hiddenLayers.clone(); }

  /** Layer widths from inputs to the single output. */
  public int[] layerSizes(int inputs) {
    int[] sizes = new int[hiddenLayers.length + 2];
    sizes[0] = inputs;
    System.arraycopy(hiddenLayers, 0, sizes, 1, hiddenLayers.length);
    sizes[sizes.length - 1] = 1;
    return sizes;
  }

  /** The named tensors of the flat parameter vector, in order. */
  public List<Tensor> tensors(int inputs) {
    int[] sizes = layerSizes(inputs);
    List<Tensor> out = new ArrayList<>();
    int offset = 0;
    for (int l = 0; l + 1 < sizes.length; l++) {
      int in = sizes[l], o = sizes[l + 1];
      out.add(new Tensor("dense_" + l + "_weight", new int[] {in, o}, offset));
      offset += in * o;
      out.add(new Tensor("dense_" + l + "_bias", new int[] {o}, offset));
      offset += o;
    }
    return out;
  }

  public int parameterCount(int inputs) {
    return tensors(inputs).stream().mapToInt(Tensor::length).sum();
  }

  /** One named slice of the flat parameter vector. */
  public record Tensor(String name, int[] shape, int offset) {
    public Tensor { shape = shape.clone(); }
    @Override public int[] shape() { return shape.clone(); }
    public int length() { return Arrays.stream(shape).reduce(1, (a, b) -> a * b); }
  }

  @Override public boolean equals(Object o) {
    return o instanceof ModelSpec m && m.kind == kind && Arrays.equals(m.hiddenLayers, hiddenLayers)
        && m.activation.equals(activation);
  }

  @Override public int hashCode() {
    return kind.hashCode() * 31 + Arrays.hashCode(hiddenLayers) * 7 + activation.hashCode();
  }

  @Override public String toString() {
    return kind == Kind.LOGISTIC_REGRESSION ? "logistic_regression"
        : "mlp" + Arrays.toString(hiddenLayers) + "/" + activation;
  }
}
