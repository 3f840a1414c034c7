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
 *   <li>levels of fewer than {@code minCellSize} rows are suppressed, and leave only as one merged
 *       {@value #SUPPRESSED} entry — neither their counts nor their names (a rare value can identify someone);
 *   <li>complementary suppression: when exactly one level of a column would be suppressed, the next smallest is
 *       suppressed too, so that its counts cannot be recovered as the site's total minus the other levels;
 *   <li>a categorical column with more than {@value #MAX_LEVELS} levels, and the patient key column, are not reported
 *       ({@value #NOT_REPORTABLE}): their levels would be near-identifiers (pseudonyms, free text, names);
 *   <li>a site with fewer than {@code minCellSize} validation rows withholds the report altogether;
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
    return of(studyId, modelVersion, plan, minCellSize, probabilities, labels01, rawValues, java.util.Set.of());
  }

  /** @param notReportable columns never reported by level (the patient key) */
  static AgentMessage.ValidationReport of(String studyId, int modelVersion, ReportPlan plan, int minCellSize,
                                          float[] probabilities, float[] labels01, Function<String, String[]> rawValues,
                                          java.util.Set<String> notReportable) {
    if (probabilities.length != labels01.length)
      throw new IllegalArgumentException("probabilities.length must equal labels01.length = " + labels01.length
          + ", was " + probabilities.length);
    int n = probabilities.length;
    if (n < minCellSize) {
      return AgentMessage.ValidationReport.without(studyId, modelVersion, AgentMessage.ValidationReport.WITHHELD,
          "fewer validation rows (" + n + ") than this site's minimum cell size " + minCellSize, minCellSize);
    }
    int[] all = new int[n];
    for (int i = 0; i < n; i++) all[i] = i;
    ValidationCounts overall = ValidationCounts.of(probabilities, labels01, all, plan.threshold());
    List<AgentMessage.SubgroupCounts> groups = new ArrayList<>();
    for (ReportPlan.Subgroup g : plan.requested()) {
      String[] raw = rawValues.apply(g.column());
      if (raw == null) {
        groups.add(new AgentMessage.SubgroupCounts(g.column(), AgentMessage.SubgroupCounts.COLUMN_ABSENT, false, null));
        continue;
      }
      Map<String, List<Integer>> rowsByLevel = new TreeMap<>();
      for (int i = 0; i < n; i++) rowsByLevel.computeIfAbsent(g.levelOf(raw[i]), k -> new ArrayList<>()).add(i);
      if (notReportable.contains(g.column()) || !g.isBanded() && rowsByLevel.size() > MAX_LEVELS) {
        groups.add(new AgentMessage.SubgroupCounts(g.column(), NOT_REPORTABLE, true, null));
        continue;
      }
      java.util.Set<String> suppressed = new java.util.HashSet<>();
      rowsByLevel.forEach((level, rows) -> {
        if (rows.size() < minCellSize) suppressed.add(level);
      });
      if (suppressed.size() == 1 && rowsByLevel.size() > 1) {
        rowsByLevel.entrySet().stream().filter(e -> !suppressed.contains(e.getKey()))
            .min(java.util.Comparator.comparingInt((Map.Entry<String, List<Integer>> e) -> e.getValue().size())
                .thenComparing(Map.Entry::getKey))
            .ifPresent(e -> suppressed.add(e.getKey()));
      }
      for (Map.Entry<String, List<Integer>> level : ordered(g, rowsByLevel).entrySet()) {
        if (suppressed.contains(level.getKey())) continue;
        int[] rows = level.getValue().stream().mapToInt(Integer::intValue).toArray();
        ValidationCounts counts = ValidationCounts.of(probabilities, labels01, rows, plan.threshold());
        groups.add(new AgentMessage.SubgroupCounts(g.column(), level.getKey(), false,
            rows.length < FINE_HISTOGRAM_ROWS ? coarse(counts) : counts));
      }
      if (!suppressed.isEmpty()) groups.add(new AgentMessage.SubgroupCounts(g.column(), SUPPRESSED, true, null));
    }
    return new AgentMessage.ValidationReport(studyId, modelVersion, AgentMessage.ValidationReport.OK, null, minCellSize,
        overall, groups);
  }

  /** The counts with the score histogram merged into {@link #COARSE_BINS} bins (each kept at its group's first bin). */
  static ValidationCounts coarse(ValidationCounts c) {
    int width = org.dure.protocol.metrics.ScoreHistogram.BINS / COARSE_BINS;
    long[] pos = new long[org.dure.protocol.metrics.ScoreHistogram.BINS], neg = new long[pos.length];
    for (int b = 0; b < pos.length; b++) {
      pos[b / width * width] += c.histogram().positives()[b];
      neg[b / width * width] += c.histogram().negatives()[b];
    }
    return new ValidationCounts(c.count(), c.positives(), new org.dure.protocol.metrics.ScoreHistogram(pos, neg),
        c.truePositives(), c.falsePositives(), c.trueNegatives(), c.falseNegatives(), c.sumSquaredError(), c.calibration());
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
