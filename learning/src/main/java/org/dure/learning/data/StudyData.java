package org.dure.learning.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.study.FeatureSpec;
import org.dure.protocol.study.MissingValuePolicy;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.SiteStatistics;
import org.dure.protocol.wire.SiteStatistics.NumericMoments;
import org.dure.tabular.CsvTable;
import org.dure.tabular.DataException;

/**
 * A site's rows prepared for one study: what a site agent builds from its local CSV before round 1.
 *
 * <p>{@link #load} reads every record once, in this order:
 * <ol>
 *   <li>Each feature value is trimmed. Empty, {@code NA}, {@code N/A}, {@code NaN} and {@code null}
 *       (any case) are <em>missing</em> and counted per feature. A numeric feature must otherwise be a
 *       decimal number ({@code -1.5}, {@code 2e3}); anything else fails the whole load with a
 *       {@link DataException} naming file, line and column. A categorical value not among the study's
 *       categories is <em>unseen</em>: counted per feature and encoded as all zeros, never an error.</li>
 *   <li>The label is positive when its trimmed value equals the study's positive value, or when both
 *       are numbers and equal ({@code 1.0} matches {@code 1}); any other value is negative. A missing
 *       label drops the row, counted in {@code rowsDroppedLabel}.</li>
 *   <li>A row with a missing feature value is dropped under policy {@code drop} (counted in
 *       {@code rowsDroppedMissing}) and kept under {@code impute_mean}: numeric values are then replaced
 *       by the federated mean at encoding time, categorical ones become all zeros.</li>
 * </ol>
 * The kept rows are split into training and validation sets, stratified by label: within each class a
 * fraction {@code validationFraction} (rounded, and at least one row of each class on each side when
 * the class has two or more rows) is chosen with a {@link Random} seeded by {@code training.seed}, so the
 * split is the same on every run. Missing and unseen counts cover all rows read.
 *
 * <p>{@link #statistics()} reports counts and the moments of each numeric feature over the training
 * split; once the coordinator has pooled them into a {@link FeatureScaling}, {@link #encode} produces the
 * float arrays the trainer consumes.
 *
 * <p>The raw values of the validation report's subgroup columns ({@code spec.report()}) that the table has are kept
 * too, for {@link #validationValues}: the site breaks its validation counts down by them.
 */
public final class StudyData {
  private static final Set<String> MISSING = Set.of("", "na", "n/a", "nan", "null");
  private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
  private static final double UNSEEN = -1;

  private final StudySpec spec;
  private final String fileName;
  /** Per kept row, per feature: the number, the category index, {@link #UNSEEN}, or NaN when missing. */
  private final double[][] values;
  private final float[] labels;
  private final int[] train;
  private final int[] validation;
  private final long rowsRead;
  /** Per kept row, its patient key (null: no patient column). */
  private String[] patients;
  private String patientColumn;
  /** Per subgroup column of the study's validation report that the table has: its raw value in each kept row. */
  private Map<String, String[]> subgroupValues = Map.of();
  private final long rowsDroppedMissing;
  private final long rowsDroppedLabel;
  private final Map<String, Long> missingByFeature;
  private final Map<String, Long> unseenByFeature;

  private StudyData(StudySpec spec, String fileName, double[][] values, float[] labels, long rowsRead,
                    long rowsDroppedMissing, long rowsDroppedLabel, Map<String, Long> missingByFeature,
                    Map<String, Long> unseenByFeature) {
    this.spec = spec;
    this.fileName = fileName;
    this.values = values;
    this.labels = labels;
    this.rowsRead = rowsRead;
    this.rowsDroppedMissing = rowsDroppedMissing;
    this.rowsDroppedLabel = rowsDroppedLabel;
    this.missingByFeature = Collections.unmodifiableMap(missingByFeature);
    this.unseenByFeature = Collections.unmodifiableMap(unseenByFeature);
    int[][] split = stratifiedSplit(labels, spec.validationFraction(), spec.training().seed());
    this.train = split[0];
    this.validation = split[1];
  }

  /** The study's required columns (features, then the label) that {@code table} lacks, in study order. */
  public static List<String> missingColumns(CsvTable table, StudySpec spec) {
    return spec.requiredColumns().stream().filter(c -> table.columnIndex(c) < 0).toList();
  }

  /**
   * Prepares {@code table} for {@code spec}.
   *
   * @throws DataException if a required column is absent, a numeric feature holds a value that is not a
   *     number, or no row is left after dropping rows; the message is fit to send as the site's reason
   *     for declining the study
   */
  public static StudyData load(CsvTable table, StudySpec spec) throws DataException {
    return load(table, spec, null);
  }

  /**
   * Prepares {@code table} for {@code spec}, remembering which patient each row belongs to (the site's
   * pseudonymised patient key column), so that differential privacy can protect patients rather than rows.
   *
   * @param patientColumn the column holding the patient key, or null when every row is a different patient
   * @throws DataException as {@link #load(CsvTable, StudySpec)}, and if the patient column is absent or empty in a row
   */
  public static StudyData load(CsvTable table, StudySpec spec, String patientColumn) throws DataException {
    String file = table.fileName();
    checkColumns(table, spec);
    int patientCol = patientColumn == null ? -1 : table.columnIndex(patientColumn);
    if (patientColumn != null && patientCol < 0)
      throw new DataException(file, 0, patientColumn, "the patient key column '" + patientColumn
          + "' named in the site's data configuration is not in the data");
    List<String> keptPatients = new ArrayList<>();
    Map<String, Integer> subgroupCols = new LinkedHashMap<>();
    for (var g : spec.report().subgroupsFor(new java.util.HashSet<>(table.header())))
      subgroupCols.put(g.column(), table.columnIndex(g.column()));
    Map<String, List<String>> keptSubgroups = new LinkedHashMap<>();
    subgroupCols.keySet().forEach(c -> keptSubgroups.put(c, new ArrayList<>()));
    List<FeatureSpec> features = spec.features();
    int nf = features.size();
    int[] cols = features.stream().mapToInt(f -> table.columnIndex(f.name())).toArray();
    int labelCol = table.columnIndex(spec.labelColumn());
    String positive = spec.labelPositive().trim();
    Double positiveNumber = NUMBER.matcher(positive).matches() ? Double.valueOf(positive) : null;
    boolean drop = spec.missingValues() == MissingValuePolicy.DROP;

    long[] missing = new long[nf];
    long[] unseen = new long[nf];
    long droppedMissing = 0;
    long droppedLabel = 0;
    List<double[]> kept = new ArrayList<>();
    List<Float> keptLabels = new ArrayList<>();
    for (int r = 0; r < table.rowCount(); r++) {
      double[] row = new double[nf];
      boolean anyMissing = false;
      for (int f = 0; f < nf; f++) {
        FeatureSpec feature = features.get(f);
        String raw = table.value(r, cols[f]).trim();
        if (isMissing(raw)) {
          row[f] = Double.NaN;
          missing[f]++;
          anyMissing = true;
        } else if (feature.type() == FeatureSpec.Type.NUMERIC) {
          row[f] = number(raw, file, table.line(r), feature.name());
        } else {
          int category = feature.categories().indexOf(raw);
          if (category < 0) unseen[f]++;
          row[f] = category < 0 ? UNSEEN : category;
        }
      }
      String label = table.value(r, labelCol).trim();
      if (isMissing(label)) {
        droppedLabel++;
        continue;
      }
      if (anyMissing && drop) {
        droppedMissing++;
        continue;
      }
      boolean isPositive = label.equals(positive)
          || (positiveNumber != null && NUMBER.matcher(label).matches() && Double.parseDouble(label) == positiveNumber);
      if (patientCol >= 0) {
        String key = table.value(r, patientCol).trim();
        if (key.isEmpty()) throw new DataException(file, table.line(r), patientColumn, "the patient key is empty");
        keptPatients.add(key);
      }
      for (var c : subgroupCols.entrySet()) keptSubgroups.get(c.getKey()).add(table.value(r, c.getValue()).trim());
      kept.add(row);
      keptLabels.add(isPositive ? 1f : 0f);
    }
    if (kept.isEmpty()) {
      throw new DataException(file, 0, null, "no usable rows: " + table.rowCount() + " read, " + droppedLabel
          + " without a label, " + droppedMissing + " with a missing feature value (missingValues "
          + spec.missingValues().wireName() + ")");
    }
    Map<String, Long> missingBy = new LinkedHashMap<>();
    Map<String, Long> unseenBy = new LinkedHashMap<>();
    for (int f = 0; f < nf; f++) {
      missingBy.put(features.get(f).name(), missing[f]);
      if (features.get(f).type() == FeatureSpec.Type.CATEGORICAL) unseenBy.put(features.get(f).name(), unseen[f]);
    }
    float[] y = new float[keptLabels.size()];
    for (int i = 0; i < y.length; i++) y[i] = keptLabels.get(i);
    StudyData data = new StudyData(spec, file, kept.toArray(new double[0][]), y, table.rowCount(), droppedMissing,
        droppedLabel, missingBy, unseenBy);
    data.patients = patientCol < 0 ? null : keptPatients.toArray(new String[0]);
    data.patientColumn = patientCol < 0 ? null : patientColumn;
    Map<String, String[]> subgroups = new LinkedHashMap<>();
    keptSubgroups.forEach((c, v) -> subgroups.put(c, v.toArray(new String[0])));
    data.subgroupValues = Collections.unmodifiableMap(subgroups);
    return data;
  }

  /** The column keying patients (the pseudonym), or null when every row is its own patient. */
  public String patientColumn() {
    return patientColumn;
  }

  /**
   * For each training row (in {@link #encode} order), its patient as a dense index {@code 0..patients-1}, or null
   * when no patient column was given (every row its own patient).
   */
  public int[] trainPatients() {
    if (patients == null) return null;
    Map<String, Integer> index = new java.util.HashMap<>();
    int[] out = new int[train.length];
    for (int i = 0; i < train.length; i++) out[i] = index.computeIfAbsent(patients[train[i]], k -> index.size());
    return out;
  }

  /**
   * For each validation row (in {@link #encode} order), its patient as a dense index, or null when no patient column
   * was given (every row its own patient). Small-cell rules count patients, not rows.
   */
  public int[] validationPatients() {
    if (patients == null) return null;
    Map<String, Integer> index = new java.util.HashMap<>();
    int[] out = new int[validation.length];
    for (int i = 0; i < validation.length; i++) out[i] = index.computeIfAbsent(patients[validation[i]], k -> index.size());
    return out;
  }

  /**
   * Distinct patients among the kept rows with a positive and with a negative label: {@code {negatives, positives}}.
   * A patient with rows of both labels counts in both. Without a patient column every row is a patient.
   */
  public long[] patientsPerClass() {
    if (patients == null) {
      long pos = 0;
      for (float y : labels) if (y > 0.5f) pos++;
      return new long[] {labels.length - pos, pos};
    }
    java.util.Set<String> pos = new java.util.HashSet<>(), neg = new java.util.HashSet<>();
    for (int i = 0; i < labels.length; i++) (labels[i] > 0.5f ? pos : neg).add(patients[i]);
    return new long[] {neg.size(), pos.size()};
  }

  /**
   * The raw (trimmed) values of report subgroup column {@code column} in the validation rows, in {@link #encode} order;
   * null if the column is not one of the study's report subgroups or the data lacks it.
   */
  public String[] validationValues(String column) {
    String[] all = subgroupValues.get(column);
    if (all == null) return null;
    String[] out = new String[validation.length];
    for (int i = 0; i < validation.length; i++) out[i] = all[validation[i]];
    return out;
  }

  /** Rows in the training split. */
  public int trainRows() {
    return train.length;
  }

  /** Rows in the validation split. */
  public int validationRows() {
    return validation.length;
  }

  /**
   * Counts over all rows read and, for each numeric feature in study order, the count, sum and sum of
   * squares of its non-missing values in the training split.
   */
  public SiteStatistics statistics() {
    List<NumericMoments> moments = new ArrayList<>();
    List<FeatureSpec> features = spec.features();
    for (int f = 0; f < features.size(); f++) {
      if (features.get(f).type() != FeatureSpec.Type.NUMERIC) continue;
      long count = 0;
      double sum = 0;
      double sumSquares = 0;
      for (int r : train) {
        double v = values[r][f];
        if (Double.isNaN(v)) continue;
        count++;
        sum += v;
        sumSquares += v * v;
      }
      moments.add(new NumericMoments(features.get(f).name(), count, sum, sumSquares));
    }
    return new SiteStatistics(rowsRead, values.length, rowsDroppedMissing, rowsDroppedLabel, missingByFeature,
        unseenByFeature, moments);
  }

  /**
   * Encodes both splits: numeric features as {@code (value - mean) / scale}, with a missing value replaced
   * by the scaling's impute value first; categorical features one-hot in the study's category order (all
   * zeros for a missing or unseen value), then also shifted and scaled by their columns' mean and scale.
   *
   * @throws IllegalArgumentException if {@code scaling} does not fit the study
   */
  public EncodedDataset encode(FeatureScaling scaling) {
    int width = spec.inputWidth();
    double[] means = scaling.means();
    double[] scales = scaling.scales();
    if (means.length != width)
      throw new IllegalArgumentException("scaling has " + means.length + " columns but study '" + spec.name()
          + "' encodes " + width + " inputs " + spec.encodedFeatureNames());
    for (int c = 0; c < width; c++) {
      if (!(scales[c] > 0) || !Double.isFinite(scales[c]) || !Double.isFinite(means[c]))
        throw new IllegalArgumentException("scaling of input '" + spec.encodedFeatureNames().get(c)
            + "' must have a finite mean and a positive scale, was mean " + means[c] + ", scale " + scales[c]);
    }
    List<FeatureSpec> features = spec.features();
    double[] impute = new double[features.size()];
    for (int f = 0; f < features.size(); f++) {
      FeatureSpec feature = features.get(f);
      if (feature.type() != FeatureSpec.Type.NUMERIC) continue;
      Double v = scaling.imputeValues().get(feature.name());
      impute[f] = v == null ? Double.NaN : v;
    }
    return new EncodedDataset(encode(train, means, scales, impute, width), encode(validation, means, scales, impute, width));
  }

  private EncodedSplit encode(int[] rows, double[] means, double[] scales, double[] impute, int width) {
    List<FeatureSpec> features = spec.features();
    float[] x = new float[rows.length * width];
    float[] y = new float[rows.length];
    double[] encoded = new double[width];
    for (int i = 0; i < rows.length; i++) {
      double[] row = values[rows[i]];
      Arrays.fill(encoded, 0);
      int col = 0;
      for (int f = 0; f < features.size(); f++) {
        FeatureSpec feature = features.get(f);
        double v = row[f];
        if (feature.type() == FeatureSpec.Type.NUMERIC) {
          if (Double.isNaN(v)) {
            v = impute[f];
            if (Double.isNaN(v))
              throw new IllegalArgumentException("scaling has no impute value for numeric feature '" + feature.name()
                  + "', which is missing in " + fileName + "; the coordinator must send imputeValues for policy impute_mean");
          }
          encoded[col] = v;
        } else if (!Double.isNaN(v) && v != UNSEEN) {
          encoded[col + (int) v] = 1;
        }
        col += feature.width();
      }
      for (int c = 0; c < width; c++) x[i * width + c] = (float) ((encoded[c] - means[c]) / scales[c]);
      y[i] = labels[rows[i]];
    }
    return new EncodedSplit(x, y, rows.length, width);
  }

  private static void checkColumns(CsvTable table, StudySpec spec) throws DataException {
    List<String> absent = missingColumns(table, spec);
    if (absent.isEmpty()) return;
    List<String> featureNames = spec.features().stream().map(FeatureSpec::name).toList();
    if (absent.containsAll(featureNames)) {
      boolean labelAbsent = absent.contains(spec.labelColumn());
      throw new DataException(table.fileName(), 0, null, "none of the study's feature columns " + featureNames
          + " are present" + (labelAbsent ? ", nor the label column \"" + spec.labelColumn() + "\"" : ""));
    }
    throw new DataException(table.fileName(), 0, null, "missing columns " + absent);
  }

  private static boolean isMissing(String trimmed) {
    return trimmed.isEmpty() || MISSING.contains(trimmed.toLowerCase(Locale.ROOT));
  }

  private static double number(String raw, String file, int line, String column) throws DataException {
    if (NUMBER.matcher(raw).matches()) {
      double v = Double.parseDouble(raw);
      if (Double.isFinite(v)) return v;
    }
    throw new DataException(file, line, column, "\"" + raw + "\" is not a number",
        "a value that is not a number (the value is in the site's log, not sent)");
  }

  /** Indices of training and validation rows, each ascending; stratified by label, deterministic for a seed. */
  static int[][] stratifiedSplit(float[] labels, double validationFraction, long seed) {
    Random rng = new Random(seed);
    List<Integer> train = new ArrayList<>();
    List<Integer> validation = new ArrayList<>();
    for (float cls : new float[] {0f, 1f}) {
      List<Integer> members = new ArrayList<>();
      for (int i = 0; i < labels.length; i++) if (labels[i] == cls) members.add(i);
      Collections.shuffle(members, rng);
      int n = members.size();
      int nVal = (int) Math.round(n * validationFraction);
      if (n >= 2) nVal = Math.max(1, Math.min(n - 1, nVal));
      else nVal = 0;
      validation.addAll(members.subList(0, nVal));
      train.addAll(members.subList(nVal, n));
    }
    return new int[][] {train.stream().mapToInt(Integer::intValue).sorted().toArray(),
        validation.stream().mapToInt(Integer::intValue).sorted().toArray()};
  }
}
