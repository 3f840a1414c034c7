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
 */
public record StudySpec(String name, ModelSpec model, List<FeatureSpec> features, String labelColumn,
                        String labelPositive, MissingValuePolicy missingValues, TrainingPlan training,
                        AggregationPlan aggregation, PrivacyPlan privacy, int minSites, int roundDeadlineSeconds,
                        double validationFraction, ReportPlan report) {
  public StudySpec {
    features = List.copyOf(features);
    if (report == null) report = ReportPlan.defaults();
  }

  /** A study with the default validation report. */
  public StudySpec(String name, ModelSpec model, List<FeatureSpec> features, String labelColumn, String labelPositive,
                   MissingValuePolicy missingValues, TrainingPlan training, AggregationPlan aggregation, PrivacyPlan privacy,
                   int minSites, int roundDeadlineSeconds, double validationFraction) {
    this(name, model, features, labelColumn, labelPositive, missingValues, training, aggregation, privacy, minSites,
        roundDeadlineSeconds, validationFraction, ReportPlan.defaults());
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
