package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.dure.protocol.logging.LogFields;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shipped Logback configurations (the launcher's and the standalone agent jar's) write text lines by default and
 * JSON lines with {@code -Ddure.log.format=json}: one object per line with the MDC fields and, for security events,
 * the stable event name and the SECURITY marker.
 */
class LogFormatTest {
  private static String logWith(Path config, String format) throws Exception {
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(((LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory()).getMDCAdapter()); // the MDC that LogFields sets
    if (format != null) ctx.putProperty("dure.log.format", format);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      JoranConfigurator j = new JoranConfigurator();
      j.setContext(ctx);
      j.doConfigure(config.toFile());
      // the configured console appender, writing here instead of to stderr
      var appenders = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
      assertTrue(appenders.hasNext(), "the configuration attaches an appender");
      ((ch.qos.logback.core.OutputStreamAppender<?>) appenders.next()).setOutputStream(out);
      org.slf4j.Logger log = ctx.getLogger("org.dure.test");
      try (var ignored = LogFields.scope("5ed4f812-89a9-46b2-822c-f9b7e29ed77d", 3, "hospital-a")) {
        log.info("round {} aggregated", 3);
        LogFields.security(log, org.slf4j.event.Level.WARN, "study.site.withdrew", null, null, "site {} withdrew", "hospital-a");
      }
    } finally {
      ctx.stop();
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"src/main/resources/logback.xml", "../site-agent/src/main/resources/dure-agent-logback.xml"})
  void textByDefaultAndJsonLinesOnRequest(String file) throws Exception {
    Path config = Path.of(file);
    String text = logWith(config, null);
    assertTrue(text.contains("INFO ") && text.contains("round 3 aggregated") && !text.startsWith("{"), text);

    String json = logWith(config, "json");
    String[] lines = json.strip().split("\n");
    assertEquals(2, lines.length, json);
    JsonNode first = TestConsortium.JSON.readTree(lines[0]);
    assertEquals("round 3 aggregated", first.path("formattedMessage").asText());
    assertEquals("INFO", first.path("level").asText());
    assertEquals("5ed4f812-89a9-46b2-822c-f9b7e29ed77d", first.path("mdc").path("study").asText());
    assertEquals("3", first.path("mdc").path("round").asText());
    assertEquals("hospital-a", first.path("mdc").path("site").asText());
    JsonNode second = TestConsortium.JSON.readTree(lines[1]);
    assertEquals("study.site.withdrew", second.path("mdc").path("event").asText());
    assertTrue(second.path("markers").toString().contains("SECURITY"), json);
    assertEquals("5ed4f812-89a9-46b2-822c-f9b7e29ed77d", second.path("mdc").path("study").asText(), "the block's fields stay");
  }
}
