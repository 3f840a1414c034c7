package org.dure.learning.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.SiteStatistics;
import org.dure.protocol.wire.SiteStatistics.NumericMoments;
import org.dure.tabular.CsvTable;
import org.dure.tabular.DataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyDataTest {
  @TempDir Path dir;

  private static final String FEATURES = "[\"age\", \"bmi\", {\"name\": \"smoking\", \"type\": \"categorical\", "
      + "\"categories\": [\"never\", \"former\", \"current\"]}]";

  private static StudySpec spec(String features, String missing, double validation, long seed) {
    return StudySpecParser.parse("{\"name\": \"t\", \"model\": {\"kind\": \"logistic_regression\"}, \"features\": " + features
        + ", \"label\": {\"column\": \"outcome\", \"positive\": \"1\"}, \"missingValues\": \"" + missing + "\","
        + " \"training\": {\"seed\": " + seed + "}, \"validationFraction\": " + validation + "}");
  }

  private static StudySpec spec(String missing) {
    return spec(FEATURES, missing, 0.2, 42);
  }

  private CsvTable table(String content) throws IOException, DataException {
    Path file = dir.resolve("hospital-a.csv");
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return CsvTable.read(file);
  }

  private StudyData load(String content, StudySpec spec) throws Exception {
    return StudyData.load(table(content), spec);
  }

  /** Scaling that leaves values unchanged, with the given impute values. */
  private static FeatureScaling identity(StudySpec spec, Map<String, Double> impute) {
    int w = spec.inputWidth();
    double[] ones = new double[w];
    java.util.Arrays.fill(ones, 1);
    return new FeatureScaling(new double[w], ones, impute);
  }

  /** All rows of both splits, decoded back to lists for easy comparison. */
  private static List<List<Float>> rows(EncodedSplit s) {
    List<List<Float>> out = new java.util.ArrayList<>();
    for (int r = 0; r < s.rows(); r++) {
      List<Float> row = new java.util.ArrayList<>();
      for (int c = 0; c < s.cols(); c++) row.add(s.x()[r * s.cols() + c]);
      row.add(s.y()[r]);
      out.add(row);
    }
    return out;
  }

  private static List<List<Float>> allRows(EncodedDataset d) {
    List<List<Float>> out = new java.util.ArrayList<>(rows(d.train()));
    out.addAll(rows(d.validation()));
    out.sort(java.util.Comparator.comparing(Object::toString));
    return out;
  }

  @Test void missingColumnsListsAbsentFeaturesAndLabelInStudyOrder() throws Exception {
    CsvTable t = table("id,bmi,smoking\n1,20,never\n");
    assertEquals(List.of("age", "outcome"), StudyData.missingColumns(t, spec("drop")));
  }

  @Test void loadDeclinesNamingTheMissingColumns() {
    DataException e = assertThrows(DataException.class, () -> load("age,smoking,outcome\n60,never,1\n", spec("drop")));
    assertEquals("hospital-a.csv: missing columns [bmi]", e.getMessage());
  }

  @Test void loadDeclinesWhenNoFeatureColumnIsPresent() {
    DataException e = assertThrows(DataException.class, () -> load("id,outcome\n1,0\n", spec("drop")));
    assertEquals("hospital-a.csv: none of the study's feature columns [age, bmi, smoking] are present", e.getMessage());
    DataException noLabel = assertThrows(DataException.class, () -> load("id\n1\n", spec("drop")));
    assertEquals("hospital-a.csv: none of the study's feature columns [age, bmi, smoking] are present, nor the label column \"outcome\"",
        noLabel.getMessage());
  }

  @Test void nonNumericCellFailsNamingFileLineAndColumn() {
    DataException e = assertThrows(DataException.class,
        () -> load("age,bmi,smoking,outcome\n60,22.5,never,0\n61,abc,former,1\n", spec("drop")));
    assertEquals("hospital-a.csv line 3, column \"bmi\": \"abc\" is not a number", e.getMessage());
    assertEquals("hospital-a.csv line 3, column \"bmi\": a value that is not a number (the value is in the site's log,"
        + " not sent)", e.publicMessage(), "what leaves the hospital names no value");
    assertEquals("hospital-a.csv", e.file());
    assertEquals(3, e.line());
    assertEquals("bmi", e.column());
  }

  @Test void nonNumericCellAfterAMultilineRecordReportsThePhysicalLine() {
    DataException e = assertThrows(DataException.class,
        () -> load("age,bmi,smoking,outcome,note\n60,22,never,0,\"two\nlines\"\n61,\"1,5\",never,1,\n", spec("drop")));
    assertEquals("hospital-a.csv line 4, column \"bmi\": \"1,5\" is not a number", e.getMessage());
  }

  @Test void numbersMustBePlainDecimals() throws Exception {
    for (String bad : List.of("12kg", "0x10", "1d", "Infinity", "1e999", "--1")) {
      DataException e = assertThrows(DataException.class,
          () -> load("age,bmi,smoking,outcome\n60," + bad + ",never,0\n", spec("drop")), bad);
      assertEquals("\"" + bad + "\" is not a number", e.detail());
    }
    StudyData ok = load("age,bmi,smoking,outcome\n+60,2.2e1,never,0\n-.5, 7. ,never,0\n", spec(FEATURES, "drop", 0.5, 1));
    assertEquals(2, ok.statistics().rowsUsed());
  }

  @Test void labelIsPositiveWhenTextOrNumberMatches() throws Exception {
    StudyData d = load("age,bmi,smoking,outcome\n1,1,never,1\n2,1,never, 1.0 \n3,1,never,0\n4,1,never,yes\n5,1,never,01\n",
        spec(FEATURES, "drop", 0.2, 1));
    List<List<Float>> rows = allRows(d.encode(identity(spec("drop"), Map.of())));
    assertEquals(List.of(1f, 1f, 0f, 0f, 1f), rows.stream().sorted(java.util.Comparator.comparing(r -> r.get(0)))
        .map(r -> r.get(r.size() - 1)).toList());
  }

  @Test void textLabelsMatchThePositiveValueExactlyAfterTrimming() throws Exception {
    StudySpec yes = StudySpecParser.parse(spec("drop").toJson().replace("\"positive\":\"1\"", "\"positive\":\"yes\""));
    StudyData d = load("age,bmi,smoking,outcome\n1,1,never, yes\n2,1,never,no\n3,1,never,YES\n4,1,never,yes\n", yes);
    assertEquals(2, d.encode(identity(yes, Map.of())).train().positives() + d.encode(identity(yes, Map.of())).validation().positives());
  }

  @Test void rowsWithoutLabelAreDroppedAndCounted() throws Exception {
    SiteStatistics s = load("age,bmi,smoking,outcome\n1,1,never,1\n2,1,never,\n3,1,never,NA\n4,1,never,0\n", spec("drop")).statistics();
    assertEquals(4, s.rowsRead());
    assertEquals(2, s.rowsDroppedLabel());
    assertEquals(2, s.rowsUsed());
  }

  @Test void missingTokensAreRecognisedInAnyCase() throws Exception {
    SiteStatistics s = load("age,bmi,smoking,outcome\n1,,never,1\n2,na,never,0\n3, N/A ,never,1\n4,nan,never,0\n5,NULL,never,1\n6,7,never,0\n",
        spec("impute_mean")).statistics();
    assertEquals(5L, s.missingByFeature().get("bmi"));
    assertEquals(0L, s.missingByFeature().get("age"));
    assertEquals(6, s.rowsUsed());
  }

  @Test void dropPolicyDropsRowsWithAMissingValueAndCountsPerFeature() throws Exception {
    SiteStatistics s = load("age,bmi,smoking,outcome\n1,20,never,1\n2,NA,never,0\n,21,NA,1\n4,22,former,0\n5,23,current,1\n",
        spec("drop")).statistics();
    assertEquals(5, s.rowsRead());
    assertEquals(2, s.rowsDroppedMissing());
    assertEquals(3, s.rowsUsed());
    assertEquals(Map.of("age", 1L, "bmi", 1L, "smoking", 1L), s.missingByFeature());
  }

  @Test void imputePolicyKeepsRowsUsingTheFederatedMeanAndAnAllZeroOneHot() throws Exception {
    StudySpec spec = spec(FEATURES, "impute_mean", 0.5, 3);
    StudyData d = load("age,bmi,smoking,outcome\n10,NA,never,1\n,30,,0\n", spec);
    SiteStatistics s = d.statistics();
    assertEquals(0, s.rowsDroppedMissing());
    assertEquals(2, s.rowsUsed());
    assertEquals(Map.of("age", 1L, "bmi", 1L, "smoking", 1L), s.missingByFeature());
    List<List<Float>> rows = allRows(d.encode(identity(spec, Map.of("age", 55.0, "bmi", 24.5))));
    assertEquals(List.of(List.of(10f, 24.5f, 1f, 0f, 0f, 1f), List.of(55f, 30f, 0f, 0f, 0f, 0f)), rows);
  }

  @Test void imputedValueIsStandardisedLikeAnyOther() throws Exception {
    StudySpec spec = spec("[\"age\"]", "impute_mean", 0.5, 3);
    StudyData d = load("age,outcome\nNA,1\n50,0\n", spec);
    EncodedDataset e = d.encode(new FeatureScaling(new double[] {40}, new double[] {5}, Map.of("age", 40.0)));
    assertEquals(List.of(List.of(0f, 1f), List.of(2f, 0f)), allRows(e));
  }

  @Test void encodingWithoutAnImputeValueForAMissingNumberFails() throws Exception {
    StudySpec spec = spec("[\"age\"]", "impute_mean", 0.5, 3);
    StudyData d = load("age,outcome\nNA,1\n50,0\n", spec);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.encode(identity(spec, Map.of())));
    assertEquals("scaling has no impute value for numeric feature 'age', which is missing in hospital-a.csv;"
        + " the coordinator must send imputeValues for policy impute_mean", e.getMessage());
  }

  @Test void categoriesAreOneHotInStudyOrderAndUnseenValuesAreZerosAndCounted() throws Exception {
    StudySpec spec = spec(FEATURES, "drop", 0.5, 3);
    StudyData d = load("age,bmi,smoking,outcome\n1,1,current,1\n2,1,never,0\n3,1,sometimes,1\n4,1,Never,0\n5,1,former,0\n", spec);
    SiteStatistics s = d.statistics();
    assertEquals(Map.of("smoking", 2L), s.unseenByFeature());
    assertEquals(0, s.rowsDroppedMissing());
    assertEquals(5, s.rowsUsed());
    List<List<Float>> rows = allRows(d.encode(identity(spec, Map.of())));
    assertEquals(List.of(
        List.of(1f, 1f, 0f, 0f, 1f, 1f),
        List.of(2f, 1f, 1f, 0f, 0f, 0f),
        List.of(3f, 1f, 0f, 0f, 0f, 1f),
        List.of(4f, 1f, 0f, 0f, 0f, 0f),
        List.of(5f, 1f, 0f, 1f, 0f, 0f)), rows);
  }

  @Test void splitIsStratifiedByLabel() throws Exception {
    StringBuilder csv = new StringBuilder("age,bmi,smoking,outcome\n");
    for (int i = 0; i < 100; i++) csv.append(i).append(",20,never,").append(i % 10 == 0 ? 1 : 0).append('\n');
    StudyData d = load(csv.toString(), spec("drop"));
    EncodedDataset e = d.encode(identity(spec("drop"), Map.of()));
    assertEquals(80, d.trainRows());
    assertEquals(20, d.validationRows());
    assertEquals(8, e.train().positives());
    assertEquals(2, e.validation().positives());
  }

  @Test void smallClassAppearsInBothSplits() throws Exception {
    StringBuilder csv = new StringBuilder("age,bmi,smoking,outcome\n");
    for (int i = 0; i < 30; i++) csv.append(i).append(",20,never,").append(i < 2 ? 1 : 0).append('\n');
    EncodedDataset e = load(csv.toString(), spec(FEATURES, "drop", 0.1, 9)).encode(identity(spec("drop"), Map.of()));
    assertEquals(1, e.train().positives());
    assertEquals(1, e.validation().positives());
  }

  @Test void singleRowOfAClassStaysInTraining() throws Exception {
    EncodedDataset e = load("age,bmi,smoking,outcome\n1,1,never,1\n2,1,never,0\n3,1,never,0\n", spec(FEATURES, "drop", 0.4, 9))
        .encode(identity(spec("drop"), Map.of()));
    assertEquals(1, e.train().positives());
    assertEquals(List.of(0f), rows(e.validation()).stream().map(r -> r.get(r.size() - 1)).toList());
  }

  @Test void splitIsDeterministicForTheSeedAndChangesWithIt() throws Exception {
    StringBuilder csv = new StringBuilder("age,bmi,smoking,outcome\n");
    for (int i = 0; i < 200; i++) csv.append(i).append(",20,never,").append(i % 3 == 0 ? 1 : 0).append('\n');
    CsvTable t = table(csv.toString());
    StudySpec s42 = spec(FEATURES, "drop", 0.25, 42);
    EncodedSplit a = StudyData.load(t, s42).encode(identity(s42, Map.of())).validation();
    EncodedSplit b = StudyData.load(t, s42).encode(identity(s42, Map.of())).validation();
    StudySpec s7 = spec(FEATURES, "drop", 0.25, 7);
    EncodedSplit c = StudyData.load(t, s7).encode(identity(s7, Map.of())).validation();
    assertEquals(a, b);
    assertNotEquals(a, c);
    assertEquals(a.rows(), c.rows());
  }

  @Test void stratifiedSplitKeepsRowsInFileOrder() {
    float[] labels = {0, 1, 0, 1, 0, 1, 0, 1, 0, 0};
    int[][] split = StudyData.stratifiedSplit(labels, 0.3, 5);
    assertEquals(10, split[0].length + split[1].length);
    for (int[] part : split) for (int i = 1; i < part.length; i++) assertTrue(part[i - 1] < part[i]);
    assertArrayEquals(split[1], StudyData.stratifiedSplit(labels, 0.3, 5)[1]);
  }

  @Test void statisticsCoverOnlyTheTrainingSplitAndSkipMissingValues() throws Exception {
    StringBuilder csv = new StringBuilder("age,bmi,smoking,outcome\n");
    for (int i = 0; i < 50; i++) csv.append(i).append(',').append(i == 7 ? "NA" : "2").append(",never,").append(i % 2).append('\n');
    StudySpec spec = spec(FEATURES, "impute_mean", 0.2, 42);
    StudyData d = load(csv.toString(), spec);
    SiteStatistics s = d.statistics();
    NumericMoments age = s.numeric().get(0);
    NumericMoments bmi = s.numeric().get(1);
    assertEquals(List.of("age", "bmi"), s.numeric().stream().map(NumericMoments::feature).toList());
    assertEquals(d.trainRows(), age.count());
    assertEquals(40, d.trainRows());
    List<List<Float>> train = rows(d.encode(identity(spec, Map.of("age", 0.0, "bmi", -1.0))).train());
    double ageSum = train.stream().mapToDouble(r -> r.get(0)).sum();
    double ageSquares = train.stream().mapToDouble(r -> r.get(0) * r.get(0)).sum();
    assertEquals(ageSum, age.sum(), 1e-9);
    assertEquals(ageSquares, age.sumSquares(), 1e-9);
    boolean row7InTrain = train.stream().anyMatch(r -> r.get(0) == 7f);
    assertEquals(row7InTrain ? 39 : 40, bmi.count());
    assertEquals(2.0 * bmi.count(), bmi.sum(), 1e-12);
  }

  @Test void encodingWithOwnStatisticsStandardisesNumericColumns() throws Exception {
    Random rng = new Random(1);
    StringBuilder csv = new StringBuilder("age,bmi,smoking,outcome\n");
    for (int i = 0; i < 500; i++) {
      csv.append(40 + 15 * rng.nextGaussian()).append(',').append(24 + 3.5 * rng.nextGaussian()).append(',')
          .append(List.of("never", "former", "current").get(rng.nextInt(3))).append(',').append(rng.nextInt(2)).append('\n');
    }
    StudySpec spec = spec("drop");
    StudyData d = load(csv.toString(), spec);
    FeatureScaling scaling = FeatureScaling.fromMoments(spec, d.statistics().numeric());
    EncodedSplit train = d.encode(scaling).train();
    for (int c = 0; c < 2; c++) {
      double sum = 0;
      double squares = 0;
      for (int r = 0; r < train.rows(); r++) {
        double v = train.x()[r * train.cols() + c];
        sum += v;
        squares += v * v;
      }
      double mean = sum / train.rows();
      assertEquals(0, mean, 1e-5, "mean of column " + c);
      assertEquals(1, Math.sqrt(squares / train.rows() - mean * mean), 1e-5, "sd of column " + c);
    }
    for (int r = 0; r < train.rows(); r++) {
      float oneHotSum = train.x()[r * train.cols() + 2] + train.x()[r * train.cols() + 3] + train.x()[r * train.cols() + 4];
      assertEquals(1f, oneHotSum, "one-hot columns are left as 0/1");
    }
  }

  @Test void scalingOfTheWrongWidthIsRejected() throws Exception {
    StudyData d = load("age,bmi,smoking,outcome\n1,1,never,1\n", spec("drop"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> d.encode(new FeatureScaling(new double[2], new double[] {1, 1}, Map.of())));
    assertEquals("scaling has 2 columns but study 't' encodes 5 inputs [age, bmi, smoking=never, smoking=former, smoking=current]",
        e.getMessage());
  }

  @Test void noUsableRowsFails() {
    DataException e = assertThrows(DataException.class,
        () -> load("age,bmi,smoking,outcome\n1,NA,never,1\n2,1,never,NA\n", spec("drop")));
    assertEquals("hospital-a.csv: no usable rows: 2 read, 1 without a label, 1 with a missing feature value (missingValues drop)",
        e.getMessage());
  }

  /** {@code table} claiming {@code rows} records, as a large extract's pseudonymised cache would. */
  private static org.dure.tabular.Table claiming(CsvTable table, int rows) {
    return new org.dure.tabular.Table() {
      @Override public String sourceName() { return table.sourceName(); }
      @Override public List<String> header() { return table.header(); }
      @Override public int rowCount() { return rows; }
      @Override public org.dure.tabular.Records open() { return table.open(); }
    };
  }

  @Test void dataThatWouldNotFitTheHeapIsRefusedWithRowsEstimateAndXmxBeforeAnythingIsAllocated() throws Exception {
    CsvTable t = table("age,bmi,smoking,outcome\n63,27,never,1\n58,31,former,0\n");
    StudySpec spec = spec("drop");
    long perRow = StudyData.bytesPerRow(spec, false, 1);   // the default report bands age
    org.dure.tabular.MemoryBudget small = org.dure.tabular.MemoryBudget.fixed(256L << 20, 100L << 20);

    DataException e = assertThrows(DataException.class,
        () -> StudyData.load(claiming(t, 5_860_000), spec, null, small));

    assertEquals("hospital-a.csv: preparing 5,860,000 rows (3 features and the label) for study 't' needs about "
        + org.dure.tabular.MemoryBudget.size(5_860_000L * perRow) + " of memory, but the agent has 124 MiB free (-Xmx256m in"
        + " effect, 100 MiB in use); start the agent with a larger heap, e.g. -Xmx1g (the java command in its systemd unit"
        + " or launch script), or ask for fewer features", e.getMessage());
    assertEquals(e.getMessage(), e.publicMessage(), "no data value in it: it may be the decline reason");
    assertTrue(5_860_000L * perRow < 1L << 30, "5.86M rows of a 3-feature study take well under 1 GiB: " + perRow + " B/row");
    assertEquals(2, StudyData.load(claiming(t, 2), spec, null, small).statistics().rowsUsed(), "a small table fits");
  }

  @Test void patientsAreDenseIndicesInOrderOfFirstAppearance() throws Exception {
    CsvTable t = table("pid,age,bmi,smoking,outcome\nb,60,20,never,1\na,61,21,never,0\nb,62,22,never,0\nc,63,23,never,1\n");
    StudyData d = StudyData.load(t, spec(FEATURES, "drop", 0.2, 1), "pid");
    assertArrayEquals(new long[] {2, 2}, d.patientsPerClass(), "b has rows of both labels and counts in both");
    int[] train = d.trainPatients();
    assertEquals(2, train.length);
    assertEquals(0, train[0], "numbered from 0 in order of first appearance");
    assertTrue(train[1] <= 1);
  }
}
