package org.dure.agent.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.dure.crypto.SecureFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The studies this site was offered and the data officer's decisions, as files in {@code <workDir>/studies/} — the
 * only channel between {@code dure agent approve|refuse|withdraw} and the running agent (a hospital accepts no
 * inbound connection, so the agent opens no port for it):
 *
 * <ul>
 *   <li>{@code <id>.json}: the study as offered and its status, written by the agent alone;</li>
 *   <li>{@code <id>.decision.json}: a decision the officer made, written by the command line and consumed (deleted)
 *       by the agent within about a second, or at its next start.</li>
 * </ul>
 * Both are written atomically and owner-only. Decisions survive restarts: an approved study stays approved when it
 * is offered again, as long as its definition (SHA-256) is the one the officer approved.
 */
public final class StudyDecisions {
  private static final Logger log = LoggerFactory.getLogger(StudyDecisions.class);
  public static final String DIR = "studies";
  private static final String DECISION = ".decision.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Where a study stands at this site. */
  public enum Status {
    /** Passed the local policy; waits for the data officer. */
    PENDING,
    /** Approved (by the officer, or automatically under {@code "approval": "automatic"}). */
    APPROVED,
    /** Refused by the data officer. */
    REFUSED,
    /** Refused automatically: it breaks a rule of the local policy. */
    REFUSED_BY_POLICY,
    /** The data officer withdrew the site from it; nothing more is sent for it. */
    WITHDRAWN
  }

  /**
   * One study as offered to this site.
   *
   * @param rows usable rows this site would train and validate on (-1 when the data was not read)
   * @param specSha256 hex SHA-256 of the definition exactly as offered (what an approval signs)
   * @param spec the definition as offered
   * @param ended how the study ended at the coordinator ({@code COMPLETED}, {@code STOPPED} or {@code FAILED}, and the
   *     reason), once the coordinator said so; null while it runs (or when this site was not told)
   */
  public record StudyRecord(String id, String name, List<String> features, String label, String model, int rounds,
                            String privacy, long rows, String specSha256, String receivedAt, Status status, String reason,
                            String decidedAt, String spec, String ended) {
    /** A record of a study that has not ended. */
    public StudyRecord(String id, String name, List<String> features, String label, String model, int rounds,
                       String privacy, long rows, String specSha256, String receivedAt, Status status, String reason,
                       String decidedAt, String spec) {
      this(id, name, features, label, model, rounds, privacy, rows, specSha256, receivedAt, status, reason, decidedAt,
          spec, null);
    }

    public StudyRecord with(Status newStatus, String newReason) {
      return new StudyRecord(id, name, features, label, model, rounds, privacy, rows, specSha256, receivedAt, newStatus,
          newReason, Instant.now().toString(), spec, ended);
    }

    /** The same decision, for a study that ended at the coordinator ({@code status: reason}). */
    public StudyRecord withEnded(String how) {
      return new StudyRecord(id, name, features, label, model, rounds, privacy, rows, specSha256, receivedAt, status,
          reason, decidedAt, spec, how);
    }

    /** The end's status alone ({@code COMPLETED}, ...), or null while the study runs. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public String endedStatus() {
      if (ended == null) return null;
      int colon = ended.indexOf(':');
      return colon < 0 ? ended : ended.substring(0, colon);
    }
  }

  /** What the data officer decided about one study. */
  public enum Kind { APPROVE, REFUSE, WITHDRAW }

  /**
   * @param specSha256 the definition the officer saw; an approval of a definition that has since changed is void
   */
  public record Decision(String studyId, Kind kind, String reason, String specSha256, String at) {}

  private final Path dir;

  public StudyDecisions(Path workDir) {
    this.dir = workDir.resolve(DIR);
  }

  public Path directory() {
    return dir;
  }

  public synchronized Optional<StudyRecord> get(String id) {
    Path f = dir.resolve(id + ".json");
    try {
      return Optional.of(JSON.readValue(Files.readString(f), StudyRecord.class));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(unreadable(f, e));
    }
  }

  public synchronized void put(StudyRecord r) throws IOException {
    SecureFiles.writeAtomically(dir.resolve(checkedId(r.id()) + ".json"), JSON.writeValueAsString(r), true);
  }

  /** Every study offered to this site, newest first. */
  public synchronized List<StudyRecord> all() throws IOException {
    List<StudyRecord> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) return out;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
      for (Path f : files) {
        if (f.getFileName().toString().endsWith(DECISION)) continue;
        try {
          out.add(JSON.readValue(Files.readString(f), StudyRecord.class));
        } catch (IOException e) {
          throw unreadable(f, e);
        }
      }
    }
    out.sort(Comparator.comparing(StudyRecord::receivedAt).reversed());
    return out;
  }

  /** The study whose id is {@code idOrPrefix} or starts with it (unique), for the command line. */
  public StudyRecord resolve(String idOrPrefix) throws IOException {
    List<StudyRecord> matches = all().stream().filter(r -> r.id().startsWith(idOrPrefix)).toList();
    if (matches.size() == 1) return matches.get(0);
    if (matches.isEmpty()) {
      throw new IOException("no study " + idOrPrefix + " was offered to this site (see `dure agent studies`; studies are"
          + " listed once the running agent has been offered them) in " + dir);
    }
    throw new IOException(idOrPrefix + " names " + matches.size() + " studies; give more of the id");
  }

  /** Records the officer's decision for the running agent (or its next start) to act on. */
  public synchronized void request(Decision d) throws IOException {
    SecureFiles.writeAtomically(dir.resolve(checkedId(d.studyId()) + DECISION), JSON.writeValueAsString(d), true);
  }

  /** The decision waiting for the agent, if any. */
  public synchronized Optional<Decision> queued(String id) {
    try {
      return Optional.of(JSON.readValue(Files.readString(dir.resolve(id + DECISION)), Decision.class));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Takes (reads and deletes) every decision waiting for the agent, oldest first. */
  public synchronized List<Decision> take() {
    List<Decision> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) return out;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + DECISION)) {
      for (Path f : files) {
        try {
          out.add(JSON.readValue(Files.readString(f), Decision.class));
        } catch (IOException e) {
          log.warn("ignoring the unreadable decision {}: {}; make the decision again with `dure agent approve|refuse|withdraw`",
              f, e.getMessage());
        }
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      log.warn("cannot read the data officer's decisions in {}: {}", dir, e.toString());
    }
    out.sort(Comparator.comparing(Decision::at));
    return out;
  }

  /** One sentence naming the file (Jackson's own message spans lines and quotes the input). */
  private static IOException unreadable(Path f, IOException e) {
    String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.toString();
    return new IOException("cannot read the study record " + f + " (" + why.lines().findFirst().orElse("")
        + "); the running agent rewrites it at the study's next offer, or move it away", e);
  }

  private static String checkedId(String id) {
    java.util.UUID.fromString(id); // a study id is a UUID: never a path
    return id;
  }
}
