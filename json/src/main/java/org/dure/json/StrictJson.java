package org.dure.json;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one way Dure reads JSON that a person or a peer wrote (study definitions, API bodies, wire messages, agent
 * configs, policies): a key given twice is an error naming the key (Jackson's default keeps the last one silently),
 * and text after the document is an error naming where it starts (the default ignores it) — either could make a file
 * mean something other than what its reader saw.
 */
public final class StrictJson {
  private static final ObjectMapper MAPPER = configure(JsonMapper.builder()).build();

  private StrictJson() {}

  /** Adds the strict-reading features to a mapper being built (for mappers that need more features). */
  public static JsonMapper.Builder configure(JsonMapper.Builder b) {
    return b.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /** The shared strict mapper (thread-safe). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Parses a document.
   *
   * @throws MalformedJsonException with one plain sentence: what is wrong, and the line and column
   */
  public static JsonNode read(String json) throws MalformedJsonException {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new MalformedJsonException(describe(e), e);
    }
  }

  /** Parses a file; an unreadable file is an {@link IOException}, bad JSON a {@link MalformedJsonException}. */
  public static JsonNode read(Path file) throws IOException {
    String text = Files.readString(file);
    return read(text);
  }

  /** One sentence for a parse error: a duplicate key, trailing text, or Jackson's own message; with line and column. */
  public static String describe(JsonProcessingException e) {
    String msg = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
    var at = e.getLocation(); // null when a read constraint (nesting depth, lengths) was exceeded
    String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    if (msg.startsWith("Duplicate field '")) {
      String key = msg.substring("Duplicate field '".length(), msg.indexOf('\'', "Duplicate field '".length()));
      return "the key \"" + key + "\" appears twice in one object" + where + " (each key may be given once)";
    }
    if (msg.startsWith("Trailing token")) {
      return "unexpected text after the end of the JSON document" + where + " (a file holds exactly one JSON value)";
    }
    return "malformed JSON" + where + ": " + msg;
  }

  /** Bad JSON, with a message fit for the person who wrote it. */
  public static final class MalformedJsonException extends JsonParseException {
    MalformedJsonException(String message, JsonProcessingException cause) {
      super(null, message, cause.getLocation(), cause);
    }

    @Override public String getMessage() {
      return getOriginalMessage();
    }
  }
}
