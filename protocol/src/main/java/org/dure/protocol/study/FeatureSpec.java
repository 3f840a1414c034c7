package org.dure.protocol.study;

import java.util.List;

/**
 * One input column of a study. Numeric features are standardised with federated statistics;
 * categorical features are one-hot encoded over {@link #categories()} in the listed order, identically
 * at every site (a value not in the list encodes as all zeros and is counted as unseen).
 */
public record FeatureSpec(String name, Type type, List<String> categories) {
  public enum Type { NUMERIC, CATEGORICAL }

  public FeatureSpec {
    categories = categories == null ? List.of() : List.copyOf(categories);
  }

  public static FeatureSpec numeric(String name) {
    return new FeatureSpec(name, Type.NUMERIC, List.of());
  }

  public static FeatureSpec categorical(String name, List<String> categories) {
    return new FeatureSpec(name, Type.CATEGORICAL, categories);
  }

  /** Number of model inputs this feature becomes. */
  public int width() {
    return type == Type.NUMERIC ? 1 : categories.size();
  }

  /** Names of the encoded model inputs: {@code name} or {@code name=category}. */
  public List<String> encodedNames() {
    return type == Type.NUMERIC ? List.of(name) : categories.stream().map(c -> name + "=" + c).toList();
  }
}
