package org.dure.protocol.study;

import java.util.ArrayList;
import java.util.List;

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
}
