package org.dure.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import org.dure.ledger.merkle.MerkleTree;

/**
 * The audit of a ledger directory: recomputes the whole Merkle tree from the stored entries and checks every
 * entry and every published tree head, naming the first entry that is wrong or missing.
 *
 * <p>Checked, in order: every line of {@value TransparencyLog#ENTRIES_FILE} is complete and is an entry in
 * canonical form; the coordinator signature of each verifies; line i holds entry i (a deleted entry and two
 * reordered entries are told apart and named); timestamps never decrease; site signatures verify, when a
 * {@link SiteSignatureCheck} is given. Then every line of {@value TransparencyLog#TREE_HEADS_FILE} is a tree head
 * whose signature verifies, sizes never decrease, no head covers more entries than the file holds (a truncated
 * file names its first missing entry), and each head's root equals the root recomputed from that many entries.
 *
 * <p>Verify a copy, or a log no coordinator is writing: an append in progress can look like an incomplete line.
 */
public final class LogVerifier {
  private LogVerifier() {}

  /** Verifies the log in {@code dir} against the coordinator's ledger key, without checking site signatures. */
  public static VerificationReport verify(Path dir, PublicKey coordinatorKey) throws IOException {
    return verify(dir, coordinatorKey, null);
  }

  /**
   * Verifies the log in {@code dir} against the coordinator's ledger key; with {@code siteCheck}, also the site
   * signature of every site-signed entry.
   *
   * @throws IOException if a file cannot be read (a damaged file is reported, not thrown)
   */
  public static VerificationReport verify(Path dir, PublicKey coordinatorKey, SiteSignatureCheck siteCheck)
      throws IOException {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(coordinatorKey, "coordinatorKey");
    Path entries = dir.resolve(TransparencyLog.ENTRIES_FILE);
    if (!Files.isRegularFile(entries)) {
      return new VerificationReport(false, 0, 0, -1, dir + " holds no " + TransparencyLog.ENTRIES_FILE
          + ": it is not a ledger directory");
    }
    Finding finding = new Finding();
    MerkleTree tree = new MerkleTree();
    long good = checkEntries(entries, coordinatorKey, siteCheck, tree, finding);
    long heads = checkTreeHeads(dir.resolve(TransparencyLog.TREE_HEADS_FILE), coordinatorKey, tree, good, finding);
    if (finding.problem == null) return new VerificationReport(true, good, heads, -1, null);
    return new VerificationReport(false, good, heads, finding.index, finding.problem);
  }

  /** Checks entries until the first bad one; returns how many were good and appends them to {@code tree}. */
  private static long checkEntries(Path entries, PublicKey key, SiteSignatureCheck siteCheck, MerkleTree tree,
      Finding finding) throws IOException {
    Instant previous = null;
    try (LineScanner scanner = new LineScanner(entries, LedgerEntry.MAX_LINE_BYTES)) {
      for (LineScanner.Line line; (line = scanner.next()) != null; ) {
        long i = line.number();
        String where = "entry " + i + " (line " + (i + 1) + " of " + TransparencyLog.ENTRIES_FILE + ", byte offset "
            + line.offset() + ")";
        if (!line.terminated()) {
          finding.entry(i, where + " is incomplete: " + line.length() + " bytes without a newline; the file was cut"
              + " short, or a write was interrupted");
          return i;
        }
        if (line.tooLong()) {
          finding.entry(i, where + " is " + line.length() + " bytes long, more than any entry can be");
          return i;
        }
        LedgerEntry e;
        try {
          e = LedgerEntry.parse(line.bytes());
        } catch (IllegalArgumentException x) {
          finding.entry(i, where + " is not a valid ledger entry: " + x.getMessage());
          return i;
        }
        if (!e.verifyCoordinatorSignature(key)) {
          finding.entry(i, where + ": the coordinator signature does not verify; the entry was changed after it was"
              + " signed, or its signature was replaced");
          return i;
        }
        if (e.index() != i) {
          long at = lineHolding(entries, i);
          if (at >= 0) {
            finding.entry(i, "entry " + i + " is out of place: line " + (i + 1) + " holds entry " + e.index()
                + " and entry " + i + " is on line " + (at + 1) + "; entries were reordered");
          } else {
            finding.entry(i, "entry " + i + " is missing: line " + (i + 1) + " holds entry " + e.index()
                + " and no line holds entry " + i + "; it was deleted");
          }
          return i;
        }
        if (previous != null && e.timestamp().isBefore(previous)) {
          finding.entry(i, where + " is timestamped " + e.timestamp() + ", before entry " + (i - 1) + " ("
              + previous + "); timestamps never decrease along the log");
          return i;
        }
        if (siteCheck != null && e.siteSignature() != null && !siteSignatureHolds(siteCheck, e)) {
          finding.entry(i, where + ": the signature of site " + e.siteId() + " on this " + e.type()
              + " entry does not verify");
          return i;
        }
        tree.append(line.bytes());
        previous = e.timestamp();
      }
    }
    return tree.size();
  }

  private static long checkTreeHeads(Path heads, PublicKey key, MerkleTree tree, long good, Finding finding)
      throws IOException {
    if (!Files.isRegularFile(heads)) return 0;
    boolean entriesComplete = finding.problem == null;
    long checked = 0;
    long matchedSize = 0;
    SignedTreeHead previous = null;
    try (LineScanner scanner = new LineScanner(heads, SignedTreeHead.MAX_LINE_BYTES)) {
      for (LineScanner.Line line; (line = scanner.next()) != null; ) {
        String where = "tree head " + line.number() + " (line " + (line.number() + 1) + " of "
            + TransparencyLog.TREE_HEADS_FILE + ", byte offset " + line.offset() + ")";
        if (!line.terminated()) {
          finding.treeHead(where + " is incomplete: " + line.length() + " bytes without a newline");
          break;
        }
        SignedTreeHead head;
        try {
          if (line.tooLong()) throw new IllegalArgumentException("the line is " + line.length() + " bytes long");
          head = SignedTreeHead.parse(new String(line.bytes(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException x) {
          finding.treeHead(where + " is not a valid tree head: " + x.getMessage());
          break;
        }
        where += " of size " + head.size() + ", signed " + head.timestamp() + ",";
        if (!head.verifySignature(key)) {
          finding.treeHead(where + " has a signature that does not verify with the coordinator key: it was forged"
              + " or altered");
          break;
        }
        if (previous != null && head.size() < previous.size()) {
          finding.treeHead(where + " is smaller than the head before it (size " + previous.size() + ")");
          break;
        }
        checked++;
        previous = head;
        if (head.size() > good) {
          if (entriesComplete) {
            finding.entry(good, TransparencyLog.ENTRIES_FILE + " ends after " + good + " entries but " + where
                + " covers " + head.size() + ": entries " + good + ".." + (head.size() - 1) + " are missing (the file"
                + " was truncated, or entries were deleted from its end); entry " + good + " is the first missing");
          }
          continue;
        }
        if (!Arrays.equals(head.rootHash(), tree.root(head.size()))) {
          finding.entry(matchedSize, where + " does not match the root recomputed from entries 0.." + (head.size() - 1)
              + ": one of entries " + matchedSize + ".." + (head.size() - 1) + " was rewritten and re-signed after the"
              + " head was published (entry " + matchedSize + " is the first no earlier matching head vouches for)");
        } else {
          matchedSize = head.size();
        }
      }
    }
    return checked;
  }

  /** The 0-based line holding the entry with index {@code wanted}, or -1; reads indices only. */
  private static long lineHolding(Path entries, long wanted) throws IOException {
    try (LineScanner scanner = new LineScanner(entries, LedgerEntry.MAX_LINE_BYTES)) {
      for (LineScanner.Line line; (line = scanner.next()) != null; ) {
        try {
          JsonNode index = CanonicalJson.parse(line.bytes()).get("index");
          if (index != null && index.isIntegralNumber() && index.longValue() == wanted) return line.number();
        } catch (IllegalArgumentException ignored) {
          // not an entry: cannot be the one wanted
        }
      }
    }
    return -1;
  }

  private static boolean siteSignatureHolds(SiteSignatureCheck check, LedgerEntry entry) {
    try {
      return check.verify(entry.siteId(), entry);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The problem to report: the one naming the earliest entry, else the first one about a tree head alone. */
  private static final class Finding {
    long index = -1;
    String problem;

    void entry(long i, String text) {
      if (problem == null || index < 0 || i < index) {
        index = i;
        problem = text;
      }
    }

    void treeHead(String text) {
      if (problem == null) problem = text;
    }
  }
}
