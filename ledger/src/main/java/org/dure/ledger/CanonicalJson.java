package org.dure.ledger;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * The canonical JSON of ledger entries and tree heads: object keys sorted recursively (by UTF-16 code units, as
 * in RFC 8785), no whitespace, UTF-8, numbers as Jackson writes them (integers in decimal, doubles by
 * {@link Double#toString}). Parsing is strict: duplicate keys and trailing tokens are errors.
 */
final class CanonicalJson {
  /** Deepest nesting of arrays and objects accepted inside an entry's details. */
  static final int MAX_DEPTH = 32;

  static final JsonMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private CanonicalJson() {}

  /** The canonical bytes of {@code node}. */
  static byte[] bytes(JsonNode node) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
      write(g, node, 0);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot encode as JSON: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  /** Parses one JSON document strictly. */
  static JsonNode parse(byte[] json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not valid JSON: " + firstLine(e.getMessage()), e);
    }
  }

  /**
   * A deep copy of {@code details} in the form it has after being written canonically and read back, so that it
   * encodes to the same bytes however often it is re-read (a {@code BigDecimal} 1E+3, for example, becomes the
   * double 1000.0 at once rather than on the first round trip).
   *
   * @throws IllegalArgumentException if the details hold a non-finite number, nest too deeply, or exceed
   *     {@code maxBytes} once encoded
   */
  static ObjectNode normalize(ObjectNode details, int maxBytes) {
    byte[] first = bytes(details);
    if (first.length > maxBytes) {
      throw new IllegalArgumentException("details must encode to at most " + maxBytes + " bytes of canonical JSON, were "
          + first.length + "; log hashes and counts, never data or model weights");
    }
    ObjectNode copy = (ObjectNode) parse(first);
    byte[] second = bytes(copy);
    if (!Arrays.equals(second, bytes((ObjectNode) parse(second)))) {
      throw new IllegalArgumentException("details do not survive a canonical JSON round trip; use strings, integers,"
          + " finite doubles, booleans, arrays and objects");
    }
    return copy;
  }

  private static void write(JsonGenerator g, JsonNode node, int depth) throws IOException {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException("JSON nests deeper than " + MAX_DEPTH + " levels; flatten the details");
    }
    if (node.isObject()) {
      List<String> names = new ArrayList<>(node.size());
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) names.add(it.next());
      Collections.sort(names);
      g.writeStartObject();
      for (String name : names) {
        g.writeFieldName(name);
        write(g, node.get(name), depth + 1);
      }
      g.writeEndObject();
    } else if (node.isArray()) {
      g.writeStartArray();
      for (JsonNode element : node) write(g, element, depth + 1);
      g.writeEndArray();
    } else if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
      throw new IllegalArgumentException("JSON numbers must be finite, was " + node.doubleValue());
    } else if (node.isMissingNode()) {
      throw new IllegalArgumentException("a missing node cannot be encoded; use null or leave the field out");
    } else {
      g.writeTree(node);
    }
  }

  static String firstLine(String message) {
    if (message == null) return "";
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
