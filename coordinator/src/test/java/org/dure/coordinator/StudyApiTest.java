package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The researcher's HTTPS API on a real coordinator: answers, and errors that name what to fix. */
class StudyApiTest {
  record Reply(int status, JsonNode body) {}

  static final ObjectMapper JSON = new ObjectMapper();
  static final String STUDY = """
      {"name": "api-test", "model": {"kind": "mlp", "hiddenLayers": [8], "activation": "tanh"},
       "features": ["age", {"name": "sex", "type": "categorical", "categories": ["F", "M"]}],
       "label": {"column": "outcome", "positive": "1"}, "training": {"rounds": 3}, "minSites": 2}
      """;
  @TempDir static Path dir;
  static SecuredCoordinator c;

  @BeforeAll static void start() throws Exception {
    c = new SecuredCoordinator(dir);
  }

  @AfterAll static void stop() {
    c.close();
  }

  /** As researcher alice. */
  static Reply send(String method, String path, String body) throws Exception {
    SecuredCoordinator.Reply r = c.send(c.aliceToken, method, path, body);
    return new Reply(r.status(), r.body());
  }

  @Test void malformedJsonIsRejectedWith400NamingTheDocumentAndPosition() throws Exception {
    Reply r = send("POST", "/api/studies", "{\"name\": \"x\", ");
    assertEquals(400, r.status());
    assertEquals("$", r.body().path("field").asText());
    assertTrue(r.body().path("error").asText().contains("malformed JSON at line 1"), r.body().toString());
  }

  @Test void unknownModelKindIsRejectedWith400NamingTheFieldAndTheAllowedKinds() throws Exception {
    Reply r = send("POST", "/api/studies", STUDY.replace("\"mlp\"", "\"random_forest\""));
    assertEquals(400, r.status());
    assertEquals("model.kind", r.body().path("field").asText());
    assertEquals("model.kind: unknown value 'random_forest'; expected one of [logistic_regression, mlp]", r.body().path("error").asText());
  }

  @Test void misspeltOptionIsRejectedInsteadOfSilentlyIgnored() throws Exception {
    Reply r = send("POST", "/api/studies", STUDY.replace("\"rounds\"", "\"round\""));
    assertEquals(400, r.status());
    assertEquals("training.round", r.body().path("field").asText());
  }

  @Test void aSecureStudyWithOneSiteIsRefusedAtSubmissionNamingMinSitesAndWhatToChange() throws Exception {
    Reply r = send("POST", "/api/studies", STUDY.replace("\"minSites\": 2", "\"minSites\": 1"));
    assertEquals(400, r.status(), String.valueOf(r.body()));
    assertEquals("minSites", r.body().path("field").asText());
    String error = r.body().path("error").asText();
    assertTrue(error.contains("secure aggregation needs at least 2 sites") && error.contains("set minSites to 2 or more")
        && error.contains("privacy.secureAggregation.enabled to false"), error);
    Reply plain = send("POST", "/api/studies", STUDY.replace("\"minSites\": 2",
        "\"minSites\": 1, \"privacy\": {\"secureAggregation\": {\"enabled\": false}}"));
    assertEquals(201, plain.status(), "one site is enough without secure aggregation: " + plain.body());
  }

  @Test void aStudyWaitingForSitesSaysHowManyItNeedsWhyAndUntilWhen() throws Exception {
    String study = STUDY.replace("\"minSites\": 2", "\"minSites\": 2, \"privacy\": {\"secureAggregation\": {\"threshold\": 10}}");
    String id = send("POST", "/api/studies", study).body().path("id").asText();
    assertEquals(202, send("POST", "/api/studies/" + id + "/start", null).status());
    JsonNode v = null;
    for (int i = 0; i < 100; i++) {
      v = send("GET", "/api/studies/" + id, null).body();
      if (v.path("statusReason").asText().contains("waiting until")) break;
      Thread.sleep(50);
    }
    String reason = v.path("statusReason").asText();
    assertEquals("WAITING_FOR_SITES", v.path("status").asText(), v.toString());
    assertTrue(reason.startsWith("0 of at least 10 sites accepted (needed: privacy.secureAggregation.threshold 10)")
        && reason.contains("no site is enrolled in the consortium yet") && reason.contains("(waitForSitesSeconds 86400)"), reason);
    assertEquals(200, send("POST", "/api/studies/" + id + "/stop", null).status());
  }

  @Test void emptyBodyIsRejectedWith400() throws Exception {
    Reply r = send("POST", "/api/studies", "");
    assertEquals(400, r.status());
    assertTrue(r.body().path("error").asText().contains("empty body"));
  }

  @Test void submittedStudyIsListedReadableStartableOnceAndStoppable() throws Exception {
    Reply created = send("POST", "/api/studies", STUDY);
    assertEquals(201, created.status(), String.valueOf(created.body()));
    String id = created.body().path("id").asText();
    assertEquals("SUBMITTED", created.body().path("status").asText());

    Reply one = send("GET", "/api/studies/" + id, null);
    assertEquals(200, one.status());
    assertEquals("api-test", one.body().path("name").asText());
    assertEquals(8, one.body().path("spec").path("model").path("hiddenLayers").get(0).asInt());
    boolean listed = false;
    for (JsonNode s : send("GET", "/api/studies", null).body()) listed |= s.path("id").asText().equals(id);
    assertTrue(listed);

    Reply started = send("POST", "/api/studies/" + id + "/start", null);
    assertEquals(202, started.status());
    assertEquals("WAITING_FOR_SITES", started.body().path("status").asText());
    assertEquals(409, send("POST", "/api/studies/" + id + "/start", null).status());
    Reply model = send("GET", "/api/studies/" + id + "/model", null);
    assertEquals(404, model.status());
    assertTrue(model.body().path("error").asText().contains("has no model yet"));

    Reply stopped = send("POST", "/api/studies/" + id + "/stop", null);
    assertEquals(200, stopped.status());
    assertEquals("STOPPED", stopped.body().path("status").asText());
    assertEquals(409, send("POST", "/api/studies/" + id + "/stop", null).status());
    assertEquals(200, send("GET", "/api/studies/" + id + "/rounds", null).status());
  }

  @Test void unknownStudiesAndEndpointsAre404() throws Exception {
    assertEquals(404, send("GET", "/api/studies/00000000-0000-0000-0000-000000000000", null).status());
    assertEquals(404, send("GET", "/api/studies/not-a-uuid", null).status());
    assertEquals(404, send("GET", "/api/nothing", null).status());
  }
}
