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
  /** Most hidden layers an MLP may have. */
  public static final int MAX_HIDDEN_LAYERS = 16;
  /** Widest hidden layer. */
  public static final int MAX_LAYER_WIDTH = 4096;
  /**
   * Most parameters (weights and biases) a study's model may have: 10 million, 40 MB per float32 copy. The
   * coordinator holds a few copies per study and sends one to every site each round; sites may set a lower cap
   * ({@code maxModelParameters} in their local policy).
   */
  public static final long MAX_PARAMETERS = 10_000_000L;

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

  /** The number of parameters for {@code inputs} model inputs, exact for any layer sizes (no {@code int} overflow). */
  public long parameters(long inputs) {
    long total = 0, in = inputs;
    for (int l = 0; l <= hiddenLayers.length; l++) {
      long out = l < hiddenLayers.length ? hiddenLayers[l] : 1;
      total = Math.addExact(total, Math.addExact(Math.multiplyExact(in, out), out));
      in = out;
    }
    return total;
  }

  /** The number of parameters, for a model within {@link #MAX_PARAMETERS}; fails rather than overflows. */
  public int parameterCount(int inputs) {
    long n = parameters(inputs);
    if (n > Integer.MAX_VALUE) throw new IllegalStateException(this + " on " + inputs + " inputs has " + n
        + " parameters, more than a flat float vector can hold; StudySpecParser allows at most " + MAX_PARAMETERS);
    return (int) n;
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
