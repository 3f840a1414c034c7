package org.dure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ledger written before study ends were recorded as {@code STUDY_ENDED} (every end, completed, stopped or failed, was
 * a {@code STUDY_COMPLETED} entry) still reads, verifies, answers a filter on {@code STUDY_ENDED}, and takes new entries.
 * The fixture was written by the ledger as it stood at commit 3026975, with a throwaway test key kept beside it.
 */
class LegacyLedgerCompatibilityTest {
  static final Path FIXTURE = Path.of("src/test/resources/legacy/before-study-ended");

  @TempDir Path dir;

  private Path copy() throws IOException {
    for (String f : List.of(TransparencyLog.ENTRIES_FILE, TransparencyLog.TREE_HEADS_FILE)) {
      Files.copy(FIXTURE.resolve(f), dir.resolve(f));
    }
    return dir;
  }

  private static PublicKey publicKey() throws Exception {
    byte[] der = Base64.getDecoder().decode(Files.readString(FIXTURE.resolve("coordinator-public.b64")).trim());
    return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
  }

  private static PrivateKey privateKey() throws IOException {
    return SiteKeys.readPrivateKey(Files.readString(FIXTURE.resolve("coordinator-key.pem"), StandardCharsets.UTF_8));
  }

  @Test
  void aLedgerWrittenBeforeTheRenameVerifiesWithItsStudyCompletedEntries() throws Exception {
    VerificationReport report = LogVerifier.verify(copy(), publicKey());
    assertTrue(report.ok(), report.toString());
    List<String> types = Files.readAllLines(dir.resolve(TransparencyLog.ENTRIES_FILE)).stream()
        .map(l -> LedgerEntry.parse(l.getBytes(StandardCharsets.UTF_8)).type().name()).toList();
    assertEquals(3, types.stream().filter("STUDY_COMPLETED"::equals).count(), types.toString());
    assertTrue(types.stream().noneMatch("STUDY_ENDED"::equals), types.toString());
  }

  @Test
  void aFilterOnStudyEndedFindsTheLegacyEntriesWithTheirStatus() throws Exception {
    try (TransparencyLog log = TransparencyLog.open(copy(), privateKey(), publicKey())) {
      List<LedgerEntry> ended = log.entries(new EntryFilter(null, null, EventType.STUDY_ENDED, null, null));
      assertEquals(List.of("study-completed", "study-stopped", "study-failed"), ended.stream().map(LedgerEntry::studyId).toList());
      assertEquals("STOPPED", ended.get(1).details().path("status").asText());
      assertEquals("FAILED", ended.get(2).details().path("status").asText());
      assertEquals(3, log.entries(new EntryFilter(null, null, EventType.STUDY_COMPLETED, null, null)).size(),
          "a filter on the legacy name still finds exactly the legacy entries");
    }
  }

  @Test
  void aLegacyLedgerTakesStudyEndedEntriesAndStillVerifiesAsAWhole() throws Exception {
    Path d = copy();
    try (TransparencyLog log = TransparencyLog.open(d, privateKey(), publicKey())) {
      long before = log.size();
      log.appendAndWait(EventType.STUDY_ENDED, "study-new", null, null, Fixtures.details("status", "COMPLETED"), null);
      log.publishTreeHead().get();
      assertEquals(before + 1, log.size());
      List<LedgerEntry> mine = log.entries(new EntryFilter("study-new", null, null, null, null));
      assertEquals(List.of(EventType.STUDY_ENDED), mine.stream().map(LedgerEntry::type).toList(),
          "a new end is written as STUDY_ENDED, never under the legacy name");
    }
    VerificationReport report = LogVerifier.verify(d, publicKey());
    assertTrue(report.ok(), report.toString());
  }
}
