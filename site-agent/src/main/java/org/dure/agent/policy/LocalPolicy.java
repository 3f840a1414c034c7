package org.dure.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.dure.json.JsonFields;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.protocol.study.ModelSpec;
import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.study.StudySpec;

/**
 * The hospital data officer's local policy: which studies this site may take part in, and whether each one
 * also needs the officer's approval. A JSON file the officer owns, named in the agent config ({@code "policy"}):
 *
 * <pre>{@code
 * {
 *   "approval": "manual",                      // or "automatic": approve every study that passes the rules (rehearsals, demos)
 *   "allowedModels": ["logistic_regression", "mlp"],
 *   "maxRounds": 50,
 *   "minLocalCohort": 200,                     // least usable rows this site trains a study on; default 5 x minCellSize
 *   "perSiteMetricsMayLeave": true,            // false: this site's validation metrics never leave (pooled metrics omit it)
 *   "minCellSize": 10,                         // no count of fewer patients leaves this site (reports, round metrics)
 *   "minSecureRoster": 3,                      // least sites in a securely aggregated round this site takes part in
 *   "reportBands": {"age": [40, 60, 80]},      // the only cut points this site bands a numeric report column by
 *   "requireSecureAggregation": true,
 *   "maxEpsilonPerStudy": 8, "maxEpsilonTotal": 20,
 *   "maxModelParameters": 1000000              // largest model (weights and biases) this site trains; default 10 million
 * }
 * }</pre>
 *
 * Every setting is optional; without a policy file the agent runs with {@link #defaults()}: manual approval,
 * secure aggregation required, at least {@link #DEFAULT_COHORT_CELLS} x minCellSize usable rows, no other limit. A
 * study that breaks a rule is refused automatically with the rule and both values named.
 *
 * @param approval whether a study that passes every rule still waits for the officer's decision
 * @param allowedModels model kinds (wire names) this site trains; empty means any
 * @param maxRounds most training rounds a study may ask for; null means no limit
 * @param minLocalCohort least usable rows (training + validation) this site contributes; 0 means no limit (only when
 *     the policy says so: a policy that omits it gets {@link #DEFAULT_COHORT_CELLS} x {@code minCellSize})
 * @param perSiteMetricsMayLeave whether this site's own validation metrics may be sent to the coordinator
 * @param requireSecureAggregation whether a study must aggregate updates securely
 * @param maxEpsilonPerStudy differential-privacy cap per study; null means no cap
 * @param maxEpsilonTotal differential-privacy cap over every study; null means no cap
 * @param minCellSize least patients any count that leaves this site must hold: a validation-report subgroup, a bin of a
 *     score histogram (bins are merged until they reach it), each class of a study's label (a study whose label has
 *     fewer patients of either class here is declined)
 * @param minSecureRoster least sites a secure-aggregation round (its roster, and its survivors at unmasking) must have
 *     for this site to take part: in a sum over fewer, each site's update is too close to the sum
 * @param reportBands per numeric report column, the cut points this site bands it by, whatever a study asks (two studies
 *     with cut points one year apart would otherwise give one patient's outcome as a difference); a banded column not
 *     listed is not reported. Null (only in {@link #rehearsal()}) uses the study's cut points.
 * @param maxModelParameters most parameters a study's model may have for this site to train it (what it must hold in
 *     memory several times over); default and upper bound {@link ModelSpec#MAX_PARAMETERS}, what any study may have
 */
public record LocalPolicy(Approval approval, Set<String> allowedModels, Integer maxRounds, long minLocalCohort,
                          boolean perSiteMetricsMayLeave, boolean requireSecureAggregation, Double maxEpsilonPerStudy,
                          Double maxEpsilonTotal, int minCellSize, int minSecureRoster,
                          Map<String, List<Double>> reportBands, long maxModelParameters) {
  /** The default {@link #minCellSize}. */
  public static final int DEFAULT_MIN_CELL_SIZE = 10;
  /**
   * A policy that omits {@link #minLocalCohort} requires this many times {@link #minCellSize} usable rows (50 at the
   * default cell size): at the default validation fraction (0.2) the smallest cohort whose validation split can hold
   * one cell of the minimum size, with four times that to train on. A smaller site's update and metrics are too close
   * to its few patients' records (a 3-patient site would otherwise train in every round), and each class of the label
   * needs {@code minCellSize} patients anyway.
   */
  public static final int DEFAULT_COHORT_CELLS = 5;
  /** The default {@link #minSecureRoster}. */
  public static final int DEFAULT_MIN_SECURE_ROSTER = 3;
  /** The default {@link #reportBands}: age in the bands the validation report uses by default. */
  public static final Map<String, List<Double>> DEFAULT_REPORT_BANDS = Map.of("age", List.of(40.0, 60.0, 80.0));

  /** How a study that passes the rules is approved. */
  public enum Approval {
    /** The data officer approves or refuses each study ({@code dure agent approve|refuse}). */
    MANUAL,
    /** Every study that passes the rules is approved at once: for rehearsals and demos, not for patient data. */
    AUTOMATIC
  }

  static final Set<String> SETTINGS = Set.of("approval", "allowedModels", "maxRounds", "minLocalCohort",
      "perSiteMetricsMayLeave", "requireSecureAggregation", "maxEpsilonPerStudy", "maxEpsilonTotal", "minCellSize",
      "minSecureRoster", "reportBands", "maxModelParameters");
  private static final ObjectMapper JSON = new ObjectMapper();

  public LocalPolicy {
    java.util.Objects.requireNonNull(approval, "approval");
    allowedModels = allowedModels == null ? Set.of() : Set.copyOf(allowedModels);
    for (String m : allowedModels) modelKind(m);
    if (maxRounds != null && !(maxRounds >= 1)) throw new IllegalArgumentException("maxRounds must be >= 1, was " + maxRounds);
    if (minLocalCohort < 0) throw new IllegalArgumentException("minLocalCohort must be >= 0, was " + minLocalCohort);
    new PrivacyBudget.Caps(maxEpsilonPerStudy, maxEpsilonTotal); // validates both caps
    if (minCellSize < 1) throw new IllegalArgumentException("minCellSize must be >= 1, was " + minCellSize);
    if (minSecureRoster < 2) throw new IllegalArgumentException("minSecureRoster must be >= 2, was " + minSecureRoster);
    if (reportBands != null) {
      Map<String, List<Double>> copy = new java.util.TreeMap<>();
      reportBands.forEach((column, cuts) -> copy.put(column, org.dure.protocol.study.ReportPlan.Subgroup.banded(column, cuts).bands()));
      reportBands = java.util.Collections.unmodifiableMap(copy);
    }
    if (maxModelParameters < 1 || maxModelParameters > ModelSpec.MAX_PARAMETERS) throw new IllegalArgumentException(
        "maxModelParameters must be between 1 and " + ModelSpec.MAX_PARAMETERS + ", was " + maxModelParameters);
  }

  /** A policy with the default {@link #minSecureRoster} and {@link #reportBands}. */
  public LocalPolicy(Approval approval, Set<String> allowedModels, Integer maxRounds, long minLocalCohort,
                     boolean perSiteMetricsMayLeave, boolean requireSecureAggregation, Double maxEpsilonPerStudy,
                     Double maxEpsilonTotal, int minCellSize) {
    this(approval, allowedModels, maxRounds, minLocalCohort, perSiteMetricsMayLeave, requireSecureAggregation,
        maxEpsilonPerStudy, maxEpsilonTotal, minCellSize, DEFAULT_MIN_SECURE_ROSTER, DEFAULT_REPORT_BANDS,
        ModelSpec.MAX_PARAMETERS);
  }

  /** A policy with the default {@link #minCellSize}. */
  public LocalPolicy(Approval approval, Set<String> allowedModels, Integer maxRounds, long minLocalCohort,
                     boolean perSiteMetricsMayLeave, boolean requireSecureAggregation, Double maxEpsilonPerStudy,
                     Double maxEpsilonTotal) {
    this(approval, allowedModels, maxRounds, minLocalCohort, perSiteMetricsMayLeave, requireSecureAggregation,
        maxEpsilonPerStudy, maxEpsilonTotal, DEFAULT_MIN_CELL_SIZE);
  }

  public LocalPolicy withMinCellSize(int cells) {
    return new LocalPolicy(approval, allowedModels, maxRounds, minLocalCohort, perSiteMetricsMayLeave,
        requireSecureAggregation, maxEpsilonPerStudy, maxEpsilonTotal, cells, minSecureRoster, reportBands, maxModelParameters);
  }

  /**
   * The policy without a policy file: manual approval, secure aggregation required, at least
   * {@link #DEFAULT_COHORT_CELLS} x {@link #DEFAULT_MIN_CELL_SIZE} usable rows, nothing else limited.
   */
  public static LocalPolicy defaults() {
    return new LocalPolicy(Approval.MANUAL, Set.of(), null, (long) DEFAULT_COHORT_CELLS * DEFAULT_MIN_CELL_SIZE, true,
        true, null, null);
  }

  /**
   * Approves every study with the columns, secure or not, with no cohort minimum: for {@code dure demo}, {@code dure
   * rehearse} and tests, which run on synthetic or the researcher's own files (small ones too).
   */
  public static LocalPolicy rehearsal() {
    return new LocalPolicy(Approval.AUTOMATIC, Set.of(), null, 0, true, false, null, null, DEFAULT_MIN_CELL_SIZE, 2, null,
        ModelSpec.MAX_PARAMETERS);
  }

  public LocalPolicy withMaxModelParameters(long max) {
    return new LocalPolicy(approval, allowedModels, maxRounds, minLocalCohort, perSiteMetricsMayLeave,
        requireSecureAggregation, maxEpsilonPerStudy, maxEpsilonTotal, minCellSize, minSecureRoster, reportBands, max);
  }

  public LocalPolicy withMinSecureRoster(int sites) {
    return new LocalPolicy(approval, allowedModels, maxRounds, minLocalCohort, perSiteMetricsMayLeave,
        requireSecureAggregation, maxEpsilonPerStudy, maxEpsilonTotal, minCellSize, sites, reportBands, maxModelParameters);
  }

  public LocalPolicy withReportBands(Map<String, List<Double>> bands) {
    return new LocalPolicy(approval, allowedModels, maxRounds, minLocalCohort, perSiteMetricsMayLeave,
        requireSecureAggregation, maxEpsilonPerStudy, maxEpsilonTotal, minCellSize, minSecureRoster, bands, maxModelParameters);
  }

  public LocalPolicy withApproval(Approval a) {
    return new LocalPolicy(a, allowedModels, maxRounds, minLocalCohort, perSiteMetricsMayLeave, requireSecureAggregation,
        maxEpsilonPerStudy, maxEpsilonTotal, minCellSize, minSecureRoster, reportBands, maxModelParameters);
  }

  public LocalPolicy withCaps(PrivacyBudget.Caps caps) {
    return new LocalPolicy(approval, allowedModels, maxRounds, minLocalCohort, perSiteMetricsMayLeave,
        requireSecureAggregation, caps.maxEpsilonPerStudy(), caps.maxEpsilonTotal(), minCellSize, minSecureRoster,
        reportBands, maxModelParameters);
  }

  /** The differential-privacy caps, for the site's {@link PrivacyBudget}. */
  public PrivacyBudget.Caps caps() {
    return new PrivacyBudget.Caps(maxEpsilonPerStudy, maxEpsilonTotal);
  }

  /**
   * Reads a policy file. Fails closed: a missing, unreadable or invalid file, an unknown setting or an unknown model
   * name is an error naming the file and the setting, never a silently weaker policy.
   */
  public static LocalPolicy load(Path file) throws IOException {
    if (!Files.isReadable(file)) throw new IOException("cannot read the local policy " + file.toAbsolutePath()
        + "; the agent does not start without the policy its config names");
    JsonNode root;
    try {
      root = org.dure.json.StrictJson.read(file);
    } catch (org.dure.json.StrictJson.MalformedJsonException e) {
      throw new IOException("local policy " + file + " is not valid JSON: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IOException("local policy " + file + " is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) throw new IOException("local policy " + file + ": expected a JSON object");
    LocalPolicy d = defaults();
    try {
      JsonFields f = JsonFields.of(root, "", "setting", (path, problem) -> new IllegalArgumentException(path + ": " + problem))
          .allowOnly(SETTINGS);
      Approval approval = d.approval();
      if (root.has("approval")) {
        String a = f.string("approval");
        approval = switch (a) {
          case "manual" -> Approval.MANUAL;
          case "automatic" -> Approval.AUTOMATIC;
          default -> throw new IOException("local policy " + file + ": \"approval\" must be \"manual\" or \"automatic\", was \"" + a + "\"");
        };
      }
      Set<String> models = new LinkedHashSet<>();
      if (root.has("allowedModels")) {
        JsonNode m = root.path("allowedModels");
        if (!m.isArray()) throw new IOException("local policy " + file + ": \"allowedModels\" must be a list like [\"logistic_regression\", \"mlp\"]");
        for (JsonNode x : m) {
          if (!x.isTextual()) throw new IOException("local policy " + file + ": \"allowedModels\" must list model names, found " + x);
          models.add(x.asText().equals("logistic") ? "logistic_regression" : x.asText()); // "logistic": the short name
        }
      }
      int cells = f.integer("minCellSize", DEFAULT_MIN_CELL_SIZE, Integer.MIN_VALUE, Integer.MAX_VALUE);
      return new LocalPolicy(approval, models,
          f.optionalInteger("maxRounds", Integer.MIN_VALUE, Integer.MAX_VALUE),
          // omitted: a safe minimum, not "no minimum" (see DEFAULT_COHORT_CELLS)
          f.has("minLocalCohort") ? f.longValue("minLocalCohort") : (long) DEFAULT_COHORT_CELLS * Math.max(1, cells),
          f.bool("perSiteMetricsMayLeave", d.perSiteMetricsMayLeave()),
          f.bool("requireSecureAggregation", d.requireSecureAggregation()),
          f.has("maxEpsilonPerStudy") ? f.number("maxEpsilonPerStudy", 0) : null,
          f.has("maxEpsilonTotal") ? f.number("maxEpsilonTotal", 0) : null,
          cells,
          f.integer("minSecureRoster", DEFAULT_MIN_SECURE_ROSTER, Integer.MIN_VALUE, Integer.MAX_VALUE),
          root.has("reportBands") ? bands(root.path("reportBands"), file) : DEFAULT_REPORT_BANDS,
          f.has("maxModelParameters") ? f.longValue("maxModelParameters") : ModelSpec.MAX_PARAMETERS);
    } catch (IllegalArgumentException e) {
      throw new IOException("local policy " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The first rule the study breaks before its data is read (model, rounds, secure aggregation, ε), or empty. The
   * reason names the rule and both values.
   */
  public Optional<String> refusal(StudySpec spec) {
    String kind = spec.model().kind().wireName();
    if (!allowedModels.isEmpty() && !allowedModels.contains(kind)) {
      return rule("allowedModels", "the study trains a " + kind + " model, this site allows only " + new java.util.TreeSet<>(allowedModels));
    }
    long parameters = spec.model().parameters(spec.inputWidth());
    if (parameters > maxModelParameters) {
      return rule("maxModelParameters", "the study's model (" + spec.model() + " on " + spec.inputWidth() + " inputs) has "
          + parameters + " parameters, this site allows at most " + maxModelParameters);
    }
    int rounds = spec.training().rounds();
    if (maxRounds != null && rounds > maxRounds) {
      return rule("maxRounds", "the study asks for " + rounds + " rounds, this site allows at most " + maxRounds);
    }
    if (requireSecureAggregation && !spec.privacy().secureAggregation().enabled()) {
      return rule("requireSecureAggregation", "the study sends plain updates the coordinator can read one by one,"
          + " this site requires secure aggregation");
    }
    PrivacyPlan.DifferentialPrivacy dp = spec.privacy().differentialPrivacy();
    for (String cap : new String[] {"maxEpsilonPerStudy", "maxEpsilonTotal"}) {
      Double max = cap.equals("maxEpsilonPerStudy") ? maxEpsilonPerStudy : maxEpsilonTotal;
      if (max == null) continue;
      if (!dp.enabled()) {
        return rule(cap, "the study has no differential privacy (ε = ∞), this site allows at most ε = " + fmt(max));
      }
      if (dp.targetEpsilon() > max) {
        return rule(cap, "the study targets ε = " + fmt(dp.targetEpsilon()) + ", this site allows at most ε = " + fmt(max));
      }
    }
    return Optional.empty();
  }

  /** {@link #refusal(StudySpec)}, then the cohort rule on the rows this site would use. */
  public Optional<String> refusal(StudySpec spec, long usableRows) {
    Optional<String> r = refusal(spec);
    if (r.isPresent()) return r;
    if (usableRows < minLocalCohort) {
      return rule("minLocalCohort", "the study would use " + usableRows + " rows here, this site requires at least "
          + minLocalCohort);
    }
    return Optional.empty();
  }

  /** The policy in one line, for logs. */
  public String describe() {
    return "approval " + approval.name().toLowerCase(Locale.ROOT)
        + (allowedModels.isEmpty() ? "" : ", models " + new java.util.TreeSet<>(allowedModels))
        + (maxRounds == null ? "" : ", at most " + maxRounds + " rounds")
        + (minLocalCohort == 0 ? "" : ", at least " + minLocalCohort + " rows")
        + (perSiteMetricsMayLeave ? "" : ", per-site metrics withheld")
        + (requireSecureAggregation ? ", secure aggregation required" : "")
        + (maxEpsilonPerStudy == null ? "" : ", ε ≤ " + fmt(maxEpsilonPerStudy) + " per study")
        + (maxEpsilonTotal == null ? "" : ", ε ≤ " + fmt(maxEpsilonTotal) + " in total")
        + (minCellSize == DEFAULT_MIN_CELL_SIZE ? "" : ", cells of at least " + minCellSize + " patients")
        + (minSecureRoster == DEFAULT_MIN_SECURE_ROSTER ? "" : ", secure rounds of at least " + minSecureRoster + " sites")
        + (maxModelParameters == ModelSpec.MAX_PARAMETERS ? "" : ", models of at most " + maxModelParameters + " parameters");
  }

  private static Optional<String> rule(String name, String why) {
    return Optional.of("policy rule " + name + ": " + why);
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
  }

  private static ModelSpec.Kind modelKind(String name) {
    for (ModelSpec.Kind k : ModelSpec.Kind.values()) if (k.wireName().equals(name)) return k;
    throw new IllegalArgumentException("allowedModels: unknown model \"" + name + "\"; expected some of "
        + java.util.Arrays.stream(ModelSpec.Kind.values()).map(ModelSpec.Kind::wireName).toList());
  }

  private static Map<String, List<Double>> bands(JsonNode node, Path file) throws IOException {
    if (!node.isObject()) throw new IOException("local policy " + file + ": \"reportBands\" must be an object like {\"age\": [40, 60, 80]}");
    Map<String, List<Double>> out = new java.util.TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      List<Double> cuts = new java.util.ArrayList<>();
      if (!e.getValue().isArray() || e.getValue().isEmpty())
        throw new IOException("local policy " + file + ": \"reportBands\".\"" + e.getKey() + "\" must be a non-empty list of ascending cut points");
      for (JsonNode x : e.getValue()) {
        if (!x.isNumber()) throw new IOException("local policy " + file + ": \"reportBands\".\"" + e.getKey() + "\" must list numbers, found " + x);
        cuts.add(x.asDouble());
      }
      out.put(e.getKey(), cuts);
    }
    return out;
  }

  /**
   * The cut points this site bands report column {@code column} by when a study asks for {@code requested}: the
   * policy's, or null when the column may not be banded here; the study's own only without {@link #reportBands}.
   */
  public List<Double> bandsFor(String column, List<Double> requested) {
    if (reportBands == null) return requested;
    return reportBands.get(column);
  }
}
