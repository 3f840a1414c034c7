package org.dure.agent.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.dure.crypto.SecureFiles;

/**
 * What this site has given each study, on disk ({@value #FILE}, owner-only, replaced atomically and synced) so that it
 * holds across restarts — the memory that stops a coordinator from asking twice for what it must only get once:
 * <ul>
 *   <li>the rounds whose secure-aggregation shares this site revealed: it never takes part in that round again (a
 *       second attempt without one site would give that site's update as the difference of two sums);
 *   <li>the global models (SHA-256) this site's revealed contributions were trained from: it never contributes from
 *       the same model again, under any round number;
 *   <li>the model versions it evaluated, with their SHA-256: each version is evaluated once, and another model under
 *       a version already evaluated is refused;
 *   <li>a halt: after a ledger alarm for a study (a contribution without its receipt), the site takes no further part.
 * </ul>
 * Every record is written before the message it guards leaves. Used from the agent's training thread.
 */
final class ContributionJournal {
  static final String FILE = "contributions.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final Map<String, Study> studies = new TreeMap<>();

  private static final class Study {
    final TreeSet<Integer> revealedRounds = new TreeSet<>();
    final TreeSet<String> revealedFrom = new TreeSet<>();
    final TreeMap<Integer, String> evaluated = new TreeMap<>();
    String halted;
  }

  private ContributionJournal(Path file) {
    this.file = file;
  }

  /** Opens (or starts) the journal in the agent's work directory; a damaged journal is an error, never a fresh start. */
  static ContributionJournal open(Path workDir) throws IOException {
    ContributionJournal j = new ContributionJournal(workDir.resolve(FILE));
    if (!Files.exists(j.file)) return j;
    JsonNode root;
    try {
      root = JSON.readTree(j.file.toFile());
    } catch (IOException e) {
      throw new IOException("the contribution journal " + j.file + " cannot be read (" + e.getMessage() + "); the agent"
          + " does not start without it, since it is what stops a study's round being given twice: restore it from"
          + " backup", e);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("studies").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Study s = new Study();
      e.getValue().path("revealedRounds").forEach(r -> s.revealedRounds.add(r.asInt()));
      e.getValue().path("revealedFrom").forEach(d -> s.revealedFrom.add(d.asText()));
      e.getValue().path("evaluated").fields().forEachRemaining(v -> s.evaluated.put(Integer.parseInt(v.getKey()), v.getValue().asText()));
      if (e.getValue().hasNonNull("halted")) s.halted = e.getValue().path("halted").asText();
      j.studies.put(e.getKey(), s);
    }
    return j;
  }

  private Study study(String id) {
    return studies.computeIfAbsent(id, k -> new Study());
  }

  /** Why this site must not take part in secure round {@code round} of the study again, or empty. */
  Optional<String> refusalForRound(String studyId, int round) {
    Study s = studies.get(studyId);
    if (s == null) return Optional.empty();
    if (s.halted != null) return Optional.of("this site stopped taking part in the study: " + s.halted);
    if (s.revealedRounds.contains(round)) {
      return Optional.of("this site already revealed its shares for round " + round + " and never contributes to a"
          + " round twice (a second sum without one site would give that site's update)");
    }
    return Optional.empty();
  }

  /** Why this site must not contribute from the global model with this SHA-256, or empty. */
  Optional<String> refusalForModel(String studyId, String globalSha256) {
    Study s = studies.get(studyId);
    if (s == null) return Optional.empty();
    if (s.halted != null) return Optional.of("this site stopped taking part in the study: " + s.halted);
    if (s.revealedFrom.contains(globalSha256)) {
      return Optional.of("this site already contributed an update trained from this global model (SHA-256 "
          + globalSha256.substring(0, 16) + "…) and never contributes from the same model twice");
    }
    return Optional.empty();
  }

  /** Records, before the shares leave, that this site reveals its shares for the round trained from this model. */
  void revealed(String studyId, int round, String globalSha256) throws IOException {
    Study s = study(studyId);
    s.revealedRounds.add(round);
    s.revealedFrom.add(globalSha256);
    save();
  }

  boolean revealedRound(String studyId, int round) {
    Study s = studies.get(studyId);
    return s != null && s.revealedRounds.contains(round);
  }

  /** The SHA-256 of the model evaluated under this version, or null if the version was not evaluated here. */
  String evaluated(String studyId, int version) {
    Study s = studies.get(studyId);
    return s == null ? null : s.evaluated.get(version);
  }

  void evaluatedNow(String studyId, int version, String modelSha256) throws IOException {
    study(studyId).evaluated.put(version, modelSha256);
    save();
  }

  /** Stops this site's part in the study for good (a ledger alarm); the reason is for the data officer. */
  void halt(String studyId, String reason) throws IOException {
    Study s = study(studyId);
    if (s.halted == null) s.halted = reason;
    save();
  }

  String halted(String studyId) {
    Study s = studies.get(studyId);
    return s == null ? null : s.halted;
  }

  private void save() throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", 1);
    ObjectNode all = root.putObject("studies");
    studies.forEach((id, s) -> {
      ObjectNode o = all.putObject(id);
      s.revealedRounds.forEach(o.putArray("revealedRounds")::add);
      s.revealedFrom.forEach(o.putArray("revealedFrom")::add);
      ObjectNode ev = o.putObject("evaluated");
      s.evaluated.forEach((v, d) -> ev.put(String.valueOf(v), d));
      if (s.halted != null) o.put("halted", s.halted);
    });
    SecureFiles.writeAtomically(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root), true);
  }
}
