package org.dure.ledger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import org.dure.crypto.pki.SiteKeys;

/** Keys, clocks and file surgery shared by the ledger tests. */
final class Fixtures {
  static final KeyPair COORDINATOR = SiteKeys.generateKeyPair();

  private Fixtures() {}

  static TransparencyLog open(Path dir) throws IOException {
    return TransparencyLog.open(dir, COORDINATOR.getPrivate(), COORDINATOR.getPublic());
  }

  static TransparencyLog open(Path dir, Clock clock) throws IOException {
    return TransparencyLog.open(dir, COORDINATOR.getPrivate(), COORDINATOR.getPublic(),
        TransparencyLog.Options.defaults().withClock(clock));
  }

  /** An object of alternating keys and string values. */
  static ObjectNode details(String... keysAndValues) {
    ObjectNode o = CanonicalJson.NODES.objectNode();
    for (int i = 0; i < keysAndValues.length; i += 2) o.put(keysAndValues[i], keysAndValues[i + 1]);
    return o;
  }

  /** A small, realistic study: submitted, two sites approve (site-signed), one round, committed, completed. */
  static void study(TransparencyLog log, String studyId) {
    log.appendAndWait(EventType.STUDY_SUBMITTED, studyId, null, "researcher",
        details("planSha256", "aa11", "privacyPlanSha256", "bb22"), null);
    log.appendAndWait(EventType.SITE_APPROVED, studyId, "hospital-a", "hospital-a", details("studySha256", "aa11"),
        siteSignature("hospital-a"));
    log.appendAndWait(EventType.SITE_APPROVED, studyId, "hospital-b", "hospital-b", details("studySha256", "aa11"),
        siteSignature("hospital-b"));
    ObjectNode round = details("modelSha256", "cc33");
    round.putArray("participants").add("hospital-a").add("hospital-b");
    round.put("round", 1);
    log.appendAndWait(EventType.ROUND_STARTED, studyId, null, "coordinator", round, null);
    log.appendAndWait(EventType.CONTRIBUTION_RECEIVED, studyId, "hospital-a", "hospital-a",
        details("sentSha256", "dd44"), null);
    ObjectNode commit = details("modelSha256", "ee55");
    commit.putObject("epsilonSpent").put("hospital-a", 0.25).put("hospital-b", 0.5);
    log.appendAndWait(EventType.AGGREGATE_COMMITTED, studyId, null, "coordinator", commit, null);
    log.appendAndWait(EventType.STUDY_ENDED, studyId, null, "coordinator", details(), null);
  }

  /** A stand-in for a site's signature: base64 of "signed by SITE" (real ones are checked by a callback). */
  static String siteSignature(String siteId) {
    return Base64.getEncoder().encodeToString(("signed by " + siteId).getBytes(StandardCharsets.UTF_8));
  }

  static List<String> lines(Path file) throws IOException {
    return Files.readAllLines(file, StandardCharsets.UTF_8);
  }

  static void writeLines(Path file, List<String> lines) throws IOException {
    StringBuilder s = new StringBuilder();
    for (String line : lines) s.append(line).append('\n');
    Files.writeString(file, s.toString(), StandardCharsets.UTF_8);
  }

  static Path entries(Path dir) {
    return dir.resolve(TransparencyLog.ENTRIES_FILE);
  }

  static Path treeHeads(Path dir) {
    return dir.resolve(TransparencyLog.TREE_HEADS_FILE);
  }

  /** Copies a closed log's two files into another directory. */
  static void copyLog(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (String name : List.of(TransparencyLog.ENTRIES_FILE, TransparencyLog.TREE_HEADS_FILE)) {
      Files.copy(from.resolve(name), to.resolve(name));
    }
  }

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    private volatile Instant now;

    ManualClock(Instant start) {
      this.now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    void set(Instant t) {
      now = t;
    }

    @Override public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override public Instant instant() {
      return now;
    }
  }
}
