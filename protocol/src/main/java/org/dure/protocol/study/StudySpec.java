package org.dure.protocol.study;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.dure.crypto.Digests;

/**
 * A study as a researcher defines it: what model to train on which columns, how each site trains,
 * how updates are combined and protected, and how long a round may take. Parse and validate with
 * {@link StudySpecParser}; write with {@link #toJson()}.
 *
 * @param report what the validation report at the end of the study computes ({@link ReportPlan#defaults()} when the
 *     study has no {@code report} section)
 * @param offerDeadlineSeconds how long a connected site has to answer the offer (accept, decline, or say its data
 *     officer decides) before it is named as silent and counted out; default {@code roundDeadlineSeconds}
 * @param waitForSitesSeconds how long the study waits for enough sites to accept (at its start, and before a retried
 *     round) before it fails naming every site's answer; default {@value #DEFAULT_WAIT_FOR_SITES_SECONDS}
 */
public record StudySpec(String name, ModelSpec model, List<FeatureSpec> features, String labelColumn,
                        String labelPositive, MissingValuePolicy missingValues, TrainingPlan training,
                        AggregationPlan aggregation, PrivacyPlan privacy, int minSites, int roundDeadlineSeconds,
                        double validationFraction, ReportPlan report, int offerDeadlineSeconds, int waitForSitesSeconds) {
  /** One day: long enough for a data officer to decide, short enough that a study never waits without end. */
  public static final int DEFAULT_WAIT_FOR_SITES_SECONDS = 86_400;

  public StudySpec {
    features = List.copyOf(features);
    if (report == null) report = ReportPlan.defaults();
    if (offerDeadlineSeconds <= 0) offerDeadlineSeconds = roundDeadlineSeconds;
    if (waitForSitesSeconds <= 0) waitForSitesSeconds = DEFAULT_WAIT_FOR_SITES_SECONDS;
  }

  /** A study with the default offer deadline and wait for sites. */
  public StudySpec(String name, ModelSpec model, List<FeatureSpec> features, String labelColumn, String labelPositive,
                   MissingValuePolicy missingValues, TrainingPlan training, AggregationPlan aggregation, PrivacyPlan privacy,
                   int minSites, int roundDeadlineSeconds, double validationFraction, ReportPlan report) {
    this(name, model, features, labelColumn, labelPositive, missingValues, training, aggregation, privacy, minSites,
        roundDeadlineSeconds, validationFraction, report, 0, 0);
  }

  /** A study with the default validation report. */
  public StudySpec(String name, ModelSpec model, List<FeatureSpec> features, String labelColumn, String labelPositive,
                   MissingValuePolicy missingValues, TrainingPlan training, AggregationPlan aggregation, PrivacyPlan privacy,
                   int minSites, int roundDeadlineSeconds, double validationFraction) {
    this(name, model, features, labelColumn, labelPositive, missingValues, training, aggregation, privacy, minSites,
        roundDeadlineSeconds, validationFraction, ReportPlan.defaults(), 0, 0);
  }

  /**
   * Sites a round needs: {@code minSites}; with secure aggregation also 2 and the study's threshold (a study stored
   * before submissions were refused below 2 sites may still say {@code minSites: 1}).
   */
  public int sitesNeeded() {
    PrivacyPlan.SecureAggregation sa = privacy.secureAggregation();
    return sa.enabled() ? Math.max(minSites, Math.max(2, sa.threshold())) : minSites;
  }

  /**
   * Why {@link #sitesNeeded()} sites are needed, naming the field that sets it, e.g. {@code "minSites 3"} or
   * {@code "privacy.secureAggregation.threshold 10"}.
   */
  public String sitesNeededBecause() {
    PrivacyPlan.SecureAggregation sa = privacy.secureAggregation();
    int needed = sitesNeeded();
    if (needed == minSites) return "minSites " + minSites;
    if (sa.enabled() && needed == sa.threshold()) return "privacy.secureAggregation.threshold " + sa.threshold();
    return "secure aggregation needs at least 2 sites";
  }

  /** Number of model inputs after one-hot encoding. */
  public int inputWidth() {
    return features.stream().mapToInt(FeatureSpec::width).sum();
  }

  /** Names of the model inputs in order ({@code age}, {@code sex=F}, ...). */
  public List<String> encodedFeatureNames() {
    List<String> names = new ArrayList<>();
    features.forEach(f -> names.addAll(f.encodedNames()));
    return names;
  }

  /** Every column a site needs: the features and the label. */
  public List<String> requiredColumns() {
    List<String> cols = new ArrayList<>(features.stream().map(FeatureSpec::name).toList());
    cols.add(labelColumn);
    return cols;
  }

  public String toJson() {
    return StudySpecParser.toJson(this);
  }

  /**
   * The SHA-256 of this definition as the coordinator offers it ({@link #toJson()}, UTF-8): what a site's approval
   * signs and what the ledger records as {@code specSha256}. Same as {@link #sha256(String) sha256(toJson())}.
   */
  public byte[] sha256() {
    return sha256(toJson());
  }

  /**
   * The SHA-256 of a study definition's JSON text exactly as offered (UTF-8, not re-parsed or re-written), the one
   * place where the study-spec hash is computed: a site hashes the offer's text, the coordinator its
   * {@link #toJson()}, and both sign or verify the same 32 bytes.
   *
   * @param specJson the definition's JSON text, for example {@code StudyOffer.spec()}
   */
  public static byte[] sha256(String specJson) {
    if (specJson == null) throw new NullPointerException("specJson");
    return Digests.sha256(specJson.getBytes(StandardCharsets.UTF_8));
  }

  /** {@link #sha256(String)} as lower-case hex, as the ledger and the site's study records store it. */
  public static String sha256Hex(String specJson) {
    return HexFormat.of().formatHex(sha256(specJson));
  }
}
