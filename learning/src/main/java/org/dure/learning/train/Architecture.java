package org.dure.learning.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A binary classifier: {@code inputs} features, zero or more fully connected hidden layers with one
 * shared {@code activation}, and one sigmoid output unit trained with binary cross-entropy. With no
 * hidden layers it is logistic regression (and {@code activation} is unused).
 *
 * <p>The parameters travel as one flat float vector whose layout is given by {@link #tensors()}: for each
 * dense layer {@code l} in order, its weight {@code dense_l_weight} of shape {@code [in, out]} in row-major
 * order, then its bias {@code dense_l_bias} of shape {@code [out]}.
 */
public record Architecture(int inputs, int[] hidden, Activation activation) {

  /** One named slice of the flat parameter vector. */
  public record Tensor(String name, int[] shape, int offset, int length) {
    public Tensor {
      Objects.requireNonNull(name, "name");
      shape = shape.clone();
    }

    @Override public int[] shape() {
      return shape.clone();
    }

    @Override public boolean equals(Object o) {
      return o instanceof Tensor t && name.equals(t.name) && Arrays.equals(shape, t.shape)
          && offset == t.offset && length == t.length;
    }

    @Override public int hashCode() {
      return Objects.hash(name, Arrays.hashCode(shape), offset, length);
    }

    @Override public String toString() {
      return "Tensor[" + name + " " + Arrays.toString(shape) + " @" + offset + "+" + length + "]";
    }
  }

  public Architecture {
    if (inputs <= 0) throw new IllegalArgumentException("inputs must be > 0, was " + inputs);
    Objects.requireNonNull(hidden, "hidden");
    Objects.requireNonNull(activation, "activation");
    hidden = hidden.clone();
    long count = 0;
    int in = inputs;
    for (int i = 0; i < hidden.length; i++) {
      if (hidden[i] <= 0) {
        throw new IllegalArgumentException("hidden[" + i + "] must be > 0, was " + hidden[i]);
      }
      count += (long) in * hidden[i] + hidden[i];
      in = hidden[i];
    }
    count += in + 1L;
    if (count > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("parameter count must fit in an int, was " + count);
    }
  }

  /** Logistic regression on {@code inputs} features. */
  public static Architecture logisticRegression(int inputs) {
    return new Architecture(inputs, new int[0], Activation.RELU);
  }

  /** A multilayer perceptron with the given hidden layer sizes. */
  public static Architecture mlp(int inputs, Activation activation, int... hidden) {
    return new Architecture(inputs, hidden, activation);
  }

  @Override public int[] hidden() {
    return hidden.clone();
  }

  /** Number of dense layers, the output layer included (hidden layers + 1). */
  public int layers() {
    return hidden.length + 1;
  }

  /** Width of layer boundary {@code i}: the inputs for 0, hidden layer sizes, then 1 for the output. */
  int width(int i) {
    if (i == 0) return inputs;
    return i <= hidden.length ? hidden[i - 1] : 1;
  }

  /** Length of the flat parameter vector. */
  public int parameterCount() {
    int count = 0;
    for (int l = 0; l < layers(); l++) count += width(l) * width(l + 1) + width(l + 1);
    return count;
  }

  /** The slices of the flat parameter vector, in order. */
  public List<Tensor> tensors() {
    List<Tensor> out = new ArrayList<>(2 * layers());
    int offset = 0;
    for (int l = 0; l < layers(); l++) {
      int in = width(l), n = width(l + 1);
      out.add(new Tensor("dense_" + l + "_weight", new int[] {in, n}, offset, in * n));
      offset += in * n;
      out.add(new Tensor("dense_" + l + "_bias", new int[] {n}, offset, n));
      offset += n;
    }
    return List.copyOf(out);
  }

  @Override public boolean equals(Object o) {
    return o instanceof Architecture a && inputs == a.inputs && Arrays.equals(hidden, a.hidden)
        && activation == a.activation;
  }

  @Override public int hashCode() {
    return Objects.hash(inputs, Arrays.hashCode(hidden), activation);
  }

  @Override public String toString() {
    StringBuilder s = new StringBuilder().append(inputs);
    for (int h : hidden) s.append('-').append(h);
    s.append("-1");
    return hidden.length == 0 ? "logistic regression " + s : "mlp " + s + " " + activation.name().toLowerCase();
  }
}
