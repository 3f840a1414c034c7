package org.dure.agent.privacy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map.Entry;
import java.util.Map;
import org.dure.crypto.SecureFiles;
import org.dure.protocol.privacy.RdpAccountant;

/**
 * The privacy budget this site has spent, per study and in total, and the data officer's caps. For each study the
 * site's DP-SGD steps are accounted with the RDP accountant for the sampled Gaussian mechanism (Opacus series),
 * composed over every local step of every round; studies compose by adding their ε (basic composition, a valid
 * upper bound for the total). Kept in {@value #FILE} in the agent's work directory, written atomically after every
 * round, so a restart never forgets what was spent.
 *
 * <p>A study without differential privacy has ε = ∞: when the data officer set a cap, such a study is refused.
 */
public final class PrivacyBudget {
  public static final String FILE = "privacy-budget.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The data officer's caps; null means no cap. */
  public record Caps(Double maxEpsilonPerStudy, Double maxEpsilonTotal) {
    public Caps {
      if (maxEpsilonPerStudy != null && !(maxEpsilonPerStudy > 0)) throw new IllegalArgumentException("maxEpsilonPerStudy must be > 0");
      if (maxEpsilonTotal != null && !(maxEpsilonTotal > 0)) throw new IllegalArgumentException("maxEpsilonTotal must be > 0");
    }

    public static Caps none() {
      return new Caps(null, null);
    }

    public boolean any() {
      return maxEpsilonPerStudy != null || maxEpsilonTotal != null;
    }
  }

  /** One study's DP-SGD as this site runs it. */
  public record Mechanism(double samplingRate, double noiseMultiplier, double delta) {}

  /** What a study has spent here: its mechanism, the noisy steps taken so far and the resulting ε. */
  public record Spent(double samplingRate, double noiseMultiplier, double delta, long steps, double epsilon) {}

  private final Path file;
  private final Caps caps;
  private final RdpAccountant accountant = RdpAccountant.opacusDefaults();
  private final Map<String, Spent> studies = new LinkedHashMap<>();

  private PrivacyBudget(Path file, Caps caps) {
    this.file = file;
    this.caps = caps;
  }

  public static PrivacyBudget open(Path workDir, Caps caps) throws IOException {
    PrivacyBudget b = new PrivacyBudget(workDir.resolve(FILE), caps);
    if (Files.isRegularFile(b.file)) {
      // A budget that cannot be read is never taken as "nothing spent": the agent does not start (issue 18, faults).
      try {
        com.fasterxml.jackson.databind.JsonNode root = JSON.readTree(b.file.toFile());
        if (root == null || !root.isObject() || !root.path("studies").isObject()) {
          throw new IOException("it is not a JSON object with \"studies\"");
        }
        for (Iterator<Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = root.path("studies").fields(); it.hasNext(); ) {
          var e = it.next();
          b.studies.put(e.getKey(), JSON.treeToValue(e.getValue(), Spent.class));
        }
      } catch (IOException | RuntimeException e) {
        String where = e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null
            && j.getLocation().getLineNr() > 0 ? " at line " + j.getLocation().getLineNr() : "";
        String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        throw new IOException("the privacy-budget file " + b.file + " cannot be read" + where + " (" + why + "); the agent"
            + " does not start rather than forget the privacy this site already spent: restore the file from a backup"
            + " (or, if this site never ran a study with differential privacy, move it aside)", e);
      }
    }
    return b;
  }

  public Caps caps() {
    return caps;
  }

  /** ε this study has spent so far (0 if none). */
  public synchronized double spent(String studyId) {
    Spent s = studies.get(studyId);
    return s == null ? 0 : s.epsilon();
  }

  /** Noisy steps this study has taken here (0 if none). */
  public synchronized long steps(String studyId) {
    Spent s = studies.get(studyId);
    return s == null ? 0 : s.steps();
  }

  /** ε spent per study so far, by study id (for the agent's metrics). */
  public synchronized Map<String, Double> spentByStudy() {
    Map<String, Double> out = new LinkedHashMap<>();
    studies.forEach((k, v) -> out.put(k, v.epsilon()));
    return out;
  }

  /** ε spent over every study. */
  public synchronized double total() {
    return studies.values().stream().mapToDouble(Spent::epsilon).sum();
  }

  /** ε of {@code steps} steps of the mechanism. */
  public double epsilon(Mechanism m, long steps) {
    return steps == 0 ? 0 : accountant.privacySpent(m.samplingRate(), m.noiseMultiplier(), steps, m.delta()).epsilon();
  }

  /** The σ that keeps {@code steps} steps at rate q within (ε, δ). */
  public double noiseFor(double targetEpsilon, double delta, double samplingRate, long steps) {
    return accountant.noiseMultiplier(targetEpsilon, delta, samplingRate, steps);
  }

  /** The study's ε after {@code moreSteps} further steps of {@code m}. */
  public synchronized double epsilonAfter(String studyId, Mechanism m, long moreSteps) {
    Spent s = studies.get(studyId);
    return epsilon(m, (s == null ? 0 : s.steps()) + moreSteps);
  }

  /**
   * Why taking {@code moreSteps} further steps of {@code m} (null: no differential privacy) in this study would break
   * a cap, or null if it would not.
   */
  public synchronized String wouldExceed(String studyId, Mechanism m, long moreSteps) {
    if (m != null && changed(studies.get(studyId), m)) return mechanismChanged(studies.get(studyId), m);
    if (!caps.any()) return null;
    if (m == null) {
      return "the study has no differential privacy (ε = ∞) and this site caps its privacy budget ("
          + describeCaps() + ")";
    }
    Spent s = studies.get(studyId);
    long steps = (s == null ? 0 : s.steps()) + moreSteps;
    double after = epsilon(m, steps);
    double before = s == null ? 0 : s.epsilon();
    if (caps.maxEpsilonPerStudy() != null && after > caps.maxEpsilonPerStudy()) {
      return String.format(java.util.Locale.ROOT, "this study would reach ε = %.3f at this site (δ = %.0e), above its"
          + " per-study cap of %.3f", after, m.delta(), caps.maxEpsilonPerStudy());
    }
    double total = total() - before + after;
    if (caps.maxEpsilonTotal() != null && total > caps.maxEpsilonTotal()) {
      return String.format(java.util.Locale.ROOT, "this site's total ε would reach %.3f, above its cap of %.3f",
          total, caps.maxEpsilonTotal());
    }
    return null;
  }

  /**
   * The steps already spent were accounted at their own (q, σ, δ); pricing them again at another mechanism would be
   * wrong (in either direction), so a study whose mechanism changed at this site spends no more.
   */
  private static boolean changed(Spent s, Mechanism m) {
    return s != null && s.steps() > 0 && (Double.compare(s.samplingRate(), m.samplingRate()) != 0
        || Double.compare(s.noiseMultiplier(), m.noiseMultiplier()) != 0 || Double.compare(s.delta(), m.delta()) != 0);
  }

  private static String mechanismChanged(Spent s, Mechanism m) {
    return String.format(java.util.Locale.ROOT, "the study's DP-SGD mechanism at this site changed (q %.5f → %.5f, σ %.4f →"
        + " %.4f, δ %.1e → %.1e) after %d noisy steps; this site does not train it further", s.samplingRate(),
        m.samplingRate(), s.noiseMultiplier(), m.noiseMultiplier(), s.delta(), m.delta(), s.steps());
  }

  /** Records {@code moreSteps} steps taken in the study and persists the budget; returns the study's ε now. */
  public synchronized double record(String studyId, Mechanism m, long moreSteps) throws IOException {
    Spent s = studies.get(studyId);
    if (changed(s, m)) throw new IllegalStateException(mechanismChanged(s, m));
    long steps = (s == null ? 0 : s.steps()) + moreSteps;
    double eps = epsilon(m, steps);
    studies.put(studyId, new Spent(m.samplingRate(), m.noiseMultiplier(), m.delta(), steps, eps));
    ObjectNode root = JSON.createObjectNode();
    root.put("totalEpsilon", total());
    root.set("studies", JSON.valueToTree(studies));
    SecureFiles.writeAtomically(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root), true);
    return eps;
  }

  private String describeCaps() {
    return (caps.maxEpsilonPerStudy() == null ? "" : "per study " + caps.maxEpsilonPerStudy())
        + (caps.maxEpsilonPerStudy() != null && caps.maxEpsilonTotal() != null ? ", " : "")
        + (caps.maxEpsilonTotal() == null ? "" : "in total " + caps.maxEpsilonTotal());
  }
}
