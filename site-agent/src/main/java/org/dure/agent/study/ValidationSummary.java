package org.dure.agent.study;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.dure.protocol.metrics.ValidationCounts;
import org.dure.protocol.study.ReportPlan;
import org.dure.protocol.wire.AgentMessage;

/**
 * This site's part of the validation report: aggregate counts of the final model's predictions on the validation
 * split, overall and per subgroup level. Nothing here is a row or a prediction, and no value of a small group leaves:
 * <ul>
 *   <li>every size rule counts <b>patients</b> of each class, not rows: a level with fewer than {@code minCellSize}
 *       positive or negative patients is suppressed, and leaves only as one merged {@value #SUPPRESSED} entry —
 *       neither its counts nor its name (a rare value can identify someone);
 *   <li>complementary suppression: the suppressed levels together are the site's total minus the reported levels, so
 *       the smallest reported levels are suppressed too until the suppressed ones, merged, pass the same rule;
 *   <li>score histograms and calibration bins are merged until every group holds {@code minCellSize} patients of each
 *       class ({@link SmallCells}), the site's overall counts included;
 *   <li>a numeric column is banded only by the cut points of the site's policy ({@code reportBands}), so two studies
 *       with cut points one value apart cannot isolate the patients between them;
 *   <li>a categorical column with more than {@value #MAX_LEVELS} levels, and the patient key column, are not reported
 *       ({@value #NOT_REPORTABLE}): their levels would be near-identifiers (pseudonyms, free text, names);
 *   <li>a site with fewer than {@code minCellSize} validation patients of a class withholds the report altogether;
 *   <li>a subgroup level of fewer than {@value #FINE_HISTOGRAM_ROWS} rows sends its score histogram in
 *       {@value #COARSE_BINS} bins instead of 1000: over a few dozen patients, 1000 bins would amount to each patient's
 *       score to three decimals.
 * </ul>
 */
final class ValidationSummary {
  static final int MAX_LEVELS = 20;
  static final String SUPPRESSED = "(suppressed)";
  static final String NOT_REPORTABLE = "(not reportable)";
  static final int FINE_HISTOGRAM_ROWS = 100;
  static final int COARSE_BINS = 20;

  private ValidationSummary() {}

  /**
   * @param probabilities the final model's prediction per validation row
   * @param labels01 the label per validation row
   * @param rawValues raw values of a subgroup column per validation row, or null when the site lacks the column
   */
  static AgentMessage.ValidationReport of(String studyId, int modelVersion, ReportPlan plan, int minCellSize,
                                          float[] probabilities, float[] labels01, Function<String, String[]> rawValues) {
    return of(studyId, modelVersion, plan, minCellSize, probabilities, labels01, rawValues, java.util.Set.of(), null,
        (column, requested) -> requested);
  }

  /** @param notReportable columns never reported by level (the patient key) */
  static AgentMessage.ValidationReport of(String studyId, int modelVersion, ReportPlan plan, int minCellSize,
                                          float[] probabilities, float[] labels01, Function<String, String[]> rawValues,
                                          java.util.Set<String> notReportable) {
    return of(studyId, modelVersion, plan, minCellSize, probabilities, labels01, rawValues, notReportable, null,
        (column, requested) -> requested);
  }

  /**
   * @param patientOfRow each validation row's patient (dense index), or null when every row is its own patient: every
   *     size rule counts patients
   * @param bands the cut points this site bands a column by, given the study's (the site's policy fixes them), or null
   *     when the column may not be banded here
   */
  static AgentMessage.ValidationReport of(String studyId, int modelVersion, ReportPlan plan, int minCellSize,
                                          float[] probabilities, float[] labels01, Function<String, String[]> rawValues,
                                          java.util.Set<String> notReportable, int[] patientOfRow,
                                          java.util.function.BiFunction<String, List<Double>, List<Double>> bands) {
    if (probabilities.length != labels01.length)
      throw new IllegalArgumentException("probabilities.length must equal labels01.length = " + labels01.length
          + ", was " + probabilities.length);
    int n = probabilities.length;
    int[] all = new int[n];
    for (int i = 0; i < n; i++) all[i] = i;
    long[] classes = SmallCells.patientsPerClass(labels01, all, patientOfRow);
    if (classes[0] < minCellSize || classes[1] < minCellSize) {
      return AgentMessage.ValidationReport.without(studyId, modelVersion, AgentMessage.ValidationReport.WITHHELD,
          // the counts themselves stay here: one below the minimum cell size is the small cell the rule protects
          "fewer validation patients of " + (classes[1] < minCellSize ? "the positive" : "the negative") + " class than this"
              + " site's minimum cell size " + minCellSize, minCellSize);
    }
    ValidationCounts overall = SmallCells.counts(probabilities, labels01, all, patientOfRow, plan.threshold(), minCellSize);
    List<AgentMessage.SubgroupCounts> groups = new ArrayList<>();
    for (ReportPlan.Subgroup asked : plan.requested()) {
      String[] raw = rawValues.apply(asked.column());
      if (raw == null) {
        groups.add(new AgentMessage.SubgroupCounts(asked.column(), AgentMessage.SubgroupCounts.COLUMN_ABSENT, false, null));
        continue;
      }
      ReportPlan.Subgroup g = asked;
      if (asked.isBanded()) {
        List<Double> cuts = bands.apply(asked.column(), asked.bands());
        if (cuts == null || cuts.isEmpty()) { // the site's policy does not band this column
          groups.add(new AgentMessage.SubgroupCounts(asked.column(), NOT_REPORTABLE, true, null));
          continue;
        }
        g = ReportPlan.Subgroup.banded(asked.column(), cuts);
      }
      Map<String, List<Integer>> rowsByLevel = new TreeMap<>();
      for (int i = 0; i < n; i++) rowsByLevel.computeIfAbsent(g.levelOf(raw[i]), k -> new ArrayList<>()).add(i);
      if (notReportable.contains(g.column()) || !g.isBanded() && rowsByLevel.size() > MAX_LEVELS) {
        groups.add(new AgentMessage.SubgroupCounts(g.column(), NOT_REPORTABLE, true, null));
        continue;
      }
      Map<String, ValidationCounts> counts = new java.util.HashMap<>();
      java.util.Set<String> suppressed = new java.util.HashSet<>();
      rowsByLevel.forEach((level, rows) -> {
        ValidationCounts c = SmallCells.counts(probabilities, labels01, toArray(rows), patientOfRow, plan.threshold(),
            minCellSize);
        if (c == null) suppressed.add(level); // fewer than minCellSize patients of a class in this level
        else counts.put(level, c);
      });
      // Complementary suppression: the suppressed levels are also the site's total minus the levels it reports, so keep
      // suppressing the smallest reported level until the suppressed levels together pass the cell rule themselves.
      while (!suppressed.isEmpty() && suppressed.size() < rowsByLevel.size()
          && !passes(probabilities, labels01, rowsByLevel, suppressed, patientOfRow, minCellSize)) {
        rowsByLevel.entrySet().stream().filter(e -> !suppressed.contains(e.getKey()))
            .min(java.util.Comparator.comparingInt((Map.Entry<String, List<Integer>> e) -> e.getValue().size())
                .thenComparing(Map.Entry::getKey))
            .ifPresent(e -> suppressed.add(e.getKey()));
      }
      for (Map.Entry<String, List<Integer>> level : ordered(g, rowsByLevel).entrySet()) {
        if (suppressed.contains(level.getKey())) continue;
        ValidationCounts c = counts.get(level.getKey());
        groups.add(new AgentMessage.SubgroupCounts(g.column(), level.getKey(), false,
            level.getValue().size() < FINE_HISTOGRAM_ROWS ? coarse(c) : c));
      }
      if (!suppressed.isEmpty()) groups.add(new AgentMessage.SubgroupCounts(g.column(), SUPPRESSED, true, null));
    }
    return new AgentMessage.ValidationReport(studyId, modelVersion, AgentMessage.ValidationReport.OK, null, minCellSize,
        overall, groups);
  }

  /** Whether the suppressed levels, merged, hold at least {@code k} patients of each class. */
  private static boolean passes(float[] p, float[] y, Map<String, List<Integer>> rowsByLevel, java.util.Set<String> suppressed,
                                int[] patientOfRow, int k) {
    List<Integer> merged = new ArrayList<>();
    for (String level : suppressed) merged.addAll(rowsByLevel.get(level));
    long[] c = SmallCells.patientsPerClass(y, toArray(merged), patientOfRow);
    return c[0] >= k && c[1] >= k;
  }

  private static int[] toArray(List<Integer> rows) {
    return rows.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The counts with the score histogram merged into {@link #COARSE_BINS} bins (each kept at its group's first bin). */
  static ValidationCounts coarse(ValidationCounts c) {
    int width = org.dure.protocol.metrics.ScoreHistogram.BINS / COARSE_BINS;
    long[] pos = new long[org.dure.protocol.metrics.ScoreHistogram.BINS], neg = new long[pos.length];
    for (int b = 0; b < pos.length; b++) {
      pos[b / width * width] += c.histogram().positives()[b];
      neg[b / width * width] += c.histogram().negatives()[b];
    }
    return c.withHistogram(new org.dure.protocol.metrics.ScoreHistogram(pos, neg), c.calibration());
  }

  /** Levels of a banded column in band order (then missing); of a categorical one alphabetically. */
  private static Map<String, List<Integer>> ordered(ReportPlan.Subgroup g, Map<String, List<Integer>> byLevel) {
    if (!g.isBanded()) return byLevel;
    Map<String, List<Integer>> out = new LinkedHashMap<>();
    List<String> order = new ArrayList<>();
    order.add(g.levelOf(String.valueOf(g.bands().get(0) - 1)));
    for (double b : g.bands()) order.add(g.levelOf(String.valueOf(b)));
    order.add(ReportPlan.Subgroup.MISSING);
    for (String level : order) if (byLevel.containsKey(level)) out.put(level, byLevel.get(level));
    return out;
  }
}
