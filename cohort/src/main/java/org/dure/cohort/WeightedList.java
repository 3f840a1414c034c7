package org.dure.cohort;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** An immutable list of items drawn with fixed relative weights. */
final class WeightedList<T> {
  private final List<T> items;
  private final double[] cumulative;

  WeightedList(List<T> items, double[] weights) {
    if (items.isEmpty() || items.size() != weights.length)
      throw new IllegalArgumentException("need one weight per item, was " + items.size() + " items and " + weights.length + " weights");
    this.items = List.copyOf(items);
    this.cumulative = new double[weights.length];
    double sum = 0;
    for (int i = 0; i < weights.length; i++) {
      if (!(weights[i] >= 0)) throw new IllegalArgumentException("weight must be >= 0, was " + weights[i]);
      sum += weights[i];
      cumulative[i] = sum;
    }
    if (!(sum > 0)) throw new IllegalArgumentException("weights must not all be zero");
  }

  /** Parses {@code "item:weight item:weight ..."}. */
  static WeightedList<String> parse(String spec) {
    List<String> names = new ArrayList<>();
    List<Double> weights = new ArrayList<>();
    for (String entry : spec.trim().split("\\s+")) {
      int colon = entry.lastIndexOf(':');
      names.add(entry.substring(0, colon));
      weights.add(Double.parseDouble(entry.substring(colon + 1)));
    }
    return new WeightedList<>(names, weights.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** Items weighted {@code 1 / (rank + 1)}, most popular first. */
  static <T> WeightedList<T> zipf(List<T> items) {
    double[] w = new double[items.size()];
    for (int i = 0; i < w.length; i++) w[i] = 1.0 / (i + 1);
    return new WeightedList<>(items, w);
  }

  T pick(RandomGenerator rng) {
    double u = rng.nextDouble() * cumulative[cumulative.length - 1];
    for (int i = 0; i < cumulative.length; i++) if (u < cumulative[i]) return items.get(i);
    return items.get(items.size() - 1);
  }

  List<T> items() {
    return items;
  }
}
