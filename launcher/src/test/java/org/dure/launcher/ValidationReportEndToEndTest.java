package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dure.tabular.CsvTable;
import org.dure.learning.data.EncodedSplit;
import org.dure.learning.data.StudyData;
import org.dure.learning.eval.BinaryMetrics;
import org.dure.learning.train.Architecture;
import org.dure.learning.train.Predictor;
import org.dure.learning.train.TrainingData;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.model.ModelFiles;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-centre validation report on WDBC split across three real agents: every figure the coordinator built from
 * the sites' aggregate counts equals the same figure computed here from the raw predictions of the saved final model
 * on each site's validation split (reproduced with the same {@link StudyData} loading the agent uses), and a subgroup
 * smaller than the sites' minimum cell size (10) leaves as a name only.
 *
 * <p>Tolerances: counts are exact; accuracy, sensitivity and specificity are ratios of exact counts (1e-12); Brier and
 * calibration means are float sums in another order (1e-9). Sites merge their 1000-bin score histograms and their 10
 * calibration bins into groups of adjacent bins holding at least {@value #MIN_CELL} patients of each class (counts at
 * the class's median bin in the group for scores, the group's first bin for calibration): the test merges the raw
 * predictions the same way ({@link #groups}) and checks each site's calibration bins exactly. A score moves within its
 * group, by less than the widest group W, so only a positive and a negative less than 2W fine bins apart can be
 * misordered. Each site also sends the exact pair count its merged histogram loses, so a site's AUC (overall and per
 * subgroup) is exact (1e-9); a pooled AUC may differ from the exact rank AUC by at most the share of close pairs of two
 * sites' examples, which the test bounds by the share of all close pairs.
 */
class ValidationReportEndToEndTest {
  private static final double THRESHOLD = 0.4;
  private static final int MIN_CELL = 10;
  @TempDir Path dir;

  @Test
  void reportFromSiteCountsMatchesPooledComputationFromRawPredictionsAndSuppressesSmallSubgroups() throws Exception {
    // Prepare: WDBC with two synthetic patient columns; at site-c only ~4% of rows are "M", so its validation split
    // holds fewer than 10 of them
    List<String> wdbc = WdbcFederatedTrainingTest.readWdbc();
    List<String> rows = new ArrayList<>(wdbc.subList(1, wdbc.size()));
    Collections.shuffle(rows, new Random(11));
    Random rnd = new Random(5);
    List<Path> csvs = new ArrayList<>();
    int per = rows.size() / 3;
    try (TestConsortium c = new TestConsortium(dir)) {
      for (int s = 0; s < 3; s++) {
        List<String> lines = new ArrayList<>(List.of(wdbc.get(0) + ",sex,age"));
        for (String r : rows.subList(s * per, s == 2 ? rows.size() : (s + 1) * per)) {
          String sex = rnd.nextDouble() < (s == 2 ? 0.04 : 0.5) ? "M" : "F";
          lines.add(r + "," + sex + "," + (30 + rnd.nextInt(60)));
        }
        Path csv = TestConsortium.write(dir.resolve("data/site-" + s + ".csv"), lines);
        csvs.add(csv);
        c.agent("site-" + (char) ('a' + s), csv);
      }
      c.awaitSites(3);
      String features = Arrays.stream(wdbc.get(0).split(",")).filter(h -> !h.equals("diagnosis"))
          .map(h -> "\"" + h + "\"").reduce((a, b) -> a + "," + b).orElseThrow();
      String studyJson = TestConsortium.plain("""
          {"name": "wdbc-report", "model": {"kind": "logistic_regression"}, "features": [%s],
           "label": {"column": "diagnosis", "positive": "M"},
           "training": {"rounds": 4, "localEpochs": 1, "batchSize": 16, "learningRate": 0.05, "seed": 3},
           "minSites": 3, "roundDeadlineSeconds": 60, "validationFraction": 0.3,
           "report": {"threshold": %s, "subgroups": ["sex", {"column": "age", "bands": [50, 70]}]}}
          """.formatted(features, THRESHOLD));

      // Execute
      String id = c.run(studyJson);
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(3));
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      TestConsortium.Response response = c.get("/api/studies/" + id + "/report");
      String html = new String(c.getBytes("/api/studies/" + id + "/report.html"), StandardCharsets.UTF_8);

      // Assert: the report is served, stored next to the model, and drawn without anything from elsewhere
      assertEquals(200, response.status(), String.valueOf(response.body()));
      JsonNode report = response.body();
      Path model = Path.of(end.path("modelDir").asText());
      assertTrue(Files.isRegularFile(model.resolve("report.json")) && Files.isRegularFile(model.resolve("report.html")));
      assertTrue(html.contains("<svg") && html.contains("site-c") && !html.contains("<script") && !html.contains("src="));
      assertEquals(THRESHOLD, report.path("threshold").asDouble());

      // Assert: every site's figures, and the pooled ones, from the raw predictions of the final model
      StudySpec spec = StudySpecParser.parse(end.path("spec").toString());
      JsonNode desc = TestConsortium.JSON.readTree(model.resolve("model.json").toFile());
      FeatureScaling scaling = new FeatureScaling(
          TestConsortium.JSON.convertValue(desc.path("scaling").path("means"), double[].class),
          TestConsortium.JSON.convertValue(desc.path("scaling").path("scales"), double[].class), Map.of());
      float[] params = ModelFiles.readParameters(model);
      List<Float> allP = new ArrayList<>(), allY = new ArrayList<>();
      Map<String, List<float[]>> pooledLevels = new LinkedHashMap<>(); // level -> [p, y] rows, non-suppressed only
      int suppressed = 0;
      int pooledWindow = 1, subgroupWindow = 1;
      for (int s = 0; s < 3; s++) {
        String site = "site-" + (char) ('a' + s);
        StudyData data = StudyData.load(CsvTable.read(csvs.get(s)), spec);
        EncodedSplit va = data.encode(scaling).validation();
        float[] p;
        try (TrainingData t = TrainingData.of(va.x(), va.rows(), va.cols(), va.y())) {
          p = Predictor.predictProbabilities(Architecture.logisticRegression(30), params, t);
        }
        float[] y = va.y();
        JsonNode siteReport = siteOf(report, site);
        assertEquals("OK", siteReport.path("status").asText());
        int[] all = new int[p.length];
        for (int i = 0; i < all.length; i++) all[i] = i;
        int siteWindow = window(p, y, all);
        pooledWindow = Math.max(pooledWindow, siteWindow);
        assertMatches(site, p, y, siteReport.path("overall"), true, siteWindow, true);
        for (int i = 0; i < p.length; i++) { allP.add(p[i]); allY.add(y[i]); }

        String[] sex = data.validationValues("sex"), age = data.validationValues("age");
        for (JsonNode g : siteReport.path("subgroups")) {
          String column = g.path("column").asText(), level = g.path("level").asText();
          if (level.equals("(suppressed)")) { // small levels (and their complement) leave merged, without names
            assertTrue(g.path("suppressed").asBoolean(), g.toString());
            assertTrue(g.path("metrics").isNull() || g.path("metrics").isMissingNode(), "no counts for a suppressed subgroup");
            suppressed++;
            continue;
          }
          List<Integer> members = new ArrayList<>();
          for (int i = 0; i < p.length; i++) {
            String v = column.equals("sex") ? sex[i] : band(Double.parseDouble(age[i]));
            if (v.equals(level)) members.add(i);
          }
          assertFalse(members.isEmpty(), site + " reports a level it does not have: " + column + "=" + level);
          long positives = members.stream().filter(i -> y[i] == 1f).count();
          assertTrue(positives >= MIN_CELL && members.size() - positives >= MIN_CELL, site + " named " + column + "="
              + level + " with " + positives + " positive and " + (members.size() - positives) + " negative patients");
          assertFalse(g.path("suppressed").asBoolean());
          float[] gp = new float[members.size()], gy = new float[members.size()];
          for (int k = 0; k < gp.length; k++) { gp[k] = p[members.get(k)]; gy[k] = y[members.get(k)]; }
          // merged to cells of MIN_CELL patients per class, then (under 100 rows) into 20 bins of 50 fine bins each
          int[] mine = members.stream().mapToInt(Integer::intValue).toArray();
          int w = window(p, y, mine) + (gp.length < 100 ? 50 : 0);
          subgroupWindow = Math.max(subgroupWindow, w);
          assertMatches(site + " " + column + "=" + level, gp, gy, g.path("metrics"), false, w, true);
          for (int k = 0; k < gp.length; k++) pooledLevels.computeIfAbsent(column + "=" + level, x -> new ArrayList<>()).add(new float[] {gp[k], gy[k]});
        }
        int levels = siteReport.path("subgroups").size();
        // site-c's ~57 validation patients hold fewer than 10 malignant ones in any age band: it names none
        assertTrue(levels >= (s == 2 ? 2 : 3), site + " reports sex and age levels: " + siteReport.path("subgroups"));
      }
      assertTrue(suppressed >= 1, "site-c's few 'M' rows are below the minimum cell size");
      String siteC = siteOf(report, "site-c").path("subgroups").toString();
      assertTrue(siteC.contains("\"column\":\"sex\",\"level\":\"(suppressed)\",\"suppressed\":true"), siteC);
      assertFalse(siteC.contains("\"level\":\"M\"") || siteC.contains("\"level\":\"F\""),
          "site-c's F is suppressed with its few M (else M = total - F): " + siteC);

      float[] pp = new float[allP.size()], py = new float[allY.size()];
      for (int i = 0; i < pp.length; i++) { pp[i] = allP.get(i); py[i] = allY.get(i); }
      assertMatches("pooled", pp, py, report.path("pooled"), true, pooledWindow, false);
      for (JsonNode g : report.path("pooledSubgroups")) {
        List<float[]> members = pooledLevels.get(g.path("column").asText() + "=" + g.path("level").asText());
        if (members == null) {
          assertTrue(g.path("suppressed").asBoolean());
          continue;
        }
        float[] gp = new float[members.size()], gy = new float[members.size()];
        for (int k = 0; k < gp.length; k++) { gp[k] = members.get(k)[0]; gy[k] = members.get(k)[1]; }
        // pooled over sites' merged histograms: only pairs closer than the widest group can be misordered
        assertMatches("pooled " + g.path("column").asText() + "=" + g.path("level").asText(), gp, gy, g.path("metrics"),
            false, subgroupWindow, false);
      }
      System.out.printf("validation report: pooled AUC %.4f (%.4f-%.4f) over %d patients, %d suppressed subgroup cells%n",
          report.path("pooled").path("auc").asDouble(), report.path("pooled").path("aucLower").asDouble(),
          report.path("pooled").path("aucUpper").asDouble(), pp.length, suppressed);
    }
  }

  private static JsonNode siteOf(JsonNode report, String site) {
    for (JsonNode s : report.path("sites")) if (s.path("site").asText().equals(site)) return s;
    throw new AssertionError("no site " + site + " in " + report.path("sites"));
  }

  private static String band(double age) {
    return age < 50 ? "<50" : age < 70 ? "50-<70" : ">=70";
  }

  /**
   * Groups of adjacent bins in which each class holds no row (here: patient) or at least {@value #MIN_CELL}, a remainder
   * that does not pass merged back into the groups before it: {@code {start, end}} pairs. The sites' rule, written again
   * from its description.
   */
  static List<int[]> groups(long[] pos, long[] neg) {
    List<long[]> out = new ArrayList<>(); // {start, end, positives, negatives}
    long gp = 0, gn = 0;
    int start = 0;
    for (int b = 0; b < pos.length; b++) {
      gp += pos[b];
      gn += neg[b];
      if (ok(gp, gn)) {
        out.add(new long[] {start, b, gp, gn});
        gp = gn = 0;
        start = b + 1;
      }
    }
    if (start < pos.length) {
      while (gp + gn > 0 && !ok(gp, gn) && !out.isEmpty()) {
        long[] last = out.remove(out.size() - 1);
        start = (int) last[0];
        gp += last[2];
        gn += last[3];
      }
      out.add(new long[] {start, pos.length - 1, gp, gn});
    }
    return out.stream().map(g -> new int[] {(int) g[0], (int) g[1]}).toList();
  }

  private static boolean ok(long p, long n) {
    return p + n > 0 && (p == 0 || p >= MIN_CELL) && (n == 0 || n >= MIN_CELL);
  }

  /** The widest merged score-histogram group (in fine bins) over these rows. */
  private static int window(float[] p, float[] y, int[] rows) {
    long[] hp = new long[1000], hn = new long[1000];
    for (int i : rows) {
      int h = Math.min(999, (int) Math.floor(p[i] * 1000.0));
      if (y[i] == 1f) hp[h]++; else hn[h]++;
    }
    int w = 1;
    for (int[] g : groups(hp, hn)) w = Math.max(w, g[1] - g[0] + 1);
    return w;
  }

  /**
   * The report's figures for one group equal those computed here from its raw predictions.
   *
   * @param window the widest merged group (fine bins) a score may have moved by
   * @param siteCalibration whether the calibration bins are one site's merged ones (else a sum over sites: totals only)
   */
  private static void assertMatches(String what, float[] p, float[] y, JsonNode g, boolean withRoc, int window,
                                    boolean siteCalibration) {
    int n = p.length;
    long pos = 0, tp = 0, fp = 0, tn = 0, fn = 0;
    double sse = 0;
    long[] binCount = new long[10], binPos = new long[10];
    double[] binSum = new double[10];
    long[] hp = new long[1000], hn = new long[1000];
    for (int i = 0; i < n; i++) {
      boolean positive = y[i] == 1f, predicted = p[i] >= THRESHOLD;
      if (positive) pos++;
      if (positive && predicted) tp++; else if (positive) fn++; else if (predicted) fp++; else tn++;
      double err = (double) p[i] - y[i];
      sse += err * err;
      int b = Math.min(9, (int) Math.floor(p[i] * 10.0));
      binCount[b]++;
      binSum[b] += p[i];
      if (positive) binPos[b]++;
      int h = Math.min(999, (int) Math.floor(p[i] * 1000.0));
      if (positive) hp[h]++; else hn[h]++;
    }
    long neg = n - pos;
    assertEquals(n, g.path("count").asLong(), what + " count");
    assertEquals(pos, g.path("positives").asLong(), what + " positives");
    assertEquals(List.of(tp, fp, tn, fn), List.of(g.path("truePositives").asLong(), g.path("falsePositives").asLong(),
        g.path("trueNegatives").asLong(), g.path("falseNegatives").asLong()), what + " confusion counts");
    assertEquals((double) (tp + tn) / n, g.path("accuracy").asDouble(), 1e-12, what + " accuracy");
    if (pos > 0) assertEquals((double) tp / pos, g.path("sensitivity").asDouble(), 1e-12, what + " sensitivity");
    if (neg > 0) assertEquals((double) tn / neg, g.path("specificity").asDouble(), 1e-12, what + " specificity");
    assertEquals(sse / n, g.path("brier").asDouble(), 1e-9, what + " Brier");
    long[] binNeg = new long[10];
    for (int b = 0; b < 10; b++) binNeg[b] = binCount[b] - binPos[b];
    long[] mergedCount = new long[10], mergedPos = new long[10];
    double[] mergedSum = new double[10];
    for (int[] grp : groups(binPos, binNeg)) {
      for (int b = grp[0]; b <= grp[1]; b++) {
        mergedCount[grp[0]] += binCount[b];
        mergedPos[grp[0]] += binPos[b];
        mergedSum[grp[0]] += binSum[b];
      }
    }
    long calCount = 0, calPos = 0;
    double calSum = 0;
    for (int b = 0; b < 10; b++) {
      JsonNode bin = g.path("calibration").get(b);
      calCount += bin.path("count").asLong();
      calPos += bin.path("positives").asLong();
      if (bin.path("count").asLong() > 0) calSum += bin.path("count").asLong() * bin.path("meanPredicted").asDouble();
      if (!siteCalibration) continue;
      assertEquals(mergedCount[b], bin.path("count").asLong(), what + " calibration bin " + b);
      assertEquals(mergedPos[b], bin.path("positives").asLong(), what + " calibration bin " + b + " positives");
      if (mergedCount[b] > 0) {
        assertEquals(mergedSum[b] / mergedCount[b], bin.path("meanPredicted").asDouble(), 1e-9, what + " bin " + b);
        assertTrue(ok(mergedPos[b], mergedCount[b] - mergedPos[b]), what + " calibration bin " + b + " holds a class of"
            + " fewer than " + MIN_CELL + " patients");
      }
    }
    assertEquals(n, calCount, what + " calibration counts");
    assertEquals(pos, calPos, what + " calibration positives");
    assertEquals(Arrays.stream(binSum).sum(), calSum, 1e-6, what + " calibration sum of predictions");
    if (pos > 0 && neg > 0) {
      double exact = BinaryMetrics.of(p, y).auc();
      double closePairs = 0; // a positive and a negative less than `window` fine bins apart
      long[] negPrefix = new long[1001];
      for (int h = 0; h < 1000; h++) negPrefix[h + 1] = negPrefix[h] + hn[h];
      for (int h = 0; h < 1000; h++) {
        if (hp[h] == 0) continue;
        int lo = Math.max(0, h - 2 * window + 1), hi = Math.min(999, h + 2 * window - 1);
        closePairs += (double) hp[h] * (negPrefix[hi + 1] - negPrefix[lo]);
      }
      // one site's group: exact (the site's exact pair count corrects its merged histogram); pooled over sites: only
      // pairs of two sites' examples that are close can be misordered
      double tolerance = siteCalibration ? 1e-9 : closePairs / ((double) pos * neg) + 1e-12;
      double auc = g.path("auc").asDouble();
      assertEquals(exact, auc, tolerance, what + " AUC: reported vs exact rank AUC (window " + window + ")");
      assertTrue(g.path("aucLower").asDouble() <= auc && auc <= g.path("aucUpper").asDouble(), what + " AUC interval");
    }
    if (withRoc) assertTrue(g.path("roc").size() >= 2, what + " ROC points");
  }
}
