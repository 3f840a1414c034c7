package org.dure.agent.ledger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.dure.ledger.EventType;
import org.dure.ledger.LedgerEntry;
import org.dure.ledger.SignedTreeHead;
import org.dure.ledger.TreeHeadMonitor;
import org.dure.protocol.wire.CoordinatorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's own check of the coordinator's participation ledger. For each contribution the site sent, the
 * coordinator returns a receipt; the site checks that the entry records exactly its signed contribution, that the
 * entry is included in the signed tree head, and that this head extends the last one the site accepted (consistency
 * proof). The last accepted head is kept in {@value #HEAD_FILE}, so a rewritten or forked history is detected
 * across restarts. Any failure is logged as an alarm and appended to {@value #ALARM_FILE} for the data officer.
 */
public final class ReceiptChecker {
  private static final Logger log = LoggerFactory.getLogger(ReceiptChecker.class);
  public static final String HEAD_FILE = "ledger-head.json";
  public static final String ALARM_FILE = "ledger-alarms.log";

  private final String siteId;
  private final Path workDir;
  private final Map<String, byte[]> sent = new ConcurrentHashMap<>();
  /** Per contribution sent: completed with null once its receipt checked out, or with why it did not. */
  private final Map<String, java.util.concurrent.CompletableFuture<String>> outcomes = new ConcurrentHashMap<>();
  private TreeHeadMonitor monitor;
  private PublicKey monitorKey;

  public ReceiptChecker(String siteId, Path workDir) {
    this.siteId = siteId;
    this.workDir = workDir;
  }

  /** Remembers the signature of a contribution this site sent, to match it against its receipt. */
  public void sent(String studyId, int round, byte[] signature) {
    sent.put(studyId + "/" + round, signature.clone());
    outcomes.put(studyId + "/" + round, new java.util.concurrent.CompletableFuture<>());
  }

  /**
   * Waits for the receipt of the contribution this site sent for the round. A site goes on to the next stage only
   * once its contribution is provably in the participation ledger: a contribution the coordinator used but did not
   * record would leave no trace of this site's part.
   *
   * @return empty when the receipt checked out; otherwise why not (no contribution sent, no receipt in time, or a
   *     receipt that failed its check, which is already an alarm)
   */
  public java.util.Optional<String> awaitReceipt(String studyId, int round, java.time.Duration timeout) {
    var f = outcomes.get(studyId + "/" + round);
    if (f == null) return java.util.Optional.of("this site sent no contribution for round " + round);
    try {
      return java.util.Optional.ofNullable(f.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
    } catch (java.util.concurrent.TimeoutException e) {
      return java.util.Optional.of("no ledger receipt for this site's contribution to round " + round + " within "
          + timeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.of("interrupted while waiting for the ledger receipt of round " + round);
    } catch (java.util.concurrent.ExecutionException e) {
      return java.util.Optional.of(String.valueOf(e.getCause()));
    }
  }

  /** Records a missing receipt as an alarm for the data officer (the site then stops taking part in the study). */
  public void missing(String studyId, int round, String why) {
    alarm(studyId, round, -1, why);
  }

  private void settle(CoordinatorMessage.LedgerReceipt r, String failure) {
    var f = outcomes.get(r.studyId() + "/" + r.round());
    if (f != null) f.complete(failure);
  }

  /** The size of the last tree head this site accepted (0 if none), as the coordinator needs it. */
  public synchronized long treeSize() {
    if (monitor != null) return monitor.current().map(SignedTreeHead::size).orElse(0L);
    try {
      Path f = workDir.resolve(HEAD_FILE);
      return Files.isRegularFile(f) ? SignedTreeHead.parse(Files.readString(f).strip()).size() : 0;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /**
   * Checks a receipt with the coordinator's key (from its TLS certificate on this connection).
   *
   * @return true when every check passed; false after recording the alarm
   */
  public synchronized boolean check(CoordinatorMessage.LedgerReceipt r, PublicKey coordinatorKey) {
    try {
      if (coordinatorKey == null) throw new IllegalStateException("the coordinator's key is unknown (not connected)");
      if (monitor == null || !coordinatorKey.equals(monitorKey)) {
        org.dure.crypto.SecureFiles.createOwnerOnlyDirectories(workDir);
        monitor = TreeHeadMonitor.open(workDir.resolve(HEAD_FILE), coordinatorKey);
        monitorKey = coordinatorKey;
      }
      LedgerEntry entry = LedgerEntry.parse(r.entry());
      byte[] mine = sent.get(r.studyId() + "/" + r.round());
      if (entry.type() != EventType.CONTRIBUTION_RECEIVED || !siteId.equals(entry.siteId())
          || !r.studyId().equals(entry.studyId()) || entry.details().path("round").asInt(-1) != r.round()) {
        throw new IllegalStateException("entry " + r.index() + " does not record this site's contribution to study "
            + r.studyId() + " round " + r.round());
      }
      if (mine == null || entry.siteSignature() == null
          || !java.security.MessageDigest.isEqual(mine, Base64.getDecoder().decode(entry.siteSignature()))) {
        throw new IllegalStateException("entry " + r.index() + " does not carry the signature this site sent");
      }
      if (!entry.verifyCoordinatorSignature(coordinatorKey)) {
        throw new IllegalStateException("entry " + r.index() + " is not signed by the coordinator");
      }
      SignedTreeHead head = SignedTreeHead.parse(r.treeHead());
      monitor.checkInclusion(entry, r.index(), r.inclusionProof(), head);
      long current = monitor.current().map(SignedTreeHead::size).orElse(0L);
      if (current > 0 && current < head.size() && r.consistencyFrom() != current) {
        // The coordinator proved consistency from another head than ours (e.g. a receipt crossed a reconnection):
        // the entry is included, but the history check waits for a receipt proven from our head.
        log.warn("ledger receipt for study {} round {}: consistency proven from size {}, this site last accepted {};"
            + " checking on the next receipt", r.studyId(), r.round(), r.consistencyFrom(), current);
        settle(r, null);
        return true;
      }
      monitor.accept(head, r.consistencyProof());
      log.info("ledger receipt for study {} round {}: entry {} included in tree head {} (consistent with the last one)",
          r.studyId(), r.round(), r.index(), head.size());
      settle(r, null);
      return true;
    } catch (IOException | RuntimeException e) {
      alarm(r.studyId(), r.round(), r.index(), e.getMessage());
      settle(r, "the ledger receipt failed this site's check: " + e.getMessage());
      return false;
    }
  }

  private void alarm(String studyId, int round, long index, String why) {
    String line = Instant.now() + " study " + studyId + " round " + round + (index < 0 ? "" : " entry " + index) + ": " + why;
    log.error("LEDGER ALARM: the coordinator's participation ledger failed this site's check: {}", line);
    try {
      org.dure.crypto.SecureFiles.createOwnerOnlyDirectories(workDir);
      Path alarms = workDir.resolve(ALARM_FILE);
      try (var ch = Files.newByteChannel(alarms, java.util.EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND), org.dure.crypto.SecureFiles.ownerOnlyFile(alarms))) { // owner-only from its creation
        ch.write(java.nio.ByteBuffer.wrap((line + System.lineSeparator()).getBytes(StandardCharsets.UTF_8)));
      }
    } catch (IOException e) {
      log.error("cannot record the ledger alarm in {}: {}", workDir.resolve(ALARM_FILE), e.toString());
    }
  }
}
