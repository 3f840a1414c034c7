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
 *   <li>the rounds whose secure-aggregation shares this site revealed, with the global model (SHA-256) and the
 *       survivors of that sum: it reveals again for that round only for exactly the same survivors and model (a
 *       coordinator that restarted mid-round and reruns it), never for another set — a second sum without one site
 *       (or with one more) would give that site's update as the difference of the two;
 *   <li>so it never contributes from a model it revealed a contribution from, under another round number;
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

  /** One revealed sum: the global model it was trained from and the survivors the coordinator unmasked. */
  private record Reveal(String model, TreeSet<String> survivors) {}

  private static final class Study {
    final TreeMap<Integer, Reveal> reveals = new TreeMap<>();
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
      e.getValue().path("reveals").fields().forEachRemaining(r -> {
        TreeSet<String> survivors = new TreeSet<>();
        r.getValue().path("survivors").forEach(x -> survivors.add(x.asText()));
        s.reveals.put(Integer.parseInt(r.getKey()), new Reveal(r.getValue().path("model").asText(), survivors));
      });
      e.getValue().path("evaluated").fields().forEachRemaining(v -> s.evaluated.put(Integer.parseInt(v.getKey()), v.getValue().asText()));
      if (e.getValue().hasNonNull("halted")) s.halted = e.getValue().path("halted").asText();
      j.studies.put(e.getKey(), s);
    }
    return j;
  }

  private Study study(String id) {
    return studies.computeIfAbsent(id, k -> new Study());
  }

  /**
   * Why this site must not take part in secure round {@code round} with this roster, or empty: after revealing for
   * the round it takes part again only when every survivor of that sum is in the roster.
   */
  Optional<String> refusalForRound(String studyId, int round, java.util.Collection<String> roster) {
    Study s = studies.get(studyId);
    if (s == null) return Optional.empty();
    if (s.halted != null) return Optional.of("this site stopped taking part in the study: " + s.halted);
    Reveal r = s.reveals.get(round);
    if (r != null && !roster.containsAll(r.survivors())) {
      return Optional.of("this site already revealed its shares for round " + round + " in a sum over " + r.survivors()
          + " and reveals again for that round only for the same sites (a second sum over another set would give the"
          + " difference's updates)");
    }
    return Optional.empty();
  }

  /** Why this site must not contribute to round {@code round} from the global model with this SHA-256, or empty. */
  Optional<String> refusalForModel(String studyId, int round, String globalSha256) {
    Study s = studies.get(studyId);
    if (s == null) return Optional.empty();
    if (s.halted != null) return Optional.of("this site stopped taking part in the study: " + s.halted);
    for (Map.Entry<Integer, Reveal> e : s.reveals.entrySet()) {
      boolean sameModel = e.getValue().model().equals(globalSha256);
      if (sameModel && e.getKey() != round) {
        return Optional.of("this site already contributed an update trained from this global model (SHA-256 "
            + globalSha256.substring(0, 16) + "…) to round " + e.getKey() + " and never contributes from the same"
            + " model twice");
      }
      if (!sameModel && e.getKey() == round) {
        return Optional.of("this site already revealed its shares for round " + round + " from another global model"
            + " and takes part in that round again only from the same one");
      }
    }
    return Optional.empty();
  }

  /** Why this site must not reveal its shares for round {@code round} to these survivors, or empty. */
  Optional<String> refusalForReveal(String studyId, int round, java.util.Collection<String> survivors) {
    Study s = studies.get(studyId);
    Reveal r = s == null ? null : s.reveals.get(round);
    if (r != null && !r.survivors().equals(new TreeSet<>(survivors))) {
      return Optional.of("this site already revealed its shares for round " + round + " in a sum over " + r.survivors()
          + ", not " + new TreeSet<>(survivors) + "; the difference of the two sums would be the other sites' updates");
    }
    return Optional.empty();
  }

  /** Records, before the shares leave, that this site reveals its shares for the round to these survivors. */
  void revealed(String studyId, int round, String globalSha256, java.util.Collection<String> survivors) throws IOException {
    Study s = study(studyId);
    s.reveals.putIfAbsent(round, new Reveal(globalSha256, new TreeSet<>(survivors)));
    save();
  }

  boolean revealedRound(String studyId, int round) {
    Study s = studies.get(studyId);
    return s != null && s.reveals.containsKey(round);
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
      ObjectNode reveals = o.putObject("reveals");
      s.reveals.forEach((round, r) -> {
        ObjectNode x = reveals.putObject(String.valueOf(round)).put("model", r.model());
        r.survivors().forEach(x.putArray("survivors")::add);
      });
      ObjectNode ev = o.putObject("evaluated");
      s.evaluated.forEach((v, d) -> ev.put(String.valueOf(v), d));
      if (s.halted != null) o.put("halted", s.halted);
    });
    SecureFiles.writeAtomically(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root), true);
  }
}
