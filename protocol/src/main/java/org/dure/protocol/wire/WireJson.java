package org.dure.protocol.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** JSON encoding of wire messages. Unknown fields and types, duplicate keys and trailing text are errors. */
public final class WireJson {
  private static final ObjectMapper MAPPER = org.dure.json.StrictJson.configure(JsonMapper.builder())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();

  private WireJson() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static String write(Object message) {
    try {
      return MAPPER.writeValueAsString(message);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + message.getClass().getSimpleName(), e);
    }
  }

  public static AgentMessage readAgent(String json) {
    return read(json, AgentMessage.class);
  }

  public static CoordinatorMessage readCoordinator(String json) {
    return read(json, CoordinatorMessage.class);
  }

  private static <T> T read(String json, Class<T> type) {
    try {
      return MAPPER.readValue(json, type);
    } catch (ValueInstantiationException e) {
      if (e.getCause() instanceof IllegalArgumentException) {
        throw new IllegalArgumentException("malformed " + type.getSimpleName() + ": " + e.getOriginalMessage());
      }
      // a record's constructor met a missing or null value (NullPointerException from List.copyOf, Map.copyOf, ...):
      // say where, not what the JDK said about it
      throw new IllegalArgumentException("malformed " + type.getSimpleName() + ": " + where(e)
          + " lacks a required value (a field is missing or null, or a list or map holds null)");
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("malformed " + type.getSimpleName() + ": " + e.getOriginalMessage());
    }
  }

  /** The JSON path of the object that could not be built, {@code "the message"} for the message itself. */
  private static String where(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) path.append(path.isEmpty() ? "" : ".").append(r.getFieldName());
      else if (r.getIndex() >= 0) path.append('[').append(r.getIndex()).append(']');
    }
    if (path.isEmpty()) return "the message";
    return path.length() <= 200 ? path.toString() : path.substring(0, 200) + "…";
  }
}
