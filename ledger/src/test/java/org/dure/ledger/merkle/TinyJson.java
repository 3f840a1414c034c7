package org.dure.ledger.merkle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-only reader for the small JSON vector files: objects become {@code Map<String, Object>}, arrays
 * {@code List<Object>}, integers {@code Long}, and strings {@code String} (escapes: \" \\ \/ \n \t \\uXXXX).
 * Floats, booleans and null are not needed by the vectors and are rejected.
 */
final class TinyJson {
  private final String text;
  private int pos;

  private TinyJson(String text) {
    this.text = text;
  }

  static Object parse(String text) {
    TinyJson reader = new TinyJson(text);
    Object value = reader.value();
    reader.skipSpace();
    if (reader.pos != text.length()) throw reader.error("trailing characters");
    return value;
  }

  private Object value() {
    skipSpace();
    if (pos >= text.length()) throw error("unexpected end of input");
    char c = text.charAt(pos);
    if (c == '{') return object();
    if (c == '[') return array();
    if (c == '"') return string();
    if (c == '-' || Character.isDigit(c)) return number();
    throw error("unsupported value");
  }

  private Map<String, Object> object() {
    Map<String, Object> map = new LinkedHashMap<>();
    expect('{');
    skipSpace();
    if (peek() == '}') {
      pos++;
      return map;
    }
    do {
      skipSpace();
      String key = string();
      skipSpace();
      expect(':');
      map.put(key, value());
      skipSpace();
    } while (tryConsume(','));
    expect('}');
    return map;
  }

  private List<Object> array() {
    List<Object> list = new ArrayList<>();
    expect('[');
    skipSpace();
    if (peek() == ']') {
      pos++;
      return list;
    }
    do {
      list.add(value());
      skipSpace();
    } while (tryConsume(','));
    expect(']');
    return list;
  }

  private String string() {
    expect('"');
    StringBuilder out = new StringBuilder();
    while (true) {
      if (pos >= text.length()) throw error("unterminated string");
      char c = text.charAt(pos++);
      if (c == '"') return out.toString();
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char e = text.charAt(pos++);
      switch (e) {
        case '"', '\\', '/' -> out.append(e);
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case 'u' -> {
          out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
          pos += 4;
        }
        default -> throw error("unsupported escape \\" + e);
      }
    }
  }

  private Long number() {
    int start = pos;
    if (peek() == '-') pos++;
    while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
    return Long.parseLong(text.substring(start, pos));
  }

  private void skipSpace() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private boolean tryConsume(char c) {
    if (peek() != c) return false;
    pos++;
    return true;
  }

  private void expect(char c) {
    if (!tryConsume(c)) throw error("expected '" + c + "'");
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException(what + " at offset " + pos);
  }
}
