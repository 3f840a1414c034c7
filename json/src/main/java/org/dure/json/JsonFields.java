package org.dure.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Typed, strict readers for the fields of one JSON object, each failing with the field's full path and one plain
 * sentence ("training.rounds: expected an integer, was 2.5"); the one field reader behind every document Dure reads
 * (study definitions, agent configuration, local policy, pseudonymisation settings, ledger lines, tree heads).
 *
 * <p>The caller decides what a failure is ({@link Problem}: the exception its own callers expect, with the file name or
 * a prefix it adds) and what its keys are called ("field" in a study definition, "setting" in a configuration file).
 */
public final class JsonFields {
  /** Makes the exception for a problem at {@code path} (e.g. {@code "training.rounds"}); {@code problem} is lower case. */
  @FunctionalInterface
  public interface Problem {
    RuntimeException at(String path, String problem);
  }

  private final ObjectNode node;
  private final String prefix;
  private final String noun;
  private final Problem problem;

  private JsonFields(ObjectNode node, String prefix, String noun, Problem problem) {
    this.node = node;
    this.prefix = prefix;
    this.noun = noun;
    this.problem = problem;
  }

  /**
   * The fields of {@code node}, which must be an object; {@code prefix} is its path ("" at the top), {@code noun} what
   * the document calls a key ("field", "setting").
   */
  public static JsonFields of(JsonNode node, String prefix, String noun, Problem problem) {
    if (node == null || !node.isObject()) {
      throw problem.at(prefix.isEmpty() ? "(document)" : prefix, "expected an object, was " + typeOf(node));
    }
    return new JsonFields((ObjectNode) node, prefix, noun, problem);
  }

  /** The object itself. */
  public ObjectNode node() {
    return node;
  }

  /** The full path of {@code field} in the document. */
  public String path(String field) {
    return prefix.isEmpty() ? field : prefix + "." + field;
  }

  /** Whether the field is present and not {@code null}. */
  public boolean has(String field) {
    return node.has(field) && !node.get(field).isNull();
  }

  /**
   * Fails on the first key that is not one of {@code fields} ("unknown field; expected one of [...]", in the list's
   * order, or sorted for any other collection).
   */
  public JsonFields allowOnly(Collection<String> fields) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!fields.contains(f)) {
        Collection<String> shown = fields instanceof List ? fields : new TreeSet<>(fields);
        throw problem.at(path(f), fields.isEmpty() ? "unknown " + noun + "; this object takes none"
            : "unknown " + noun + "; expected one of " + shown);
      }
    }
    return this;
  }

  public JsonFields allowOnly(String... fields) {
    return allowOnly(Arrays.asList(fields));
  }

  /** The field's value, or null when absent and not {@code required} ("is required" otherwise). */
  public JsonNode node(String field, boolean required) {
    if (!has(field)) {
      if (required) throw problem.at(path(field), "is required");
      return null;
    }
    return node.get(field);
  }

  /** The field as an object, or null when absent and not {@code required}. */
  public JsonFields object(String field, boolean required) {
    JsonNode n = node(field, required);
    if (n == null) return null;
    if (!n.isObject()) throw problem.at(path(field), "expected an object, was " + typeOf(n));
    return new JsonFields((ObjectNode) n, path(field), noun, problem);
  }

  /** A required JSON string. */
  public String string(String field) {
    JsonNode n = node(field, true);
    if (!n.isTextual()) throw problem.at(path(field), "expected a string, was " + typeOf(n));
    return n.textValue();
  }

  /** A JSON string, or {@code dflt} when absent. */
  public String string(String field, String dflt) {
    return has(field) ? string(field) : dflt;
  }

  /**
   * A required, non-blank text of at most {@code maxLength} characters; a number or true/false is taken as its text
   * (a name written {@code 2026} means "2026").
   */
  public String scalarText(String field, int maxLength) {
    JsonNode n = node(field, true);
    if (!n.isTextual() && !n.isNumber() && !n.isBoolean()) throw problem.at(path(field), "expected a string, was " + typeOf(n));
    String v = n.asText();
    if (v.isBlank()) throw problem.at(path(field), "must not be blank");
    if (v.length() > maxLength) throw problem.at(path(field), "must be at most " + maxLength + " characters");
    return v;
  }

  /** {@link #scalarText(String, int)}, or {@code dflt} when absent. */
  public String scalarText(String field, int maxLength, String dflt) {
    return has(field) ? scalarText(field, maxLength) : dflt;
  }

  /** One of {@code values}, matched case-insensitively by {@code wire}; {@code dflt} when absent (required if null). */
  public <E> E choice(String field, String dflt, E[] values, Function<E, String> wire, int maxLength) {
    String v = dflt == null ? scalarText(field, maxLength) : scalarText(field, maxLength, dflt);
    for (E e : values) if (wire.apply(e).equalsIgnoreCase(v)) return e;
    List<String> names = Arrays.stream(values).map(wire).toList();
    throw problem.at(path(field), "unknown value '" + v + "'; expected one of " + names);
  }

  /** {@link #choice(String, String, Object[], Function, int)} for names of at most 200 characters. */
  public <E> E choice(String field, String dflt, E[] values, Function<E, String> wire) {
    return choice(field, dflt, values, wire, 200);
  }

  /** A whole number in {@code [min, max]}, or {@code dflt} when absent. */
  public int integer(String field, int dflt, int min, int max) {
    Integer v = optionalInteger(field, min, max);
    return v == null ? dflt : v;
  }

  /** A whole number in {@code [min, max]}, or null when absent. */
  public Integer optionalInteger(String field, int min, int max) {
    if (!has(field)) return null;
    JsonNode n = node.get(field);
    if (!n.isIntegralNumber() || !n.canConvertToInt()) throw problem.at(path(field), "expected an integer, was " + n);
    int v = n.asInt();
    if (v < min || v > max) throw problem.at(path(field), "must be between " + min + " and " + max + ", was " + v);
    return v;
  }

  /** A required whole number that fits a long. */
  public long longValue(String field) {
    JsonNode n = node(field, true);
    if (!n.isIntegralNumber() || !n.canConvertToLong()) throw problem.at(path(field), "expected an integer, was " + n);
    return n.asLong();
  }

  /** {@code true} or {@code false}, or {@code dflt} when absent. */
  public boolean bool(String field, boolean dflt) {
    if (!has(field)) return dflt;
    JsonNode n = node.get(field);
    if (!n.isBoolean()) throw problem.at(path(field), "expected true or false, was " + n);
    return n.asBoolean();
  }

  /** A finite number, or {@code dflt} when absent. */
  public double number(String field, double dflt) {
    if (!has(field)) return dflt;
    JsonNode n = node.get(field);
    if (!n.isNumber()) throw problem.at(path(field), "expected a number, was " + n);
    double v = n.asDouble();
    if (!Double.isFinite(v)) throw problem.at(path(field), "must be finite");
    return v;
  }

  private static String typeOf(JsonNode n) {
    return n == null ? "missing" : n.getNodeType().name().toLowerCase(Locale.ROOT);
  }
}
