package org.dure.fuzz;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * What every fuzz target asserts of a parser at a trust boundary: it returns, or it throws one of its declared
 * exception types with a message a person can act on. Anything else that escapes (a {@code NullPointerException},
 * an {@code ArrayIndexOutOfBoundsException}, an {@code OutOfMemoryError}, a declared type without a message) is
 * rethrown as a finding, with the original as its cause so Jazzer files the input under it.
 */
final class Contract {
  /** Longest message accepted: an error that quotes a whole hostile input back is itself a finding. */
  static final int MAX_MESSAGE = 2_000;

  /**
   * Traces of a programming error passed through as the message: a Java exception's class name, or the JDK's helpful
   * NullPointerException and index texts. The person reading the refusal cannot act on those.
   */
  private static final Pattern NOT_WORDED = Pattern.compile(
      "\\b(?:java|javax|org|com)\\.[\\w.$]+(?:Exception|Error)\\b|Cannot invoke \"|because \"[^\"]+\" is null"
          + "|Index -?\\d+ out of bounds");

  private Contract() {}

  @FunctionalInterface
  interface Parse<T> {
    T run() throws Exception;
  }

  /**
   * Runs {@code parse} over {@code input}; returns its value, or null when it refused the input with a declared, worded
   * exception. A message may quote the input, so text that the input itself holds never counts against the wording.
   */
  @SafeVarargs
  static <T> T refusesOnlyWith(String input, Parse<T> parse, Class<? extends Exception>... declared) {
    try {
      return parse.run();
    } catch (Exception e) {
      if (Arrays.stream(declared).noneMatch(d -> d.isInstance(e))) {
        throw new AssertionError("undeclared " + e.getClass().getName() + " (declared: " + names(declared) + ")", e);
      }
      String message = e.getMessage();
      if (message == null || message.isBlank() || message.equals("null")
          || message.endsWith(": null") && !input.contains("null")) {
        throw new AssertionError("declared " + e.getClass().getName() + " without a message: " + message, e);
      }
      var trace = NOT_WORDED.matcher(message);
      while (trace.find()) {
        if (input.contains(trace.group())) continue;
        throw new AssertionError("declared " + e.getClass().getName() + " worded as a programming error: " + message, e);
      }
      if (message.length() > MAX_MESSAGE) {
        throw new AssertionError("message of " + message.length() + " characters (at most " + MAX_MESSAGE + ")", e);
      }
      return null;
    }
  }

  private static String names(Class<?>[] types) {
    return String.join(", ", Arrays.stream(types).map(Class::getSimpleName).toList());
  }

  static void check(boolean condition, String what) {
    if (!condition) throw new AssertionError(what);
  }
}
