package org.dure.protocol.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** JSON encoding of wire messages. Unknown fields and types, duplicate keys and trailing text are errors. */
public final class WireJson {
  private static final ObjectMapper MAPPER = org.dure.protocol.json.StrictJson.configure(JsonMapper.builder())
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
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("malformed " + type.getSimpleName() + ": " + e.getOriginalMessage());
    }
  }
}
