package org.dure.ledger;

import static org.dure.ledger.Fixtures.COORDINATOR;
import static org.dure.ledger.Fixtures.details;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TreeHeadMonitorTest {
  @TempDir Path dir;

  @Test void headsThatExtendTheLastOneAreAcceptedAndRememberedAcrossRestarts() throws Exception {
    Path state = dir.resolve("site/ledger-head.json");
    TreeHeadMonitor monitor = TreeHeadMonitor.open(state, COORDINATOR.getPublic());
    try (TransparencyLog log = Fixtures.open(dir.resolve("log"))) {
      SignedTreeHead empty = log.signedTreeHead();
      monitor.accept(empty, List.of());
      long previous = 0;
      for (int study = 0; study < 3; study++) {
        Fixtures.study(log, "s" + study);
        SignedTreeHead head = log.signedTreeHead();
        monitor.accept(head, previous == 0 ? List.of() : log.consistencyProof(previous, head.size()));
        monitor.accept(head, List.of());     // seeing the same head again changes nothing
        previous = head.size();
      }
      assertEquals(log.latestTreeHead(), monitor.current());
    }

    TreeHeadMonitor reopened = TreeHeadMonitor.open(state, COORDINATOR.getPublic());

    assertEquals(monitor.current(), reopened.current());
    assertEquals(21, reopened.current().orElseThrow().size());
  }

  @Test void aForkedLogIsDetectedThroughTheConsistencyCheck() throws Exception {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    try (TransparencyLog log = Fixtures.open(a)) {
      Fixtures.study(log, "shared");       // 7 entries both histories share
    }
    Fixtures.copyLog(a, b);
    TreeHeadMonitor site = TreeHeadMonitor.open(dir.resolve("site-head.json"), COORDINATOR.getPublic());
    try (TransparencyLog shownToThisSite = Fixtures.open(a); TransparencyLog shownToOthers = Fixtures.open(b)) {
      shownToThisSite.appendAndWait(EventType.SITE_APPROVED, "s2", "hospital-a", "hospital-a", details(), null);
      shownToThisSite.appendAndWait(EventType.ROUND_STARTED, "s2", null, "coordinator", details(), null);
      site.accept(shownToThisSite.signedTreeHead(), List.of());
      shownToOthers.appendAndWait(EventType.SITE_REFUSED, "s2", "hospital-a", "hospital-a", details(), null);
      shownToOthers.appendAndWait(EventType.ROUND_ABORTED, "s2", null, "coordinator", details("reason", "x"), null);
      SignedTreeHead sameSize = shownToOthers.signedTreeHead();
      shownToOthers.appendAndWait(EventType.STUDY_ENDED, "s2", null, "coordinator", details(), null);
      SignedTreeHead larger = shownToOthers.signedTreeHead();

      LedgerException sameSizeFork = assertThrows(LedgerException.class, () -> site.accept(sameSize, List.of()));
      LedgerException extendedFork = assertThrows(LedgerException.class,
          () -> site.accept(larger, shownToOthers.consistencyProof(9, 10)));

      assertEquals(LedgerException.Reason.FORK_DETECTED, sameSizeFork.reason());
      assertTrue(sameSizeFork.getMessage().startsWith("the coordinator's log forked: the tree head of size 9"),
          sameSizeFork.getMessage());
      assertTrue(sameSizeFork.getMessage().contains("two different roots for the same size"));
      assertEquals(LedgerException.Reason.FORK_DETECTED, extendedFork.reason());
      assertTrue(extendedFork.getMessage().contains("the consistency proof does not connect them"));
      assertEquals(shownToThisSite.latestTreeHead(), site.current());
    }
  }

  @Test void aSmallerHeadIsRejectedAsARollback() throws Exception {
    TreeHeadMonitor site = TreeHeadMonitor.open(dir.resolve("head.json"), COORDINATOR.getPublic());
    try (TransparencyLog log = Fixtures.open(dir.resolve("log"))) {
      Fixtures.study(log, "s1");
      SignedTreeHead old = log.signedTreeHead();
      Fixtures.study(log, "s2");
      site.accept(log.signedTreeHead(), List.of());

      LedgerException e = assertThrows(LedgerException.class, () -> site.accept(old, List.of()));

      assertEquals(LedgerException.Reason.ROLLBACK, e.reason());
      assertTrue(e.getMessage().startsWith("the coordinator presented a tree head of size 7, smaller than the head of"
          + " size 14"), e.getMessage());
    }
  }

  @Test void headsNotSignedByTheCoordinatorAndMalformedProofsAreRejected() throws Exception {
    TreeHeadMonitor site = TreeHeadMonitor.open(dir.resolve("head.json"), COORDINATOR.getPublic());
    try (TransparencyLog log = Fixtures.open(dir.resolve("log"))) {
      Fixtures.study(log, "s1");
      site.accept(log.signedTreeHead(), List.of());
      Fixtures.study(log, "s2");
      SignedTreeHead next = log.signedTreeHead();
      SignedTreeHead forged = new SignedTreeHead(next.size(), next.rootHash(), next.timestamp(),
          LedgerSignatures.sign(SiteKeys.generateKeyPair().getPrivate(), LedgerSignatures.TREE_HEAD_DOMAIN,
              SignedTreeHead.signedBytes(next.size(), next.rootHash(), next.timestamp())));
      List<byte[]> shortProof = new ArrayList<>(log.consistencyProof(7, 14));
      shortProof.remove(0);

      assertEquals(LedgerException.Reason.BAD_SIGNATURE,
          assertThrows(LedgerException.class, () -> site.accept(forged, log.consistencyProof(7, 14))).reason());
      assertEquals(LedgerException.Reason.BAD_PROOF,
          assertThrows(LedgerException.class, () -> site.accept(next, shortProof)).reason());
      site.accept(next, log.consistencyProof(7, 14));
      assertEquals(14, site.current().orElseThrow().size());
    }
  }

  @Test void aSiteCanProveItsOwnEntryIsInTheLogAndNothingElseIs() throws Exception {
    TreeHeadMonitor site = TreeHeadMonitor.open(dir.resolve("head.json"), COORDINATOR.getPublic());
    try (TransparencyLog log = Fixtures.open(dir.resolve("log"))) {
      Fixtures.study(log, "s1");
      Appended receipt = log.appendAndWait(EventType.CONTRIBUTION_RECEIVED, "s1", "hospital-a", "hospital-a",
          details("sentSha256", "ff"), Fixtures.siteSignature("hospital-a"));
      Fixtures.study(log, "s2");
      SignedTreeHead head = log.signedTreeHead();
      site.accept(head, List.of());
      List<byte[]> proof = log.inclusionProof(receipt.index(), head.size());
      LedgerEntry altered = new LedgerEntry(receipt.index(), receipt.entry().timestamp(), receipt.entry().type(),
          "s1", "hospital-a", "hospital-a", details("sentSha256", "00"), receipt.entry().siteSignature(),
          receipt.entry().coordinatorSignature());

      site.checkInclusion(receipt.entry(), receipt.index(), proof, head);

      assertEquals(LedgerException.Reason.BAD_PROOF, assertThrows(LedgerException.class,
          () -> site.checkInclusion(receipt.entry().canonicalBytes(), receipt.index() + 1, proof, head)).reason());
      assertEquals(LedgerException.Reason.BAD_SIGNATURE, assertThrows(LedgerException.class,
          () -> site.checkInclusion(altered, receipt.index(), proof, head)).reason());
      assertEquals(LedgerException.Reason.BAD_PROOF, assertThrows(LedgerException.class,
          () -> site.checkInclusion(altered.canonicalBytes(), receipt.index(), proof, head)).reason());
    }
  }
}
