package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.dure.coordinator.SecuredCoordinator.Reply;
import org.dure.coordinator.security.CoordinatorPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every API endpoint: no credential is 401, a role the endpoint does not admit is 403, the right role passes. */
class ApiRolesTest {
  @TempDir static Path dir;
  static SecuredCoordinator c;

  @BeforeAll static void start() throws Exception {
    c = new SecuredCoordinator(dir);
  }

  @AfterAll static void stop() {
    c.close();
  }

  enum Who { ADMIN, ALICE, BOB, AUDITOR }

  static String token(Who w) {
    return switch (w) {
      case ADMIN -> c.adminToken;
      case ALICE -> c.aliceToken;
      case BOB -> c.bobToken;
      case AUDITOR -> c.auditorToken;
    };
  }

  /** method, path ({study} = a fresh study of alice's, {user} = a fresh user), allowed caller, expected status, a refused caller (or null). */
  static Stream<Arguments> endpoints() {
    return Stream.of(
        Arguments.of("POST", "/api/studies", StudyApiTest.STUDY, Who.ALICE, 201, Who.AUDITOR),
        Arguments.of("GET", "/api/studies", null, Who.ALICE, 200, Who.ADMIN),
        Arguments.of("GET", "/api/studies", null, Who.AUDITOR, 200, null),
        Arguments.of("GET", "/api/studies/{study}", null, Who.ALICE, 200, Who.ADMIN),
        Arguments.of("GET", "/api/studies/{study}", null, Who.AUDITOR, 200, Who.BOB),
        Arguments.of("POST", "/api/studies/{study}/start", null, Who.ALICE, 202, Who.AUDITOR),
        Arguments.of("POST", "/api/studies/{study}/start", null, Who.ALICE, 202, Who.BOB),
        Arguments.of("POST", "/api/studies/{study}/stop", null, Who.ALICE, 200, Who.AUDITOR),
        Arguments.of("POST", "/api/studies/{study}/stop", null, Who.ADMIN, 200, Who.BOB),
        Arguments.of("GET", "/api/studies/{study}/rounds", null, Who.AUDITOR, 200, Who.ADMIN),
        Arguments.of("GET", "/api/studies/{study}/model", null, Who.ALICE, 404, Who.AUDITOR),
        Arguments.of("GET", "/api/studies/{study}/model/model.json", null, Who.ALICE, 404, Who.BOB),
        Arguments.of("GET", "/api/studies/{study}/report", null, Who.ALICE, 404, Who.BOB),
        Arguments.of("GET", "/api/studies/{study}/report", null, Who.AUDITOR, 404, Who.ADMIN),
        Arguments.of("GET", "/api/studies/{study}/report.html", null, Who.AUDITOR, 404, Who.BOB),
        Arguments.of("GET", "/api/sites", null, Who.ALICE, 200, null),
        Arguments.of("GET", "/api/sites", null, Who.AUDITOR, 200, null),
        Arguments.of("GET", "/api/sites", null, Who.ADMIN, 200, null),
        Arguments.of("GET", "/api/sites/register", null, Who.ADMIN, 200, Who.ALICE),
        Arguments.of("GET", "/api/sites/refusals", null, Who.AUDITOR, 200, Who.ALICE),
        Arguments.of("GET", "/api/users", null, Who.ADMIN, 200, Who.AUDITOR),
        Arguments.of("POST", "/api/users", "{\"name\": \"{user}\", \"role\": \"researcher\"}", Who.ADMIN, 201, Who.ALICE),
        Arguments.of("DELETE", "/api/users/{user}", null, Who.ADMIN, 200, Who.BOB),
        Arguments.of("GET", "/api/ledger/entries", null, Who.AUDITOR, 200, Who.ALICE),
        Arguments.of("GET", "/api/ledger/entries?study={study}&type=STUDY_SUBMITTED", null, Who.ADMIN, 200, Who.ALICE),
        Arguments.of("GET", "/api/ledger/entries/0", null, Who.AUDITOR, 200, Who.BOB),
        Arguments.of("GET", "/api/ledger/tree-head", null, Who.ADMIN, 200, Who.ALICE),
        Arguments.of("GET", "/api/ledger/consistency?from=1&to=1", null, Who.AUDITOR, 200, Who.ALICE),
        Arguments.of("GET", "/api/ledger/report?study={study}&format=csv", null, Who.AUDITOR, 200, Who.BOB),
        Arguments.of("GET", "/api/ledger/verify", null, Who.ADMIN, 200, Who.ALICE),
        Arguments.of("GET", "/api/whoami", null, Who.BOB, 200, null));
  }

  private static int users;

  @ParameterizedTest(name = "{0} {1} as {3}")
  @MethodSource("endpoints")
  void everyEndpointChecksCredentialAndRole(String method, String path, String body, Who allowed, int status, Who refused)
      throws Exception {
    String study = c.send(c.aliceToken, "POST", "/api/studies", StudyApiTest.STUDY).body().path("id").asText();
    String user = "user-" + (++users);
    if (path.contains("{user}") && method.equals("DELETE")) c.send(c.adminToken, "POST", "/api/users", "{\"name\": \"" + user + "\", \"role\": \"auditor\"}");
    if (path.contains("/stop")) c.send(c.aliceToken, "POST", "/api/studies/" + study + "/start", null);
    String p = path.replace("{study}", study).replace("{user}", user);
    String b = body == null ? null : body.replace("{user}", user);

    Reply anonymous = c.send(null, method, p, b);
    assertEquals(401, anonymous.status(), method + " " + p + " without a token");
    assertTrue(anonymous.body().path("error").asText().startsWith("no credential"), String.valueOf(anonymous.body()));
    assertEquals(401, c.send("dure_000000000000_" + "A".repeat(43), method, p, b).status(), "forged token");
    if (refused != null) {
      Reply denied = c.send(token(refused), method, p, b);
      assertEquals(403, denied.status(), method + " " + p + " as " + refused + ": " + denied.body());
      assertFalse(denied.body().path("error").asText().isBlank());
    }
    Reply ok = c.send(token(allowed), method, p, b);
    assertEquals(status, ok.status(), method + " " + p + " as " + allowed + ": " + ok.body());
    if (status == 404) assertTrue(ok.body().path("error").asText().matches(".*has no (model|validation report) yet.*"),
        String.valueOf(ok.body()));
  }

  @Test void healthIsPublicAndSaysNothingElse() throws Exception {
    Reply r = c.send(null, "GET", "/health", null);
    assertEquals(200, r.status());
    assertEquals("{\"status\":\"ok\"}", r.body().toString());
  }

  @Test void anIssuedTokenWorksAtOnceIsStoredOnlyAsAHashAndStopsWorkingWhenRevoked() throws Exception {
    Reply issued = c.send(c.adminToken, "POST", "/api/users", "{\"name\": \"carol\", \"role\": \"auditor\"}");
    assertEquals(201, issued.status(), String.valueOf(issued.body()));
    String token = issued.body().path("token").asText();
    assertTrue(token.startsWith("dure_"), token);

    assertEquals("auditor", c.send(token, "GET", "/api/whoami", null).body().path("role").asText().toLowerCase());
    String stored = Files.readString(c.admin.coordinatorDir().resolve(CoordinatorPki.CREDENTIALS));
    assertFalse(stored.contains(token.substring(18)), "the secret part of the token must never be stored");
    assertEquals(409, c.send(c.adminToken, "POST", "/api/users", "{\"name\": \"carol\", \"role\": \"researcher\"}").status());

    assertEquals(200, c.send(c.adminToken, "DELETE", "/api/users/carol", null).status());
    Reply after = c.send(token, "GET", "/api/whoami", null);
    assertEquals(401, after.status());
    assertTrue(after.body().path("error").asText().contains("revoked"), String.valueOf(after.body()));
  }

  @Test void aResearcherSeesOnlyTheirOwnStudiesAndAnAuditorSeesAll() throws Exception {
    String id = c.send(c.aliceToken, "POST", "/api/studies", StudyApiTest.STUDY).body().path("id").asText();

    assertTrue(contains(c.send(c.aliceToken, "GET", "/api/studies", null).body(), id));
    assertFalse(contains(c.send(c.bobToken, "GET", "/api/studies", null).body(), id));
    assertTrue(contains(c.send(c.auditorToken, "GET", "/api/studies", null).body(), id));
    assertEquals("alice", c.send(c.auditorToken, "GET", "/api/studies/" + id, null).body().path("owner").asText());
  }

  @Test void badUserRequestsAreRejectedNamingTheField() throws Exception {
    Reply role = c.send(c.adminToken, "POST", "/api/users", "{\"name\": \"dave\", \"role\": \"superuser\"}");
    assertEquals(400, role.status());
    assertEquals("role", role.body().path("field").asText());
    Reply name = c.send(c.adminToken, "POST", "/api/users", "{\"name\": \"Dave Smith\", \"role\": \"researcher\"}");
    assertEquals(400, name.status());
    assertEquals("name", name.body().path("field").asText());
    assertEquals(409, c.send(c.adminToken, "DELETE", "/api/users/admin", null).status(), "an administrator cannot lock themselves out");
  }

  private static boolean contains(JsonNode list, String id) {
    for (JsonNode n : list) if (n.path("id").asText().equals(id)) return true;
    return false;
  }
}
