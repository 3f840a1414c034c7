package org.dure.coordinator.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.dure.coordinator.study.StudyStore;
import org.dure.coordinator.study.StudyView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, finding 12, and the stored formats: credentials and studies written before credentials had ids still
 * read and keep their owners; a name issued again gets a new id and the old record stays.
 */
class CredentialsFormatTest {
  @TempDir Path dir;

  private static final String OLD_TOKEN = "dure_0123456789ab_" + "A".repeat(43);

  /** A credentials file as written before credentials had ids (no "id" field). */
  private static String legacyFile() throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(OLD_TOKEN.getBytes(StandardCharsets.UTF_8)));
    return "[{\"name\":\"alice\",\"role\":\"RESEARCHER\",\"tokenId\":\"0123456789ab\",\"tokenSha256\":\"" + sha + "\","
        + "\"createdAt\":\"2026-01-01T00:00:00Z\",\"createdBy\":\"admin\",\"revokedAt\":null},"
        + "{\"name\":\"bob\",\"role\":\"RESEARCHER\",\"tokenId\":\"ba9876543210\",\"tokenSha256\":\"" + "0".repeat(64) + "\","
        + "\"createdAt\":\"2026-01-01T00:00:00Z\",\"createdBy\":\"admin\",\"revokedAt\":\"2026-02-01T00:00:00Z\"}]";
  }

  @Test void credentialsStoredBeforeIdsStillReadAuthenticateAndTakeTheirTokenIdAsId() throws Exception {
    Path file = Files.writeString(dir.resolve("credentials.json"), legacyFile());
    Credentials creds = Credentials.load(file);
    Caller alice = creds.authenticate(OLD_TOKEN).orElseThrow();
    assertEquals(new Caller("0123456789ab", "alice", Role.RESEARCHER, Instant.parse("2026-01-01T00:00:00Z")), alice);
    assertEquals(List.of("0123456789ab", "ba9876543210"), creds.users().stream().map(Credentials.User::id).toList());

    Credentials.Issued bob = creds.issue("bob", Role.RESEARCHER, "admin"); // bob's only credential was revoked
    assertEquals(1, bob.revokedBefore());
    Credentials reread = Credentials.load(file);
    assertEquals(3, reread.users().size(), "the revoked record is kept");
    assertEquals("ba9876543210", reread.users().get(1).id(), "an id, once assigned, does not change");
    assertFalse(reread.users().get(1).active());
    assertEquals(bob.id(), reread.users().get(2).id());
    assertNotEquals("ba9876543210", bob.id());
    assertTrue(reread.authenticate(OLD_TOKEN).isPresent(), "the legacy token still works after the file is rewritten");
    JsonNode written = StudyStore.JSON.readTree(Files.readString(file));
    assertEquals("0123456789ab", written.get(0).path("id").asText(), "ids are written out");
  }

  @Test void aNameWithAnActiveCredentialIsNotIssuedAgain() throws Exception {
    Credentials creds = Credentials.load(dir.resolve("credentials.json"));
    Credentials.Issued first = creds.issue("erin", Role.RESEARCHER, "admin");
    assertEquals(0, first.revokedBefore());
    assertThrows(IllegalStateException.class, () -> creds.issue("erin", Role.ADMIN, "admin"));
    Credentials.User revoked = creds.revoke("erin");
    assertEquals(first.id(), revoked.id());
    assertEquals(revoked, creds.revoke("erin"), "revoking again answers the revoked record");
    Credentials.Issued second = creds.issue("erin", Role.RESEARCHER, "admin");
    assertNotEquals(first.id(), second.id());
    assertTrue(creds.authenticate(first.token()).isEmpty(), "the old token does not come back with the name");
    assertEquals(second.id(), creds.authenticate(second.token()).orElseThrow().id());
  }

  /** A study stored before credentials had ids has no ownerId: its owner name's credential of that time owns it. */
  @Test void studiesStoredBeforeCredentialIdsStillReadAndAreNotInheritedByALaterCredentialOfTheName() throws Exception {
    String legacy = "{\"id\":\"6f1c2b8e-4c1e-4c9a-9d7e-0b6a3c1d2e3f\",\"name\":\"old\",\"owner\":\"alice\",\"status\":\"COMPLETED\","
        + "\"statusReason\":\"completed 3 rounds\",\"createdAt\":\"2026-03-01T00:00:00Z\",\"startedAt\":\"2026-03-01T00:00:01Z\","
        + "\"endedAt\":\"2026-03-01T00:10:00Z\",\"rounds\":3,\"completedRounds\":3,\"currentRound\":3,\"sites\":{},"
        + "\"scaling\":null,\"modelDir\":null,\"spec\":{}}";
    StudyView v = StudyStore.JSON.readValue(legacy, StudyView.class);
    assertNull(v.ownerId());
    assertEquals("alice", v.owner());
    Caller original = new Caller("0123456789ab", "alice", Role.RESEARCHER, Instant.parse("2026-01-01T00:00:00Z"));
    Caller reissued = new Caller("feedfacecafe", "alice", Role.RESEARCHER, Instant.parse("2026-04-01T00:00:00Z"));
    Caller other = new Caller("0123456789ac", "bob", Role.RESEARCHER, Instant.parse("2026-01-01T00:00:00Z"));
    assertTrue(v.ownedBy(original));
    assertFalse(v.ownedBy(reissued), "a name issued after the study was created does not inherit it");
    assertFalse(v.ownedBy(other));

    StudyView owned = StudyStore.JSON.readValue(legacy.replace("\"owner\":\"alice\",", "\"owner\":\"alice\",\"ownerId\":\"feedfacecafe\","),
        StudyView.class);
    assertTrue(owned.ownedBy(reissued));
    assertFalse(owned.ownedBy(original), "with an id, only that credential owns it");
  }
}
