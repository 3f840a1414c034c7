package org.dure.learning.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Activation of the hidden layers of an {@link Architecture}; the output unit is always a sigmoid. */
public enum Activation {
  RELU, TANH, SIGMOID;

  /**
   * Parses a name case-insensitively ({@code "relu"}, {@code "Tanh"}, ...).
   *
   * @throws IllegalArgumentException naming the valid values when {@code name} is not one of them
   */
  public static Activation parse(String name) {
    return parseEnum(Activation.class, "activation", name);
  }

  static <E extends Enum<E>> E parseEnum(Class<E> type, String what, String name) {
    if (name != null) {
      String wanted = name.trim().toUpperCase(Locale.ROOT);
      for (E e : type.getEnumConstants()) {
        if (e.name().equals(wanted)) return e;
      }
    }
    String valid = Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    throw new IllegalArgumentException(what + " must be one of " + valid + ", was " + name);
  }
}
