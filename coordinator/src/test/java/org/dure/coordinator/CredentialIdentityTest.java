package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dure.coordinator.SecuredCoordinator.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, findings 10 and 12: who may stop a study, what revoking its owner does, and what a re-issued user name
 * gets. Studies are owned by the credential id they were submitted with; a revoked credential's studies stop; an
 * administrator may stop any study; the ledger names who stopped it.
 */
class CredentialIdentityTest {
  @TempDir static Path dir;
  static SecuredCoordinator c;

  @BeforeAll static void start() throws Exception {
    c = new SecuredCoordinator(dir);
  }

  @AfterAll static void stop() {
    c.close();
  }

  private static Reply issue(String name) throws Exception {
    Reply r = c.send(c.adminToken, "POST", "/api/users", "{\"name\": \"" + name + "\", \"role\": \"researcher\"}");
    assertEquals(201, r.status(), String.valueOf(r.body()));
    return r;
  }

  private static String submit(String token) throws Exception {
    Reply r = c.send(token, "POST", "/api/studies", StudyApiTest.STUDY);
    assertEquals(201, r.status(), String.valueOf(r.body()));
    return r.body().path("id").asText();
  }

  private static JsonNode study(String id) throws Exception {
    return c.send(c.auditorToken, "GET", "/api/studies/" + id, null).body();
  }

  private static JsonNode awaitStatus(String id, String status) throws Exception {
    JsonNode v = null;
    for (int i = 0; i < 100; i++) {
      v = study(id);
      if (v.path("status").asText().equals(status)) return v;
      Thread.sleep(50);
    }
    throw new AssertionError("study " + id + " is not " + status + ": " + v);
  }

  private static JsonNode endedEntry(String studyId) throws Exception {
    for (int i = 0; i < 100; i++) {
      JsonNode entries = c.send(c.auditorToken, "GET", "/api/ledger/entries?study=" + studyId + "&type=STUDY_ENDED", null).body();
      if (entries.size() > 0) return entries.get(0);
      Thread.sleep(50);
    }
    throw new AssertionError("no STUDY_ENDED entry for " + studyId);
  }

  @Test void reissuedUserNameDoesNotInheritTheRevokedCredentialsStudiesAndTheOldRecordIsKept() throws Exception {
    Reply first = issue("carol");
    String oldId = first.body().path("id").asText();
    String oldToken = first.body().path("token").asText();
    String study = submit(oldToken);
    assertEquals(oldId, study(study).path("ownerId").asText());

    Reply revoked = c.send(c.adminToken, "DELETE", "/api/users/carol", null);
    assertEquals(200, revoked.status());

    Reply second = issue("carol");
    String newId = second.body().path("id").asText();
    String newToken = second.body().path("token").asText();
    assertNotEquals(oldId, newId, "a re-issued name is a new credential");
    assertEquals(1, second.body().path("revokedBefore").asInt(), second.body().toString());
    assertTrue(second.body().path("warning").asText().contains("owns none of their studies"), second.body().toString());

    assertEquals(401, c.send(oldToken, "GET", "/api/whoami", null).status(), "the old token stays revoked");
    JsonNode me = c.send(newToken, "GET", "/api/whoami", null).body();
    assertEquals(newId, me.path("id").asText(), me.toString());
    assertEquals(0, c.send(newToken, "GET", "/api/studies", null).body().size(), "the new carol lists none of the old carol's studies");
    for (String path : List.of("", "/rounds", "/report", "/model")) {
      Reply r = c.send(newToken, "GET", "/api/studies/" + study + path, null);
      assertEquals(403, r.status(), path + ": " + r.body());
    }
    assertEquals(403, c.send(newToken, "POST", "/api/studies/" + study + "/start", null).status());

    List<JsonNode> carols = new ArrayList<>();
    for (JsonNode u : c.send(c.adminToken, "GET", "/api/users", null).body()) if (u.path("name").asText().equals("carol")) carols.add(u);
    assertEquals(2, carols.size(), "the revoked record is kept beside the new one: " + carols);
    assertEquals(oldId, carols.get(0).path("id").asText());
    assertFalse(carols.get(0).path("revokedAt").isNull(), carols.get(0).toString());
    assertEquals(newId, carols.get(1).path("id").asText());
    assertTrue(carols.get(1).path("revokedAt").isNull(), carols.get(1).toString());

    String mine = submit(newToken);
    assertEquals(newId, study(mine).path("ownerId").asText());
    assertEquals(1, c.send(newToken, "GET", "/api/studies", null).body().size());
  }

  @Test void revokingAResearcherStopsTheirStudiesThatHaveNotEndedWithTheReason() throws Exception {
    String token = issue("dave").body().path("token").asText();
    String running = submit(token);
    assertEquals(202, c.send(token, "POST", "/api/studies/" + running + "/start", null).status());
    String submitted = submit(token);
    String stoppedBefore = submit(token);
    assertEquals(200, c.send(token, "POST", "/api/studies/" + stoppedBefore + "/stop", null).status());
    String others = submit(c.aliceToken);

    Reply r = c.send(c.adminToken, "DELETE", "/api/users/dave", null);
    assertEquals(200, r.status(), String.valueOf(r.body()));
    List<String> stopped = new ArrayList<>();
    r.body().path("stoppedStudies").forEach(n -> stopped.add(n.asText()));
    assertEquals(List.of(running, submitted), stopped);

    for (String id : List.of(running, submitted)) {
      JsonNode v = awaitStatus(id, "STOPPED");
      assertTrue(v.path("statusReason").asText().contains("owner's credential (dave, id ")
          && v.path("statusReason").asText().contains("was revoked by administrator admin"), v.toString());
      JsonNode entry = endedEntry(id);
      assertEquals("admin", entry.path("actor").asText(), entry.toString());
    }
    assertEquals("SUBMITTED", study(others).path("status").asText(), "another researcher's study runs on");
  }

  @Test void anAdministratorMayStopAnyStudyAndTheLedgerNamesThem() throws Exception {
    String id = submit(c.aliceToken);
    assertEquals(202, c.send(c.aliceToken, "POST", "/api/studies/" + id + "/start", null).status());
    assertEquals(403, c.send(c.bobToken, "POST", "/api/studies/" + id + "/stop", null).status(), "not another researcher");
    assertEquals(403, c.send(c.auditorToken, "POST", "/api/studies/" + id + "/stop", null).status(), "not an auditor");

    Reply r = c.send(c.adminToken, "POST", "/api/studies/" + id + "/stop", null);
    assertEquals(200, r.status(), String.valueOf(r.body()));
    assertEquals("STOPPED", r.body().path("status").asText());
    assertEquals("stopped by administrator admin", r.body().path("statusReason").asText());
    JsonNode entry = endedEntry(id);
    assertEquals("admin", entry.path("actor").asText(), entry.toString());
    assertEquals("stopped by administrator admin", entry.path("details").path("reason").asText(), entry.toString());
    assertEquals(409, c.send(c.adminToken, "POST", "/api/studies/" + id + "/stop", null).status(), "already ended");

    String own = submit(c.aliceToken);
    c.send(c.aliceToken, "POST", "/api/studies/" + own + "/stop", null);
    assertEquals("alice", endedEntry(own).path("actor").asText(), "an owner who stops their study is named too");
  }
}
