package org.dure.ledger;

import static org.dure.ledger.Fixtures.COORDINATOR;
import static org.dure.ledger.Fixtures.details;
import static org.dure.ledger.Fixtures.entries;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The five ways of tampering with a stored log, each named by its first bad entry. */
class LogVerifierTest {
  @TempDir Path dir;
  private List<String> lines;

  @BeforeEach void writeALogOfTwoStudiesAndPublishItsHead() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      Fixtures.study(log, "s1");
      log.signedTreeHead();
      Fixtures.study(log, "s2");
      log.signedTreeHead();
    }
    lines = Fixtures.lines(entries(dir));
  }

  @Test void anUntouchedLogVerifies() throws Exception {
    VerificationReport report = LogVerifier.verify(dir, COORDINATOR.getPublic());

    assertEquals(new VerificationReport(true, 14, 2, -1, null), report);
  }

  @Test void aFlippedBitAnywhereIsNamedByTheEntryThatHoldsIt() throws Exception {
    byte[] original = Files.readAllBytes(entries(dir));
    Random random = new Random(6962);
    List<Integer> positions = new ArrayList<>(List.of(0, original.length - 1, lines.get(0).length()));
    for (int i = 0; i < 40; i++) positions.add(random.nextInt(original.length));

    for (int position : positions) {
      byte[] tampered = original.clone();
      tampered[position] ^= (byte) (1 << random.nextInt(8));
      Files.write(entries(dir), tampered);

      VerificationReport report = LogVerifier.verify(dir, COORDINATOR.getPublic());

      long expected = lineOf(original, position);
      assertFalse(report.ok(), "flip at " + position);
      assertEquals(expected, report.firstBadIndex(), "flip at byte " + position + ": " + report.problem());
      assertTrue(report.problem().startsWith("entry " + expected + " "), report.problem());
      assertEquals(expected, report.entriesChecked());
    }
  }

  @Test void aDeletedEntryIsNamedAsMissing() throws Exception {
    lines.remove(4);
    Fixtures.writeLines(entries(dir), lines);

    VerificationReport report = LogVerifier.verify(dir, COORDINATOR.getPublic());

    assertEquals(4, report.firstBadIndex());
    assertEquals("entry 4 is missing: line 5 holds entry 5 and no line holds entry 4; it was deleted", report.problem());
  }

  @Test void twoReorderedEntriesAreNamedAsOutOfPlace() throws Exception {
    String third = lines.get(2);
    lines.set(2, lines.get(9));
    lines.set(9, third);
    Fixtures.writeLines(entries(dir), lines);

    VerificationReport report = LogVerifier.verify(dir, COORDINATOR.getPublic());

    assertEquals(2, report.firstBadIndex());
    assertEquals("entry 2 is out of place: line 3 holds entry 9 and entry 2 is on line 10; entries were reordered",
        report.problem());
  }

  @Test void aFileTruncatedAtALineEndNamesTheFirstMissingEntry() throws Exception {
    Fixtures.writeLines(entries(dir), lines.subList(0, 11));

    VerificationReport report = LogVerifier.verify(dir, COORDINATOR.getPublic());

    assertEquals(11, report.firstBadIndex());
    assertEquals(11, report.entriesChecked());
    assertTrue(report.problem().startsWith("entries.jsonl ends after 11 entries but tree head 1 (line 2 of"
        + " tree-heads.jsonl, byte offset "), report.problem());
    assertTrue(report.problem().endsWith("covers 14: entries 11..13 are missing (the file was truncated, or entries"
        + " were deleted from its end); entry 11 is the first missing"), report.problem());
  }

  @Test void aFileTruncatedInsideALineNamesTheCutEntry() throws Exception {
    byte[] original = Files.readAllBytes(entries(dir));
    int cut = 0;
    for (int i = 0; i < 9; i++) cut += lines.get(i).length() + 1;
    Files.write(entries(dir), java.util.Arrays.copyOf(original, cut + 20));

    VerificationReport report = LogVerifier.verify(dir, COORDINATOR.getPublic());

    assertEquals(9, report.firstBadIndex());
    assertEquals("entry 9 (line 10 of entries.jsonl, byte offset " + cut + ") is incomplete: 20 bytes without a"
        + " newline; the file was cut short, or a write was interrupted", report.problem());
  }

  @Test void aReplacedSignatureIsNamed() throws Exception {
    LedgerEntry sixth = LedgerEntry.parse(lines.get(6));
    LedgerEntry seventh = LedgerEntry.parse(lines.get(7));
    lines.set(6, lines.get(6).replace(sixth.coordinatorSignature(), seventh.coordinatorSignature()));
    Fixtures.writeLines(entries(dir), lines);

    VerificationReport report = LogVerifier.verify(dir, COORDINATOR.getPublic());

    assertEquals(6, report.firstBadIndex());
    assertTrue(report.problem().startsWith("entry 6 (line 7 of entries.jsonl, byte offset "), report.problem());
    assertTrue(report.problem().endsWith(": the coordinator signature does not verify; the entry was changed after it"
        + " was signed, or its signature was replaced"), report.problem());
  }

  @Test void aSignatureByAnotherKeyIsNamed() throws Exception {
    LedgerEntry e = LedgerEntry.parse(lines.get(3));
    String forged = Base64.getEncoder().encodeToString(LedgerSignatures.sign(SiteKeys.generateKeyPair().getPrivate(),
        LedgerSignatures.ENTRY_DOMAIN, e.signedBytes()));
    lines.set(3, lines.get(3).replace(e.coordinatorSignature(), forged));
    Fixtures.writeLines(entries(dir), lines);

    assertEquals(3, LogVerifier.verify(dir, COORDINATOR.getPublic()).firstBadIndex());
  }

  @Test void aHistoryRewrittenWithTheCoordinatorKeyIsCaughtByTheTreeHeadsPublishedBefore() throws Exception {
    Path rewritten = dir.resolve("rewritten");
    try (TransparencyLog log = Fixtures.open(rewritten)) {
      Fixtures.study(log, "s1");
      log.appendAndWait(EventType.SITE_WITHDREW, "s2", "hospital-b", "hospital-b", details(), null);
    }
    Files.copy(Fixtures.treeHeads(dir), Fixtures.treeHeads(rewritten), StandardCopyOption.REPLACE_EXISTING);

    VerificationReport report = LogVerifier.verify(rewritten, COORDINATOR.getPublic());

    assertFalse(report.ok());
    assertEquals(0, report.firstBadIndex());
    assertTrue(report.problem().startsWith("tree head 0 (line 1 of tree-heads.jsonl, byte offset 0) of size 7"),
        report.problem());
    assertTrue(report.problem().contains("does not match the root recomputed from entries 0..6: one of entries 0..6"
        + " was rewritten and re-signed"), report.problem());
  }

  @Test void aForgedTreeHeadIsNamed() throws Exception {
    List<String> heads = Fixtures.lines(Fixtures.treeHeads(dir));
    SignedTreeHead h = SignedTreeHead.parse(heads.get(1));
    SignedTreeHead forged = new SignedTreeHead(h.size(), h.rootHash(), h.timestamp().plusSeconds(1), h.signature());
    heads.set(1, forged.toJson());
    Fixtures.writeLines(Fixtures.treeHeads(dir), heads);

    VerificationReport report = LogVerifier.verify(dir, COORDINATOR.getPublic());

    assertEquals(-1, report.firstBadIndex());
    assertEquals(14, report.entriesChecked());
    assertTrue(report.problem().startsWith("tree head 1 (line 2 of tree-heads.jsonl"), report.problem());
    assertTrue(report.problem().endsWith("has a signature that does not verify with the coordinator key: it was forged"
        + " or altered"), report.problem());
  }

  @Test void siteSignaturesAreCheckedThroughTheCallbackWhenGiven() throws Exception {
    List<String> seen = new ArrayList<>();
    SiteSignatureCheck onlyHospitalA = (siteId, entry) -> {
      seen.add(siteId + "@" + entry.index());
      return siteId.equals("hospital-a") && entry.siteSignature().equals(Fixtures.siteSignature("hospital-a"));
    };

    VerificationReport report = LogVerifier.verify(dir, COORDINATOR.getPublic(), onlyHospitalA);

    assertEquals(List.of("hospital-a@1", "hospital-b@2"), seen);
    assertEquals(2, report.firstBadIndex());
    assertTrue(report.problem().endsWith("the signature of site hospital-b on this SITE_APPROVED entry does not verify"),
        report.problem());
    assertTrue(LogVerifier.verify(dir, COORDINATOR.getPublic(), (siteId, entry) -> true).ok());
  }

  @Test void aDirectoryWithoutALogIsReportedNotThrown() throws Exception {
    VerificationReport report = LogVerifier.verify(dir.resolve("nothing"), COORDINATOR.getPublic());

    assertFalse(report.ok());
    assertTrue(report.problem().endsWith("holds no entries.jsonl: it is not a ledger directory"));
  }

  private static long lineOf(byte[] file, int position) {
    long line = 0;
    for (int i = 0; i < position; i++) if (file[i] == '\n') line++;
    return line;
  }
}
