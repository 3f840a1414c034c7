package org.dure.ledger;

import static org.dure.ledger.Fixtures.COORDINATOR;
import static org.dure.ledger.Fixtures.details;
import static org.dure.ledger.Fixtures.entries;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.dure.ledger.merkle.MerkleProofs;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransparencyLogTest {
  @TempDir Path dir;

  @Test void appendedEntriesReadBackSignedAndInclusionProvenUnderTheTreeHead() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      Fixtures.study(log, "s1");

      SignedTreeHead head = log.signedTreeHead();

      assertEquals(7, log.size());
      assertEquals(7, head.size());
      assertTrue(head.verifySignature(COORDINATOR.getPublic()));
      for (long i = 0; i < 7; i++) {
        LedgerEntry e = log.entry(i);
        assertEquals(i, e.index());
        assertTrue(e.verifyCoordinatorSignature(COORDINATOR.getPublic()), "entry " + i);
        MerkleProofs.verifyInclusion(e.leafHash(), i, head.size(), log.inclusionProof(i, head.size()), head.rootHash());
      }
      assertEquals(EventType.SITE_APPROVED, log.entry(1).type());
      assertEquals(0.5, log.entry(5).details().get("epsilonSpent").get("hospital-b").doubleValue());
    }
  }

  @Test void anEntryIsInTheFileWhenItsFutureCompletes() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      Appended a = log.append(EventType.SITE_ENROLLED, null, "hospital-a", "admin", details(), null).get();

      List<String> lines = Fixtures.lines(entries(dir));

      assertEquals(List.of(a.entry().toJson()), lines);
      assertEquals(0, a.index());
    }
  }

  @Test void aTreeHeadIsPublishedOncePerSizeAndCoversEverythingAppendedBeforeIt() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      SignedTreeHead empty = log.signedTreeHead();
      log.appendAndWait(EventType.SITE_ENROLLED, null, "hospital-a", "admin", details(), null);
      log.append(EventType.SITE_ENROLLED, null, "hospital-b", "admin", details(), null);   // not awaited

      SignedTreeHead first = log.signedTreeHead();
      SignedTreeHead again = log.signedTreeHead();

      assertEquals(0, empty.size());
      assertEquals(2, first.size());
      assertEquals(first, again);
      assertEquals(2, Fixtures.lines(Fixtures.treeHeads(dir)).size());
      assertEquals(first, log.latestTreeHead().orElseThrow());
      assertFalse(first.timestamp().isBefore(log.entry(1).timestamp()));
    }
  }

  @Test void reopeningRebuildsTheSameRootAndProofsAndContinuesTheIndices() throws Exception {
    SignedTreeHead before;
    List<List<byte[]>> proofs = new ArrayList<>();
    List<byte[]> consistency;
    try (TransparencyLog log = Fixtures.open(dir)) {
      for (int i = 0; i < 3; i++) Fixtures.study(log, "s" + i);
      before = log.signedTreeHead();
      for (long i = 0; i < before.size(); i++) proofs.add(log.inclusionProof(i, before.size()));
      consistency = log.consistencyProof(5, before.size());
    }

    try (TransparencyLog log = Fixtures.open(dir)) {
      assertEquals(21, log.size());
      assertEquals(before, log.latestTreeHead().orElseThrow());
      assertEquals(before, log.signedTreeHead());   // same size: the published head, not a new one
      for (long i = 0; i < before.size(); i++) assertProofEquals(proofs.get((int) i), log.inclusionProof(i, 21));
      assertProofEquals(consistency, log.consistencyProof(5, 21));

      Appended next = log.appendAndWait(EventType.SITE_REVOKED, null, "hospital-a", "admin", details(), null);
      SignedTreeHead after = log.signedTreeHead();

      assertEquals(21, next.index());
      assertFalse(next.entry().timestamp().isBefore(before.timestamp()));
      MerkleProofs.verifyConsistency(21, 22, before.rootHash(), after.rootHash(), log.consistencyProof(21, 22));
    }
    assertTrue(LogVerifier.verify(dir, COORDINATOR.getPublic()).ok());
  }

  @Test void concurrentAppendersGetUniqueConsecutiveIndicesAndEveryEntryIsDurable() throws Exception {
    int threads = 8;
    int each = 40;
    ConcurrentLinkedQueue<Appended> done = new ConcurrentLinkedQueue<>();
    try (TransparencyLog log = Fixtures.open(dir)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String site = "hospital-" + t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            done.add(log.appendAndWait(EventType.CONTRIBUTION_RECEIVED, "s1", site, site, details("n", "" + i), null));
          }
          return null;
        }));
      }
      for (Future<?> f : futures) f.get();
      pool.shutdown();
    }

    Set<Long> indices = new HashSet<>();
    for (Appended a : done) indices.add(a.index());
    assertEquals(threads * each, indices.size());
    assertEquals(0L, indices.stream().mapToLong(Long::longValue).min().orElseThrow());
    assertEquals(threads * each - 1L, indices.stream().mapToLong(Long::longValue).max().orElseThrow());
    try (TransparencyLog log = Fixtures.open(dir)) {
      assertEquals(threads * each, log.size());
      for (Appended a : done) assertEquals(a.entry(), log.entry(a.index()));
    }
    assertTrue(LogVerifier.verify(dir, COORDINATOR.getPublic()).ok());
  }

  @Test void syncingEveryEntryOnItsOwnLogsTheSameWay() throws Exception {
    TransparencyLog.Options perEntry = TransparencyLog.Options.defaults().withMaxBatch(1).withSigningThreads(1);
    try (TransparencyLog log = TransparencyLog.open(dir, COORDINATOR.getPrivate(), COORDINATOR.getPublic(), perEntry)) {
      List<CompletableFuture<Appended>> futures = new ArrayList<>();
      for (int i = 0; i < 20; i++) futures.add(log.append(EventType.SITE_DROPPED, "s1", "hospital-a", null, details(), null));
      for (int i = 0; i < 20; i++) assertEquals(i, futures.get(i).get().index());
    }
    assertTrue(LogVerifier.verify(dir, COORDINATOR.getPublic()).ok());
  }

  @Test void filtersSelectByStudySiteTypeAndTimeRange() throws Exception {
    Instant t0 = Instant.parse("2025-05-01T00:00:00Z");
    Fixtures.ManualClock clock = new Fixtures.ManualClock(t0);
    try (TransparencyLog log = Fixtures.open(dir, clock)) {
      Fixtures.study(log, "s1");                         // 7 entries at t0
      clock.advance(Duration.ofHours(1));
      Fixtures.study(log, "s2");                         // 7 entries at t0 + 1h
      clock.advance(Duration.ofHours(1));
      log.appendAndWait(EventType.SITE_REVOKED, null, "hospital-a", "admin", details(), null);   // t0 + 2h

      assertEquals(15, log.entries(EntryFilter.all()).size());
      assertEquals(7, log.entries(EntryFilter.study("s2")).size());
      assertTrue(log.entries(EntryFilter.study("s2")).stream().allMatch(e -> e.studyId().equals("s2")));
      assertEquals(List.of(1L, 4L, 8L, 11L, 14L),
          log.entries(EntryFilter.site("hospital-a")).stream().map(LedgerEntry::index).toList());
      assertEquals(List.of(8L), log.entries(new EntryFilter("s2", "hospital-a", EventType.SITE_APPROVED, null, null))
          .stream().map(LedgerEntry::index).toList());
      assertEquals(7, log.entries(new EntryFilter(null, null, null, t0.plusSeconds(1), t0.plus(Duration.ofHours(2))))
          .size());
      assertEquals(List.of(14L), log.entries(new EntryFilter(null, null, null, t0.plus(Duration.ofHours(2)), null))
          .stream().map(LedgerEntry::index).toList());
      assertEquals(7, log.entries(new EntryFilter(null, null, null, null, t0.plusMillis(1))).size());
    }
  }

  @Test void timestampsNeverGoBackwardsWhenTheClockDoes() throws Exception {
    Fixtures.ManualClock clock = new Fixtures.ManualClock(Instant.parse("2025-05-01T12:00:00Z"));
    try (TransparencyLog log = Fixtures.open(dir, clock)) {
      Appended first = log.appendAndWait(EventType.SITE_ENROLLED, null, "a", null, details(), null);
      clock.set(Instant.parse("2025-05-01T11:00:00Z"));
      Appended second = log.appendAndWait(EventType.SITE_ENROLLED, null, "b", null, details(), null);

      assertEquals(first.entry().timestamp(), second.entry().timestamp());
    }
  }

  @Test void aTornLastLineIsRefusedWithItsOffsetAndRepairRemovesOnlyThatLine() throws Exception {
    SignedTreeHead head;
    try (TransparencyLog log = Fixtures.open(dir)) {
      Fixtures.study(log, "s1");
      head = log.signedTreeHead();
    }
    long goodSize = Files.size(entries(dir));
    Files.writeString(entries(dir), "{\"actor\":\"coordinator\",\"coordinatorSig", StandardOpenOption.APPEND);

    LedgerException e = assertThrows(LedgerException.class, () -> Fixtures.open(dir));

    assertEquals(LedgerException.Reason.TORN_TAIL, e.reason());
    assertTrue(e.getMessage().contains("incomplete line 8 at byte offset " + goodSize + " (38 bytes without a newline)"),
        e.getMessage());
    assertTrue(e.getMessage().contains("TransparencyLog.repairTornTail(" + dir + ")"), e.getMessage());
    assertEquals(38, TransparencyLog.repairTornTail(dir));
    assertEquals(goodSize, Files.size(entries(dir)));
    assertEquals(0, TransparencyLog.repairTornTail(dir));
    try (TransparencyLog log = Fixtures.open(dir)) {
      assertEquals(head, log.latestTreeHead().orElseThrow());
      assertEquals(7, log.appendAndWait(EventType.STUDY_SUBMITTED, "s2", null, "r", details(), null).index());
    }
  }

  @Test void aTornTreeHeadLineIsRepairedTheSameWay() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      Fixtures.study(log, "s1");
      log.signedTreeHead();
    }
    Files.writeString(Fixtures.treeHeads(dir), "{\"rootHash\":\"", StandardOpenOption.APPEND);

    assertEquals(LedgerException.Reason.TORN_TAIL, assertThrows(LedgerException.class, () -> Fixtures.open(dir)).reason());
    assertEquals(13, TransparencyLog.repairTornTail(dir));
    Fixtures.open(dir).close();
  }

  @Test void aCompleteButDamagedLineIsNotRepairedAndTheLogRefusesToOpen() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      Fixtures.study(log, "s1");
    }
    long offset = Files.size(entries(dir));
    Files.writeString(entries(dir), "not json\n", StandardOpenOption.APPEND);

    LedgerException e = assertThrows(LedgerException.class, () -> Fixtures.open(dir));

    assertEquals(LedgerException.Reason.CORRUPT_LOG, e.reason());
    assertTrue(e.getMessage().startsWith("line 8 (byte offset " + offset + ") of " + entries(dir)
        + " is not a valid ledger entry: not valid JSON"), e.getMessage());
    assertEquals(0, TransparencyLog.repairTornTail(dir));
  }

  @Test void aLogWhoseHeadsCoverMoreEntriesThanItHoldsRefusesToOpen() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      Fixtures.study(log, "s1");
      log.signedTreeHead();
    }
    List<String> lines = Fixtures.lines(entries(dir));
    Fixtures.writeLines(entries(dir), lines.subList(0, 5));

    LedgerException e = assertThrows(LedgerException.class, () -> Fixtures.open(dir));

    assertEquals(LedgerException.Reason.CORRUPT_LOG, e.reason());
    assertTrue(e.getMessage().contains("covers 7 entries but " + entries(dir) + " holds only 5: entries 5..6 were lost"),
        e.getMessage());
  }

  @Test void openingWithAnotherKeyPairIsRefused() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      Fixtures.study(log, "s1");
    }
    KeyPair other = SiteKeys.generateKeyPair();

    LedgerException wrong = assertThrows(LedgerException.class,
        () -> TransparencyLog.open(dir, other.getPrivate(), other.getPublic()));
    IllegalArgumentException mismatched = assertThrows(IllegalArgumentException.class,
        () -> TransparencyLog.open(dir, other.getPrivate(), COORDINATOR.getPublic()));

    assertEquals(LedgerException.Reason.WRONG_KEY, wrong.reason());
    assertTrue(mismatched.getMessage().startsWith("signingKey is not the private key of publicKey"));
  }

  @Test void oneDirectoryCanBeOpenByOneLogAtATime() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      LedgerException e = assertThrows(LedgerException.class, () -> Fixtures.open(dir));
      assertEquals(LedgerException.Reason.LOCKED, e.reason());
      assertEquals(LedgerException.Reason.LOCKED,
          assertThrows(LedgerException.class, () -> TransparencyLog.repairTornTail(dir)).reason());
      assertEquals(0, log.appendAndWait(EventType.SITE_ENROLLED, null, "a", null, details(), null).index());
    }
    try (TransparencyLog reopened = Fixtures.open(dir)) {
      assertEquals(1, reopened.size());
    }
  }

  @Test void appendsAfterCloseFailAsClosed() throws Exception {
    TransparencyLog log = Fixtures.open(dir);
    log.close();

    CompletableFuture<Appended> f = log.append(EventType.SITE_ENROLLED, null, "a", null, details(), null);
    LedgerException e = assertThrows(LedgerException.class,
        () -> log.appendAndWait(EventType.SITE_ENROLLED, null, "a", null, details(), null));

    assertInstanceOf(LedgerException.class, assertThrows(CompletionException.class, f::join).getCause());
    assertEquals(LedgerException.Reason.CLOSED, e.reason());
  }

  @Test void waitingOnTheLogFromItsOwnWriterThreadIsRefusedInsteadOfDeadlocking() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      // A stage registered after the append completed runs on this thread instead; try until one runs on the writer.
      for (int attempt = 0; attempt < 200; attempt++) {
        CompletableFuture<Appended> nested = new CompletableFuture<>();
        log.append(EventType.SITE_ENROLLED, null, "a" + attempt, null, details(), null).thenAccept(a -> {
          if (!Thread.currentThread().getName().equals("dure-ledger-writer")) {
            nested.cancel(false);
            return;
          }
          try {
            nested.complete(log.appendAndWait(EventType.SITE_ENROLLED, null, "b", null, details(), null));
          } catch (RuntimeException e) {
            nested.completeExceptionally(e);
          }
        });
        try {
          nested.join();
        } catch (java.util.concurrent.CancellationException notOnTheWriter) {
          continue;
        } catch (CompletionException e) {
          assertInstanceOf(IllegalStateException.class, e.getCause());
          return;
        }
        fail("appendAndWait on the writer thread returned instead of refusing");
      }
      fail("no append completed on the writer thread in 200 attempts");
    }
  }

  @Test void proofRequestsOutsideTheLogAreRejectedWithTheValidRange() throws Exception {
    try (TransparencyLog log = Fixtures.open(dir)) {
      Fixtures.study(log, "s1");

      assertEquals("treeSize must be in [1, 7] (entries on disk), was 8",
          assertThrows(IllegalArgumentException.class, () -> log.inclusionProof(0, 8)).getMessage());
      assertEquals("index must be in [0, 3), was 3",
          assertThrows(IllegalArgumentException.class, () -> log.inclusionProof(3, 3)).getMessage());
      assertTrue(assertThrows(IllegalArgumentException.class, () -> log.consistencyProof(0, 7)).getMessage()
          .startsWith("size1 must be in [1, 7], was 0"));
      assertEquals("index must be in [0, 7), was 7",
          assertThrows(IllegalArgumentException.class, () -> log.entry(7)).getMessage());
    }
  }

  @Test void theFileHoldsExactlyTheCanonicalEntriesOnePerLine() throws Exception {
    List<LedgerEntry> appended = new ArrayList<>();
    try (TransparencyLog log = Fixtures.open(dir)) {
      for (int i = 0; i < 3; i++) {
        appended.add(log.appendAndWait(EventType.CREDENTIAL_ISSUED, null, null, "admin", details("role", "auditor"),
            null).entry());
      }
    }
    byte[] file = Files.readAllBytes(entries(dir));
    StringBuilder expected = new StringBuilder();
    for (LedgerEntry e : appended) expected.append(e.toJson()).append('\n');

    assertArrayEquals(expected.toString().getBytes(StandardCharsets.UTF_8), file);
    assertSame(EventType.CREDENTIAL_ISSUED, LedgerEntry.parse(Fixtures.lines(entries(dir)).get(2)).type());
  }

  private static void assertProofEquals(List<byte[]> expected, List<byte[]> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) assertArrayEquals(expected.get(i), actual.get(i), "hash " + i);
  }
}
