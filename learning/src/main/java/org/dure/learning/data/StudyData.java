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
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.study.FeatureSpec;
import org.dure.protocol.study.MissingValuePolicy;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.SiteStatistics;
import org.dure.protocol.wire.SiteStatistics.NumericMoments;
import java.io.IOException;
import org.dure.tabular.DataException;
import org.dure.tabular.MemoryBudget;
import org.dure.tabular.Records;
import org.dure.tabular.Table;

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
  private static final double UNSEEN = -1;

  private final StudySpec spec;
  private final String fileName;
  /**
   * Per feature, per kept row (columnar, {@link #rows} used): the number, the category index, {@link #UNSEEN}, or NaN
   * when missing. Floats: 4 bytes per row and feature, whatever the text was.
   */
  private final float[][] values;
  /** Kept rows. */
  private final int rows;
  private final float[] labels;
  private final int[] train;
  private final int[] validation;
  private final long rowsRead;
  /** Per kept row, its patient as a dense index in order of first appearance (null: no patient column). */
  private int[] patients;
  private int patientCount;
  private String patientColumn;
  /** Per subgroup column of the study's validation report that the table has: its raw values, dictionary-encoded. */
  private Map<String, Dictionary> subgroupValues = Map.of();

  /** A column's distinct values and, per kept row, the index of its value. */
  private record Dictionary(List<String> values, int[] codes) {}
  private final long rowsDroppedMissing;
  private final long rowsDroppedLabel;
  private final Map<String, Long> missingByFeature;
  private final Map<String, Long> unseenByFeature;

  private StudyData(StudySpec spec, String fileName, float[][] values, int rows, float[] labels, long rowsRead,
                    long rowsDroppedMissing, long rowsDroppedLabel, Map<String, Long> missingByFeature,
                    Map<String, Long> unseenByFeature) {
    this.spec = spec;
    this.fileName = fileName;
    this.values = values;
    this.rows = rows;
    this.labels = labels;
    this.rowsRead = rowsRead;
    this.rowsDroppedMissing = rowsDroppedMissing;
    this.rowsDroppedLabel = rowsDroppedLabel;
    this.missingByFeature = Collections.unmodifiableMap(missingByFeature);
    this.unseenByFeature = Collections.unmodifiableMap(unseenByFeature);
    int[][] split = stratifiedSplit(labels, rows, spec.validationFraction(), spec.training().seed());
    this.train = split[0];
    this.validation = split[1];
  }

  /** The study's required columns (features, then the label) that {@code table} lacks, in study order. */
  public static List<String> missingColumns(Table table, StudySpec spec) {
    return spec.requiredColumns().stream().filter(c -> table.columnIndex(c) < 0).toList();
  }

  /**
   * Prepares {@code table} for {@code spec}.
   *
   * @throws DataException if a required column is absent, a numeric feature holds a value that is not a
   *     number, or no row is left after dropping rows; the message is fit to send as the site's reason
   *     for declining the study
   */
  public static StudyData load(Table table, StudySpec spec) throws DataException, IOException {
    return load(table, spec, null);
  }

  /**
   * Prepares {@code table} for {@code spec}, remembering which patient each row belongs to (the site's
   * pseudonymised patient key column), so that differential privacy can protect patients rather than rows.
   *
   * <p>The table is read once, one record at a time, and only the study's columns are kept, in primitive arrays
   * (a float per row and feature, the label, the patient as an index, report subgroups dictionary-encoded). Before
   * anything is allocated, the memory this takes ({@link #bytesPerRow}) is checked against what the heap has free,
   * and data that would not fit is refused with the rows, the estimate and the {@code -Xmx} in effect.
   *
   * @param patientColumn the column holding the patient key, or null when every row is a different patient
   * @throws DataException as {@link #load(Table, StudySpec)}, if the patient column is absent or empty in a row, or if
   *     the rows would not fit in memory
   * @throws IOException if the table cannot be read
   */
  public static StudyData load(Table table, StudySpec spec, String patientColumn) throws DataException, IOException {
    return load(table, spec, patientColumn, MemoryBudget.jvm());
  }

  /** As {@link #load(Table, StudySpec, String)}, within {@code budget}. */
  public static StudyData load(Table table, StudySpec spec, String patientColumn, MemoryBudget budget)
      throws DataException, IOException {
    String file = table.fileName();
    checkColumns(table, spec);
    int patientCol = patientColumn == null ? -1 : table.columnIndex(patientColumn);
    if (patientColumn != null && patientCol < 0)
      throw new DataException(file, 0, patientColumn, "the patient key column '" + patientColumn
          + "' named in the site's data configuration is not in the data");
    Map<String, Integer> subgroupCols = new LinkedHashMap<>();
    for (var g : spec.report().subgroupsFor(new java.util.HashSet<>(table.header())))
      subgroupCols.put(g.column(), table.columnIndex(g.column()));
    int capacity = table.rowCount();
    long bytes = (long) capacity * bytesPerRow(spec, patientCol >= 0, subgroupCols.size());
    budget.require(file, String.format(Locale.ROOT, "preparing %,d rows (%d features and the label%s) for study '%s'",
        capacity, spec.features().size(), patientCol >= 0 ? ", the patient key" : "", spec.name()), bytes,
        "ask for fewer features");

    List<FeatureSpec> features = spec.features();
    int nf = features.size();
    int[] cols = features.stream().mapToInt(f -> table.columnIndex(f.name())).toArray();
    int labelCol = table.columnIndex(spec.labelColumn());
    String positive = spec.labelPositive().trim();
    Double positiveNumber = isNumber(positive) ? Double.valueOf(positive) : null;
    boolean drop = spec.missingValues() == MissingValuePolicy.DROP;

    float[][] values = new float[nf][capacity];
    float[] labels = new float[capacity];
    long[] patientKeys = patientCol >= 0 ? new long[capacity] : null;
    List<String> subgroupNames = new ArrayList<>(subgroupCols.keySet());
    int[] subgroupIndex = subgroupCols.values().stream().mapToInt(Integer::intValue).toArray();
    int[][] subgroupCodes = new int[subgroupIndex.length][capacity];
    List<Map<String, Integer>> dictionaries = new ArrayList<>();
    List<List<String>> dictionaryValues = new ArrayList<>();
    for (int g = 0; g < subgroupIndex.length; g++) {
      dictionaries.add(new java.util.HashMap<>());
      dictionaryValues.add(new ArrayList<>());
    }

    long[] missing = new long[nf];
    long[] unseen = new long[nf];
    long droppedMissing = 0;
    long droppedLabel = 0;
    long read = 0;
    int kept = 0;
    float[] row = new float[nf];
    try (Records r = table.open()) {
      while (r.next()) {
        read++;
        boolean anyMissing = false;
        for (int f = 0; f < nf; f++) {
          FeatureSpec feature = features.get(f);
          String raw = r.value(cols[f]).trim();
          if (isMissing(raw)) {
            row[f] = Float.NaN;
            missing[f]++;
            anyMissing = true;
          } else if (feature.type() == FeatureSpec.Type.NUMERIC) {
            row[f] = (float) number(raw, file, r.line(), feature.name());
          } else {
            int category = feature.categories().indexOf(raw);
            if (category < 0) unseen[f]++;
            row[f] = category < 0 ? (float) UNSEEN : category;
          }
        }
        String label = r.value(labelCol).trim();
        if (isMissing(label)) {
          droppedLabel++;
          continue;
        }
        if (anyMissing && drop) {
          droppedMissing++;
          continue;
        }
        boolean isPositive = label.equals(positive)
            || (positiveNumber != null && isNumber(label) && Double.parseDouble(label) == positiveNumber);
        if (kept == capacity) {
          // more records than the table said: grow (and check again) rather than fail
          capacity = Math.max(16, capacity + (capacity >> 1));
          budget.require(file, String.format(Locale.ROOT, "preparing more than %,d rows for study '%s'", kept,
              spec.name()), (long) (capacity - kept) * bytesPerRow(spec, patientCol >= 0, subgroupIndex.length), null);
          for (int f = 0; f < nf; f++) values[f] = Arrays.copyOf(values[f], capacity);
          labels = Arrays.copyOf(labels, capacity);
          if (patientKeys != null) patientKeys = Arrays.copyOf(patientKeys, capacity);
          for (int g = 0; g < subgroupCodes.length; g++) subgroupCodes[g] = Arrays.copyOf(subgroupCodes[g], capacity);
        }
        if (patientCol >= 0) {
          String key = r.value(patientCol).trim();
          if (key.isEmpty()) throw new DataException(file, r.line(), patientColumn, "the patient key is empty");
          patientKeys[kept] = hash64(key);
        }
        for (int g = 0; g < subgroupIndex.length; g++) {
          String v = r.value(subgroupIndex[g]).trim();
          Map<String, Integer> d = dictionaries.get(g);
          Integer code = d.get(v);
          if (code == null) {
            code = d.size();
            d.put(v, code);
            dictionaryValues.get(g).add(v);
          }
          subgroupCodes[g][kept] = code;
        }
        for (int f = 0; f < nf; f++) values[f][kept] = row[f];
        labels[kept] = isPositive ? 1f : 0f;
        kept++;
      }
    }
    if (kept == 0) {
      throw new DataException(file, 0, null, "no usable rows: " + read + " read, " + droppedLabel
          + " without a label, " + droppedMissing + " with a missing feature value (missingValues "
          + spec.missingValues().wireName() + ")");
    }
    Map<String, Long> missingBy = new LinkedHashMap<>();
    Map<String, Long> unseenBy = new LinkedHashMap<>();
    for (int f = 0; f < nf; f++) {
      missingBy.put(features.get(f).name(), missing[f]);
      if (features.get(f).type() == FeatureSpec.Type.CATEGORICAL) unseenBy.put(features.get(f).name(), unseen[f]);
    }
    StudyData data = new StudyData(spec, file, values, kept, labels, read, droppedMissing, droppedLabel, missingBy,
        unseenBy);
    if (patientKeys != null) {
      data.patients = denseFirstSeen(patientKeys, kept);
      data.patientCount = 0;
      for (int i = 0; i < kept; i++) data.patientCount = Math.max(data.patientCount, data.patients[i] + 1);
      data.patientColumn = patientColumn;
    }
    Map<String, Dictionary> subgroups = new LinkedHashMap<>();
    for (int g = 0; g < subgroupIndex.length; g++)
      subgroups.put(subgroupNames.get(g), new Dictionary(List.copyOf(dictionaryValues.get(g)), subgroupCodes[g]));
    data.subgroupValues = Collections.unmodifiableMap(subgroups);
    return data;
  }

  /**
   * The heap one row takes while a study is prepared and encoded: a float per feature, the label, the patient (an
   * index, and a 64-bit key and its sorted copy while loading), a code per report subgroup, the split's indices and
   * shuffle, and the encoded inputs and label.
   */
  static long bytesPerRow(StudySpec spec, boolean patients, int subgroups) {
    return 4L * spec.features().size() + 4 + (patients ? 4 + 16 : 0) + 4L * subgroups + 12 + 4L * spec.inputWidth() + 4;
  }

  /** A 64-bit hash of a patient key (FNV-1a, then a mixing step): distinct keys collide with negligible probability. */
  private static long hash64(String key) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < key.length(); i++) {
      h ^= key.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  /** Per row, its key as a dense index {@code 0..distinct-1}, numbered in order of first appearance. */
  private static int[] denseFirstSeen(long[] keys, int n) {
    long[] sorted = Arrays.copyOf(keys, n);
    Arrays.sort(sorted);
    int distinct = 0;
    for (int i = 0; i < n; i++) if (i == 0 || sorted[i] != sorted[i - 1]) sorted[distinct++] = sorted[i];
    int[] first = new int[distinct];
    Arrays.fill(first, -1);
    int[] out = new int[n];
    int next = 0;
    for (int i = 0; i < n; i++) {
      int rank = Arrays.binarySearch(sorted, 0, distinct, keys[i]);
      if (first[rank] < 0) first[rank] = next++;
      out[i] = first[rank];
    }
    return out;
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
    return patientsOf(train);
  }

  private int[] patientsOf(int[] split) {
    if (patients == null) return null;
    int[] index = new int[patientCount];
    Arrays.fill(index, -1);
    int next = 0;
    int[] out = new int[split.length];
    for (int i = 0; i < split.length; i++) {
      int p = patients[split[i]];
      if (index[p] < 0) index[p] = next++;
      out[i] = index[p];
    }
    return out;
  }

  /**
   * For each validation row (in {@link #encode} order), its patient as a dense index, or null when no patient column
   * was given (every row its own patient). Small-cell rules count patients, not rows.
   */
  public int[] validationPatients() {
    return patientsOf(validation);
  }

  /**
   * Distinct patients among the kept rows with a positive and with a negative label: {@code {negatives, positives}}.
   * A patient with rows of both labels counts in both. Without a patient column every row is a patient.
   */
  public long[] patientsPerClass() {
    if (patients == null) {
      long pos = 0;
      for (int i = 0; i < rows; i++) if (labels[i] > 0.5f) pos++;
      return new long[] {rows - pos, pos};
    }
    java.util.BitSet pos = new java.util.BitSet(patientCount), neg = new java.util.BitSet(patientCount);
    for (int i = 0; i < rows; i++) (labels[i] > 0.5f ? pos : neg).set(patients[i]);
    return new long[] {neg.cardinality(), pos.cardinality()};
  }

  /**
   * The raw (trimmed) values of report subgroup column {@code column} in the validation rows, in {@link #encode} order;
   * null if the column is not one of the study's report subgroups or the data lacks it.
   */
  public String[] validationValues(String column) {
    Dictionary all = subgroupValues.get(column);
    if (all == null) return null;
    String[] out = new String[validation.length];
    for (int i = 0; i < validation.length; i++) out[i] = all.values().get(all.codes()[validation[i]]);
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
      float[] column = values[f];
      for (int r : train) {
        double v = column[r];
        if (Double.isNaN(v)) continue;
        count++;
        sum += v;
        sumSquares += v * v;
      }
      moments.add(new NumericMoments(features.get(f).name(), count, sum, sumSquares));
    }
    return new SiteStatistics(rowsRead, rows, rowsDroppedMissing, rowsDroppedLabel, missingByFeature,
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
    float[] x = new float[Math.multiplyExact(rows.length, width)];
    float[] y = new float[rows.length];
    double[] encoded = new double[width];
    for (int i = 0; i < rows.length; i++) {
      int row = rows[i];
      Arrays.fill(encoded, 0);
      int col = 0;
      for (int f = 0; f < features.size(); f++) {
        FeatureSpec feature = features.get(f);
        double v = values[f][row];
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

  private static void checkColumns(Table table, StudySpec spec) throws DataException {
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
    return trimmed.isEmpty() || (trimmed.length() <= 4 && MISSING.contains(trimmed.toLowerCase(Locale.ROOT)));
  }

  /** Whether {@code s} is a decimal number as {@code [+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?} describes it. */
  static boolean isNumber(String s) {
    int i = 0;
    int n = s.length();
    if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
    int whole = 0;
    while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
      i++;
      whole++;
    }
    int fraction = 0;
    if (i < n && s.charAt(i) == '.') {
      i++;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        i++;
        fraction++;
      }
    }
    if (whole == 0 && fraction == 0) return false;
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
      int exponent = 0;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        i++;
        exponent++;
      }
      if (exponent == 0) return false;
    }
    return i == n;
  }

  private static double number(String raw, String file, int line, String column) throws DataException {
    if (isNumber(raw)) {
      double v = Double.parseDouble(raw);
      if (Double.isFinite(v)) return v;
    }
    throw new DataException(file, line, column, "\"" + raw + "\" is not a number",
        "a value that is not a number (the value is in the site's log, not sent)");
  }

  /** Indices of training and validation rows, each ascending; stratified by label, deterministic for a seed. */
  static int[][] stratifiedSplit(float[] labels, double validationFraction, long seed) {
    return stratifiedSplit(labels, labels.length, validationFraction, seed);
  }

  /**
   * As {@link #stratifiedSplit(float[], double, long)} over the first {@code n} labels, in primitive arrays: the same
   * split as shuffling each class's row list with {@code Collections.shuffle(members, new Random(seed))}.
   */
  static int[][] stratifiedSplit(float[] labels, int n, double validationFraction, long seed) {
    Random rng = new Random(seed);
    int[] train = new int[n];
    int[] validation = new int[n];
    int nTrain = 0;
    int nValidation = 0;
    int[] members = new int[n];
    for (float cls : new float[] {0f, 1f}) {
      int m = 0;
      for (int i = 0; i < n; i++) if (labels[i] == cls) members[m++] = i;
      for (int i = m; i > 1; i--) {
        int j = rng.nextInt(i);
        int t = members[i - 1];
        members[i - 1] = members[j];
        members[j] = t;
      }
      int nVal = (int) Math.round(m * validationFraction);
      if (m >= 2) nVal = Math.max(1, Math.min(m - 1, nVal));
      else nVal = 0;
      System.arraycopy(members, 0, validation, nValidation, nVal);
      nValidation += nVal;
      System.arraycopy(members, nVal, train, nTrain, m - nVal);
      nTrain += m - nVal;
    }
    train = Arrays.copyOf(train, nTrain);
    validation = Arrays.copyOf(validation, nValidation);
    Arrays.sort(train);
    Arrays.sort(validation);
    return new int[][] {train, validation};
  }
}
