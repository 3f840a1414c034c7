package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.dure.coordinator.SecuredCoordinator.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Bad input of every kind gets a JSON {@code {"error", ...}} 4xx that says what to fix, never a 500, a plain-text
 * answer or a stack trace in the coordinator's log (issue 13, finding 13).
 */
class ApiBadInputTest {
  @TempDir static Path dir;
  static SecuredCoordinator c;
  private ListAppender<ILoggingEvent> log;

  /** A study of more than 1 KB, laid out over several lines like a study.json a researcher writes. */
  static final String BIG_STUDY = "{\n  \"name\": \"readme-example\",\n"
      + "  \"model\": {\"kind\": \"mlp\", \"hiddenLayers\": [32, 16], \"activation\": \"relu\"},\n"
      + "  \"features\": [" + IntStream.range(0, 80).mapToObj(i -> "\"feature_" + i + "\"").collect(Collectors.joining(", "))
      + ",\n    {\"name\": \"sex\", \"type\": \"categorical\", \"categories\": [\"F\", \"M\"]}],\n"
      + "  \"label\": {\"column\": \"outcome\", \"positive\": \"1\"},\n"
      + "  \"missingValues\": \"impute_mean\",\n"
      + "  \"training\": {\"rounds\": 20, \"localEpochs\": 1, \"batchSize\": 32, \"learningRate\": 0.05, \"optimizer\": \"adam\"},\n"
      + "  \"minSites\": 2\n}\n";

  @BeforeAll static void start() throws Exception {
    c = new SecuredCoordinator(dir);
  }

  @AfterAll static void stop() {
    c.close();
  }

  @BeforeEach void captureLog() {
    log = new ListAppender<>();
    log.start();
    root().addAppender(log);
  }

  @AfterEach void releaseLog() {
    root().detachAppender(log);
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  /** A client's mistake is at most one WARN line, never an ERROR or a stack trace. */
  private void assertNoStackTraceLogged() {
    List<ILoggingEvent> bad = log.list.stream()
        .filter(e -> e.getLoggerName().startsWith("org.dure") || e.getLoggerName().startsWith("io.vertx"))
        .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR) || e.getThrowableProxy() != null).toList();
    assertTrue(bad.isEmpty(), "logged: " + bad);
  }

  private static String repeat(String s, int n) {
    return s.repeat(n);
  }

  /** path, body, content type (null: none), expected status, field named (or null). */
  static Stream<Arguments> badInputs() {
    String json = "application/json";
    return Stream.of(
        Arguments.of("/api/studies", "hello", json, 400, "$"),
        Arguments.of("/api/studies", "[1, 2]", json, 400, "$"),
        Arguments.of("/api/studies", "\"a string\"", json, 400, "$"),
        Arguments.of("/api/studies", "null", json, 400, "$"),
        Arguments.of("/api/studies", "42", null, 400, "$"),
        Arguments.of("/api/studies", "{\"name\": ", json, 400, "$"),
        Arguments.of("/api/studies", repeat("[", 5000) + repeat("]", 5000), json, 400, "$"),
        Arguments.of("/api/studies", StudyApiTest.STUDY.replace("\"rounds\": 3", "\"rounds\": \"ten\""), json, 400, "training.rounds"),
        Arguments.of("/api/studies", StudyApiTest.STUDY.replace("\"rounds\": 3", "\"rounds\": 1e99"), json, 400, "training.rounds"),
        Arguments.of("/api/studies", StudyApiTest.STUDY.replace("\"minSites\": 2", "\"minSites\": 1.5"), json, 400, "minSites"),
        Arguments.of("/api/studies", StudyApiTest.STUDY.replace("[8]", "[\"eight\"]"), json, 400, "model.hiddenLayers[0]"),
        Arguments.of("/api/studies", StudyApiTest.STUDY.replace("[8]", "8"), json, 400, "model.hiddenLayers"),
        Arguments.of("/api/studies", StudyApiTest.STUDY.replace("{\"kind\": \"mlp\", \"hiddenLayers\": [8], \"activation\": \"tanh\"}",
            "\"mlp\""), json, 400, "model"),
        Arguments.of("/api/studies", StudyApiTest.STUDY.replace("\"features\": [", "\"features\": {\"x\": ["), json, 400, "$"),
        Arguments.of("/api/studies", "{\"features\": {}}", json, 400, null),
        Arguments.of("/api/studies", StudyApiTest.STUDY.replace("\"age\"", "{\"name\": [1]}"), json, 400, "features[0].name"),
        Arguments.of("/api/studies", StudyApiTest.STUDY.replace("\"training\"", "\"training\": null, \"x\""), json, 400, null),
        Arguments.of("/api/studies", StudyApiTest.STUDY, "multipart/form-data; boundary=xyz", 415, null),
        Arguments.of("/api/studies", StudyApiTest.STUDY, "text/csv", 415, null),
        Arguments.of("/api/users", "[]", json, 400, "$"),
        Arguments.of("/api/users", "{\"name\": 7, \"role\": \"researcher\"}", json, 400, "name"),
        Arguments.of("/api/users", "{\"name\": \"x\", \"role\": [\"admin\"]}", json, 400, "role"),
        Arguments.of("/api/users", "{\"name\": \"Not A Name!\", \"role\": \"researcher\"}", json, 400, "name"),
        Arguments.of("/api/users", "name=x&role=admin", "application/x-www-form-urlencoded", 400, "$"));
  }

  @ParameterizedTest(name = "[{index}] {0} {2}: {1}") @MethodSource("badInputs")
  void badInputGetsAJson4xxNamingTheProblemNeverA500OrAStackTrace(String path, String body, String contentType, int status,
                                                                 String field) throws Exception {
    String token = path.startsWith("/api/users") ? c.adminToken : c.aliceToken;
    Reply r = contentType == null ? c.send(token, "POST", path, body) : c.send(token, "POST", path, body, "Content-Type", contentType);
    assertEquals(status, r.status(), String.valueOf(r.body()));
    assertNotNull(r.body(), "the answer is JSON");
    assertFalse(r.body().path("error").asText().isBlank(), r.body().toString());
    if (field != null) assertEquals(field, r.body().path("field").asText(), r.body().toString());
    assertNoStackTraceLogged();
  }

  @Test void bodyOverTheLimitIsAJson413AndNothingElse() throws Exception {
    String huge = "{\"name\": \"" + "x".repeat(2 * 1024 * 1024) + "\"}";
    Reply r = c.send(c.aliceToken, "POST", "/api/studies", huge, "Content-Type", "application/json");
    assertEquals(413, r.status());
    assertTrue(r.body().path("error").asText().contains("1048576 bytes"), r.body().toString());
    assertNoStackTraceLogged();
    Reply users = c.send(c.adminToken, "POST", "/api/users", huge, "Content-Type", "application/json");
    assertEquals(413, users.status());
    assertNotNull(users.body());
    Reply chunked = c.sendChunked(c.aliceToken, "POST", "/api/studies", huge.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "Content-Type", "application/json");
    assertEquals(413, chunked.status(), "a body without Content-Length is cut off at the limit too");
    assertNotNull(chunked.body());
    Reply small = c.sendChunked(c.aliceToken, "POST", "/api/studies", StudyApiTest.STUDY.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "Content-Type", "application/json");
    assertEquals(201, small.status(), String.valueOf(small.body()));
  }

  @Test void wrongMethodAndUnknownPathAreJson() throws Exception {
    Reply wrong = c.send(c.aliceToken, "PUT", "/api/studies", StudyApiTest.STUDY, "Content-Type", "application/json");
    assertEquals(405, wrong.status());
    assertNotNull(wrong.body());
    Reply unknown = c.send(c.aliceToken, "POST", "/api/nothing-here", "{}", "Content-Type", "application/json");
    assertEquals(404, unknown.status());
    assertNotNull(unknown.body());
    Reply noToken = c.send(null, "POST", "/api/studies", "hello", "Content-Type", "application/json");
    assertEquals(401, noToken.status());
    assertNotNull(noToken.body());
    assertNoStackTraceLogged();
  }

  /** What {@code curl -d @study.json} sends: the file without its line breaks, as a form, with no JSON content type. */
  @Test void readmeCurlExampleSubmitsAStudyOverOneKilobyte() throws Exception {
    assertTrue(BIG_STUDY.length() > 1500, "the study is over 1 KB");
    String curlData = BIG_STUDY.replace("\r", "").replace("\n", "");
    Reply r = c.send(c.aliceToken, "POST", "/api/studies", curlData, "Content-Type", "application/x-www-form-urlencoded");
    assertEquals(201, r.status(), String.valueOf(r.body()));
    assertEquals("readme-example", r.body().path("name").asText());
    Reply binary = c.send(c.aliceToken, "POST", "/api/studies", BIG_STUDY, "Content-Type", "application/json");
    assertEquals(201, binary.status(), String.valueOf(binary.body()));
    Reply none = c.send(c.aliceToken, "POST", "/api/studies", BIG_STUDY);
    assertEquals(201, none.status(), String.valueOf(none.body()));
    Reply charset = c.send(c.aliceToken, "POST", "/api/studies", BIG_STUDY, "Content-Type", "application/json; charset=utf-8");
    assertEquals(201, charset.status(), String.valueOf(charset.body()));
    assertNoStackTraceLogged();
  }
}
