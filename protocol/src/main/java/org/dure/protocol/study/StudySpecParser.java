package org.dure.protocol.study;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.dure.json.JsonFields;

/**
 * Reads a study definition from JSON and checks every field, failing with a
 * {@link StudySpecException} that names the field, what was wrong and what is allowed. Unknown fields
 * are rejected too, so a misspelt option never silently falls back to a default.
 */
public final class StudySpecParser {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  static final int MAX_FEATURES = 10_000;

  private StudySpecParser() {}

  public static StudySpec parse(String json) {
    JsonNode root;
    try {
      root = org.dure.json.StrictJson.read(json); // a key given twice, or text after the document, is refused
    } catch (JsonProcessingException e) {
      throw new StudySpecException("$", e.getMessage());
    }
    if (root == null || !root.isObject()) throw new StudySpecException("$", "expected a JSON object");
    return parse((ObjectNode) root);
  }

  public static StudySpec parse(ObjectNode root) {
    JsonFields r = fields(root, "");
    r.allowOnly("name", "model", "features", "label", "missingValues", "training", "aggregation", "privacy", "minSites",
        "roundDeadlineSeconds", "validationFraction", "report", "offerDeadlineSeconds", "waitForSitesSeconds");
    String name = r.scalarText("name", 200, "unnamed study");
    if (name.length() > 200) throw new StudySpecException("name", "must be at most 200 characters");
    ModelSpec model = model(r.object("model", true));
    List<FeatureSpec> features = features(r.node("features", true));
    checkSize(model, features);
    JsonFields label = r.object("label", true);
    label.allowOnly("column", "positive");
    String labelColumn = label.scalarText("column", 200);
    String labelPositive = label.scalarText("positive", 200);
    if (features.stream().anyMatch(f -> f.name().equals(labelColumn)))
      throw new StudySpecException("label.column", "'" + labelColumn + "' is also listed as a feature");
    MissingValuePolicy missing = r.choice("missingValues", "drop", MissingValuePolicy.values(),
        MissingValuePolicy::wireName);
    TrainingPlan training = training(r.object("training", true));
    AggregationPlan aggregation = aggregation(r.object("aggregation", false));
    PrivacyPlan privacy = privacy(r.object("privacy", false));
    // Secure aggregation needs two sites (one site's "sum" is its own update): that is its default minimum.
    int minSites = r.integer("minSites", privacy.secureAggregation().enabled() ? 2 : 1, 1, 10_000);
    int deadline = r.integer("roundDeadlineSeconds", 120, 1, 86_400);
    int offerDeadline = r.integer("offerDeadlineSeconds", deadline, 1, 86_400);
    int waitForSites = r.integer("waitForSitesSeconds", StudySpec.DEFAULT_WAIT_FOR_SITES_SECONDS, 1, MAX_WAIT_FOR_SITES_SECONDS);
    double validation = r.number("validationFraction", 0.2);
    if (!(validation > 0 && validation < 1))
      throw new StudySpecException("validationFraction", "must be between 0 and 1 (exclusive), was " + validation);
    ReportPlan report = report(r.object("report", false), labelColumn);
    return new StudySpec(name, model, features, labelColumn, labelPositive, missing, training, aggregation,
        privacy, minSites, deadline, validation, report, offerDeadline, waitForSites);
  }

  /** 30 days: the longest a study may wait for enough sites. */
  public static final int MAX_WAIT_FOR_SITES_SECONDS = 30 * 86_400;

  /**
   * A definition submitted now ({@code POST /api/studies}, {@code dure rehearse}): {@link #parse(String)} and the
   * rules a new study must meet that a stored one is not re-checked against (so that a coordinator restart does not
   * drop studies accepted before the rule existed): secure aggregation with {@code minSites} below 2 is refused.
   */
  public static StudySpec parseNew(String json) {
    StudySpec spec = parse(json);
    if (spec.privacy().secureAggregation().enabled() && spec.minSites() < 2)
      throw new StudySpecException("minSites", "is " + spec.minSites() + ", but secure aggregation needs at least 2 sites"
          + " (one site's sum would be its own update): set minSites to 2 or more, or set"
          + " privacy.secureAggregation.enabled to false");
    return spec;
  }

  /**
   * {@code "report": {"threshold": 0.5, "subgroups": ["sex", {"column": "age", "bands": [40, 60, 80]}]}}; an empty
   * or absent section is the default report.
   */
  private static ReportPlan report(JsonFields r, String labelColumn) {
    if (r == null) return ReportPlan.defaults();
    r.allowOnly("threshold", "subgroups");
    double threshold = r.number("threshold", ReportPlan.DEFAULT_THRESHOLD);
    if (!(threshold > 0 && threshold < 1))
      throw new StudySpecException(r.path("threshold"), "must be between 0 and 1 (exclusive), was " + threshold);
    if (!r.has("subgroups")) return new ReportPlan(threshold, null);
    JsonNode list = r.node("subgroups", true);
    if (!list.isArray())
      throw new StudySpecException(r.path("subgroups"), "expected an array of column names or {\"column\": ..., \"bands\": [...]}");
    if (list.size() > 20) throw new StudySpecException(r.path("subgroups"), "at most 20 subgroup variables are allowed");
    List<ReportPlan.Subgroup> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String path = r.path("subgroups") + "[" + i + "]";
      JsonNode g = list.get(i);
      if (g.isTextual()) g = MAPPER.createObjectNode().put("column", g.asText());
      if (!g.isObject()) throw new StudySpecException(path, "expected a column name or {\"column\": ..., \"bands\": [...]}");
      JsonFields o = fields(g, path);
      o.allowOnly("column", "bands");
      String column = o.scalarText("column", 200);
      if (column.equals(labelColumn))
        throw new StudySpecException(o.path("column"), "'" + column + "' is the label; subgroups are patient characteristics");
      if (!seen.add(column)) throw new StudySpecException(o.path("column"), "subgroup column '" + column + "' is listed twice");
      List<Double> bands = new ArrayList<>();
      if (o.has("bands")) {
        JsonNode b = o.node("bands", true);
        if (!b.isArray() || b.isEmpty() || b.size() > 20)
          throw new StudySpecException(o.path("bands"), "expected 1 to 20 ascending cut points, e.g. [40, 60, 80]");
        for (int k = 0; k < b.size(); k++) {
          JsonNode v = b.get(k);
          if (!v.isNumber() || !Double.isFinite(v.asDouble()))
            throw new StudySpecException(o.path("bands") + "[" + k + "]", "expected a finite number, was " + v);
          if (k > 0 && !(v.asDouble() > bands.get(k - 1)))
            throw new StudySpecException(o.path("bands") + "[" + k + "]", "cut points must be strictly ascending, "
                + v.asDouble() + " follows " + bands.get(k - 1));
          bands.add(v.asDouble());
        }
      }
      out.add(new ReportPlan.Subgroup(column, bands));
    }
    return new ReportPlan(threshold, out);
  }

  /**
   * Refuses a model over {@link ModelSpec#MAX_PARAMETERS}, counted in {@code long} from the encoded input width (a
   * categorical feature counts one input per category) and the layer sizes, so that no size overflows an {@code int}.
   */
  private static void checkSize(ModelSpec model, List<FeatureSpec> features) {
    long inputs = 0;
    for (FeatureSpec f : features) inputs += f.width();
    long n;
    try {
      n = model.parameters(inputs);
    } catch (ArithmeticException e) {
      n = Long.MAX_VALUE;
    }
    if (n > ModelSpec.MAX_PARAMETERS) {
      boolean mlp = model.kind() == ModelSpec.Kind.MLP;
      throw new StudySpecException(mlp ? "model.hiddenLayers" : "features", "the model would have " + n
          + " parameters (" + inputs + " encoded inputs" + (mlp ? ", hidden layers " + Arrays.toString(model.hiddenLayers()) : "")
          + "); at most " + ModelSpec.MAX_PARAMETERS + " are allowed: use " + (mlp ? "narrower or fewer layers" : "fewer features or categories"));
    }
  }

  private static ModelSpec model(JsonFields m) {
    m.allowOnly("kind", "hiddenLayers", "activation");
    ModelSpec.Kind kind = m.choice("kind", null, ModelSpec.Kind.values(), ModelSpec.Kind::wireName);
    if (kind == ModelSpec.Kind.LOGISTIC_REGRESSION) {
      if (m.has("hiddenLayers") && m.node("hiddenLayers", false).size() > 0)
        throw new StudySpecException(m.path("hiddenLayers"), "logistic_regression has no hidden layers; use kind \"mlp\"");
      return new ModelSpec(kind, new int[0], "sigmoid");
    }
    JsonNode layers = m.node("hiddenLayers", true);
    if (!layers.isArray() || layers.isEmpty())
      throw new StudySpecException(m.path("hiddenLayers"), "expected a non-empty array of layer sizes, e.g. [64, 32]");
    if (layers.size() > ModelSpec.MAX_HIDDEN_LAYERS)
      throw new StudySpecException(m.path("hiddenLayers"), "at most " + ModelSpec.MAX_HIDDEN_LAYERS + " hidden layers are"
          + " allowed, was " + layers.size());
    int[] sizes = new int[layers.size()];
    for (int i = 0; i < sizes.length; i++) {
      JsonNode n = layers.get(i);
      if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1 || n.asInt() > ModelSpec.MAX_LAYER_WIDTH)
        throw new StudySpecException(m.path("hiddenLayers") + "[" + i + "]",
            "expected a layer width between 1 and " + ModelSpec.MAX_LAYER_WIDTH + ", was " + n);
      sizes[i] = n.asInt();
    }
    String act = m.scalarText("activation", 200, "relu").toLowerCase(Locale.ROOT);
    if (!ModelSpec.ACTIVATIONS.contains(act))
      throw new StudySpecException(m.path("activation"), "unknown activation '" + act + "'; expected one of " + ModelSpec.ACTIVATIONS);
    return new ModelSpec(kind, sizes, act);
  }

  private static List<FeatureSpec> features(JsonNode node) {
    if (!node.isArray() || node.isEmpty())
      throw new StudySpecException("features", "expected a non-empty array of features");
    if (node.size() > MAX_FEATURES)
      throw new StudySpecException("features", "at most " + MAX_FEATURES + " features are allowed");
    List<FeatureSpec> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < node.size(); i++) {
      String path = "features[" + i + "]";
      JsonNode f = node.get(i);
      if (f.isTextual()) f = MAPPER.createObjectNode().put("name", f.asText());
      if (!f.isObject()) throw new StudySpecException(path, "expected a feature name or {\"name\": ..., \"type\": ...}");
      JsonFields o = fields(f, path);
      o.allowOnly("name", "type", "categories");
      String name = o.scalarText("name", 200);
      if (!seen.add(name)) throw new StudySpecException(path + ".name", "feature '" + name + "' is listed twice");
      FeatureSpec.Type type = o.choice("type", "numeric", FeatureSpec.Type.values(),
          t -> t.name().toLowerCase(Locale.ROOT));
      if (type == FeatureSpec.Type.NUMERIC) {
        if (o.has("categories")) throw new StudySpecException(o.path("categories"), "only categorical features have categories");
        out.add(FeatureSpec.numeric(name));
      } else {
        JsonNode cats = o.node("categories", true);
        if (!cats.isArray() || cats.isEmpty())
          throw new StudySpecException(o.path("categories"), "a categorical feature lists its categories, e.g. [\"F\", \"M\"]");
        List<String> list = new ArrayList<>();
        Set<String> listed = new HashSet<>(); // not list.contains: quadratic in the number of categories
        for (int c = 0; c < cats.size(); c++) {
          JsonNode cat = cats.get(c);
          if (!cat.isTextual() && !cat.isNumber())
            throw new StudySpecException(o.path("categories") + "[" + c + "]", "expected a string, was " + cat);
          if (!listed.add(cat.asText()))
            throw new StudySpecException(o.path("categories") + "[" + c + "]", "category '" + cat.asText() + "' is listed twice");
          list.add(cat.asText());
        }
        out.add(FeatureSpec.categorical(name, list));
      }
    }
    return out;
  }

  private static TrainingPlan training(JsonFields t) {
    t.allowOnly("rounds", "localEpochs", "batchSize", "learningRate", "optimizer", "seed");
    int rounds = t.integer("rounds", 10, 1, 100_000);
    int epochs = t.integer("localEpochs", 1, 1, 10_000);
    int batch = t.integer("batchSize", 32, 1, 1_000_000);
    double lr = t.number("learningRate", 0.05);
    if (!(lr > 0 && lr <= 100)) throw new StudySpecException(t.path("learningRate"), "must be > 0 and <= 100, was " + lr);
    String opt = t.scalarText("optimizer", 200, "sgd").toLowerCase(Locale.ROOT);
    if (!TrainingPlan.OPTIMIZERS.contains(opt))
      throw new StudySpecException(t.path("optimizer"), "unknown optimizer '" + opt + "'; expected one of " + TrainingPlan.OPTIMIZERS);
    long seed = t.has("seed") ? t.longValue("seed") : 42L;
    return new TrainingPlan(rounds, epochs, batch, lr, opt, seed);
  }

  private static AggregationPlan aggregation(JsonFields a) {
    if (a == null) return AggregationPlan.fedAvg();
    a.allowOnly("strategy", "mu", "serverLearningRate", "beta1", "beta2", "tau");
    AggregationPlan.Strategy s = a.choice("strategy", "fedavg", AggregationPlan.Strategy.values(),
        AggregationPlan.Strategy::wireName);
    double mu = a.number("mu", s == AggregationPlan.Strategy.FEDPROX ? 0.01 : 0);
    double slr = a.number("serverLearningRate", 0.01);
    double b1 = a.number("beta1", 0.9);
    double b2 = a.number("beta2", 0.99);
    double tau = a.number("tau", 1e-3);
    if (s == AggregationPlan.Strategy.FEDPROX && !(mu > 0)) throw new StudySpecException(a.path("mu"), "fedprox needs mu > 0, was " + mu);
    if (s != AggregationPlan.Strategy.FEDPROX && a.has("mu")) throw new StudySpecException(a.path("mu"), "mu applies only to strategy \"fedprox\"");
    if (s == AggregationPlan.Strategy.FEDADAM) {
      if (!(slr > 0)) throw new StudySpecException(a.path("serverLearningRate"), "must be > 0, was " + slr);
      if (!(b1 >= 0 && b1 < 1)) throw new StudySpecException(a.path("beta1"), "must be in [0, 1), was " + b1);
      if (!(b2 >= 0 && b2 < 1)) throw new StudySpecException(a.path("beta2"), "must be in [0, 1), was " + b2);
      if (!(tau > 0)) throw new StudySpecException(a.path("tau"), "must be > 0, was " + tau);
    } else {
      for (String f : List.of("serverLearningRate", "beta1", "beta2", "tau"))
        if (a.has(f)) throw new StudySpecException(a.path(f), f + " applies only to strategy \"fedadam\"");
    }
    // Parameters of other strategies are zeroed, so that an omitted aggregation, an explicit fedavg and the
    // canonical JSON (which writes only the strategy's own parameters) all parse to equal plans.
    return switch (s) {
      case FEDAVG -> AggregationPlan.fedAvg();
      case FEDPROX -> new AggregationPlan(s, mu, 0, 0, 0, 0);
      case FEDADAM -> new AggregationPlan(s, 0, slr, b1, b2, tau);
    };
  }

  private static PrivacyPlan privacy(JsonFields p) {
    if (p == null) return PrivacyPlan.defaults();
    p.allowOnly("secureAggregation", "differentialPrivacy", "siteLevelNoise");
    PrivacyPlan.SecureAggregation sa = secureAggregation(p.object("secureAggregation", false));
    PrivacyPlan.SiteLevelNoise noise = siteLevelNoise(p.object("siteLevelNoise", false));
    if (noise.enabled() && !sa.enabled())
      throw new StudySpecException(p.path("siteLevelNoise"), "needs secure aggregation (privacy.secureAggregation.enabled):"
          + " each site's share of the noise only protects it inside the sum");
    return new PrivacyPlan(sa, differentialPrivacy(p.object("differentialPrivacy", false)), noise);
  }

  private static PrivacyPlan.SiteLevelNoise siteLevelNoise(JsonFields n) {
    if (n == null) return PrivacyPlan.SiteLevelNoise.off();
    n.allowOnly("enabled", "noiseMultiplier", "clipNorm", "delta");
    if (!n.bool("enabled", true)) {
      for (String f : List.of("noiseMultiplier", "clipNorm", "delta"))
        if (n.has(f)) throw new StudySpecException(n.path(f), "applies only when site-level noise is enabled");
      return PrivacyPlan.SiteLevelNoise.off();
    }
    for (String f : List.of("noiseMultiplier", "clipNorm"))
      if (!n.has(f)) throw new StudySpecException(n.path(f), "is required for site-level noise");
    double z = n.number("noiseMultiplier", 0);
    if (!(z > 0)) throw new StudySpecException(n.path("noiseMultiplier"), "must be > 0, was " + z);
    double clip = n.number("clipNorm", 0);
    if (!(clip > 0)) throw new StudySpecException(n.path("clipNorm"), "must be > 0: the L2 bound on each site's model change, was " + clip);
    double delta = n.number("delta", 1e-5);
    if (!(delta > 0 && delta <= 1e-2)) throw new StudySpecException(n.path("delta"), "must be in (0, 0.01], was " + delta);
    return new PrivacyPlan.SiteLevelNoise(true, z, clip, delta);
  }

  private static PrivacyPlan.DifferentialPrivacy differentialPrivacy(JsonFields d) {
    if (d == null) return PrivacyPlan.DifferentialPrivacy.off();
    d.allowOnly("enabled", "noiseMultiplier", "clipNorm", "targetEpsilon", "delta");
    boolean enabled = d.bool("enabled", true);
    if (!enabled) {
      for (String f : List.of("noiseMultiplier", "clipNorm", "targetEpsilon", "delta"))
        if (d.has(f)) throw new StudySpecException(d.path(f), "applies only when differential privacy is enabled");
      return PrivacyPlan.DifferentialPrivacy.off();
    }
    double sigma = d.number("noiseMultiplier", 0);
    double eps = d.number("targetEpsilon", 0);
    if (sigma < 0) throw new StudySpecException(d.path("noiseMultiplier"), "must be > 0, was " + sigma);
    if (eps < 0) throw new StudySpecException(d.path("targetEpsilon"), "must be > 0, was " + eps);
    if ((sigma > 0) == (eps > 0)) {
      throw new StudySpecException(d.path(sigma > 0 ? "targetEpsilon" : "noiseMultiplier"),
          "give either noiseMultiplier (σ) or targetEpsilon (ε for the whole study), not " + (sigma > 0 ? "both" : "neither"));
    }
    if (!d.has("clipNorm")) throw new StudySpecException(d.path("clipNorm"), "is required: the per-example gradient L2 bound C");
    double clip = d.number("clipNorm", 0);
    if (!(clip > 0)) throw new StudySpecException(d.path("clipNorm"), "must be > 0, was " + clip);
    double delta = d.number("delta", 1e-5);
    if (!(delta > 0 && delta <= 1e-2)) throw new StudySpecException(d.path("delta"), "must be in (0, 0.01], was " + delta);
    return new PrivacyPlan.DifferentialPrivacy(true, sigma, clip, eps, delta);
  }

  private static PrivacyPlan.SecureAggregation secureAggregation(JsonFields s) {
    if (s == null) return PrivacyPlan.defaults().secureAggregation();
    s.allowOnly("enabled", "threshold", "clip");
    boolean enabled = s.bool("enabled", true);
    int threshold = s.integer("threshold", 0, 0, 10_000);
    double clip = s.number("clip", PrivacyPlan.DEFAULT_CLIP);
    if (!(clip > 0 && clip <= PrivacyPlan.MAX_CLIP))
      throw new StudySpecException(s.path("clip"), "must be > 0 and at most " + PrivacyPlan.MAX_CLIP + ", was " + clip);
    if (!enabled && (s.has("threshold") || s.has("clip")))
      throw new StudySpecException(s.path(s.has("threshold") ? "threshold" : "clip"),
          "applies only when secure aggregation is enabled");
    return enabled ? new PrivacyPlan.SecureAggregation(true, threshold, clip)
        : new PrivacyPlan.SecureAggregation(false, 0, PrivacyPlan.DEFAULT_CLIP);
  }

  /** Canonical JSON for a study; {@link #parse(String)} reads it back to an equal spec. */
  static String toJson(StudySpec s) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("name", s.name());
    ObjectNode model = root.putObject("model");
    model.put("kind", s.model().kind().wireName());
    if (s.model().kind() == ModelSpec.Kind.MLP) {
      ArrayNode layers = model.putArray("hiddenLayers");
      Arrays.stream(s.model().hiddenLayers()).forEach(layers::add);
      model.put("activation", s.model().activation());
    }
    ArrayNode features = root.putArray("features");
    for (FeatureSpec f : s.features()) {
      ObjectNode fo = features.addObject().put("name", f.name()).put("type", f.type().name().toLowerCase(Locale.ROOT));
      if (f.type() == FeatureSpec.Type.CATEGORICAL) f.categories().forEach(fo.putArray("categories")::add);
    }
    root.putObject("label").put("column", s.labelColumn()).put("positive", s.labelPositive());
    root.put("missingValues", s.missingValues().wireName());
    TrainingPlan t = s.training();
    root.putObject("training").put("rounds", t.rounds()).put("localEpochs", t.localEpochs())
        .put("batchSize", t.batchSize()).put("learningRate", t.learningRate()).put("optimizer", t.optimizer())
        .put("seed", t.seed());
    AggregationPlan a = s.aggregation();
    ObjectNode ag = root.putObject("aggregation").put("strategy", a.strategy().wireName());
    if (a.strategy() == AggregationPlan.Strategy.FEDPROX) ag.put("mu", a.mu());
    if (a.strategy() == AggregationPlan.Strategy.FEDADAM)
      ag.put("serverLearningRate", a.serverLearningRate()).put("beta1", a.beta1()).put("beta2", a.beta2()).put("tau", a.tau());
    PrivacyPlan.SecureAggregation sa = s.privacy().secureAggregation();
    ObjectNode po = root.putObject("privacy");
    ObjectNode so = po.putObject("secureAggregation").put("enabled", sa.enabled());
    if (sa.enabled()) so.put("threshold", sa.threshold()).put("clip", sa.clip());
    PrivacyPlan.DifferentialPrivacy dp = s.privacy().differentialPrivacy();
    ObjectNode dpo = po.putObject("differentialPrivacy").put("enabled", dp.enabled());
    if (dp.enabled()) {
      if (dp.noiseMultiplier() > 0) dpo.put("noiseMultiplier", dp.noiseMultiplier());
      else dpo.put("targetEpsilon", dp.targetEpsilon());
      dpo.put("clipNorm", dp.clipNorm()).put("delta", dp.delta());
    }
    PrivacyPlan.SiteLevelNoise noise = s.privacy().siteLevelNoise();
    if (noise.enabled()) { // omitted when off, so that studies without it keep their canonical JSON
      po.putObject("siteLevelNoise").put("enabled", true).put("noiseMultiplier", noise.noiseMultiplier())
          .put("clipNorm", noise.clipNorm()).put("delta", noise.delta());
    }
    root.put("minSites", s.minSites());
    root.put("roundDeadlineSeconds", s.roundDeadlineSeconds());
    root.put("validationFraction", s.validationFraction());
    // omitted when default, so that studies without them keep their canonical JSON (and its hash)
    if (s.offerDeadlineSeconds() != s.roundDeadlineSeconds()) root.put("offerDeadlineSeconds", s.offerDeadlineSeconds());
    if (s.waitForSitesSeconds() != StudySpec.DEFAULT_WAIT_FOR_SITES_SECONDS) root.put("waitForSitesSeconds", s.waitForSitesSeconds());
    ReportPlan report = s.report();
    if (!report.isDefault()) { // omitted when default, so that studies without one keep their canonical JSON
      ObjectNode ro = root.putObject("report").put("threshold", report.threshold());
      if (report.subgroups() != null) {
        ArrayNode groups = ro.putArray("subgroups");
        for (ReportPlan.Subgroup g : report.subgroups()) {
          if (!g.isBanded()) {
            groups.add(g.column());
          } else {
            ArrayNode bands = groups.addObject().put("column", g.column()).putArray("bands");
            g.bands().forEach(bands::add);
          }
        }
      }
    }
    return root.toString();
  }

  private static JsonFields fields(JsonNode node, String path) {
    return JsonFields.of(node, path, "field", StudySpecException::new);
  }
}
