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
 * split, overall and per subgroup level, with every level of fewer than {@code minCellSize} rows suppressed (its
 * name leaves, its counts do not). Nothing here is a row or a prediction.
 */
final class ValidationSummary {
  private ValidationSummary() {}

  /**
   * @param probabilities the final model's prediction per validation row
   * @param labels01 the label per validation row
   * @param rawValues raw values of a subgroup column per validation row, or null when the site lacks the column
   */
  static AgentMessage.ValidationReport of(String studyId, int modelVersion, ReportPlan plan, int minCellSize,
                                          float[] probabilities, float[] labels01, Function<String, String[]> rawValues) {
    if (probabilities.length != labels01.length)
      throw new IllegalArgumentException("probabilities.length must equal labels01.length = " + labels01.length
          + ", was " + probabilities.length);
    int n = probabilities.length;
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
      for (Map.Entry<String, List<Integer>> level : ordered(g, rowsByLevel).entrySet()) {
        int[] rows = level.getValue().stream().mapToInt(Integer::intValue).toArray();
        boolean suppressed = rows.length < minCellSize;
        groups.add(new AgentMessage.SubgroupCounts(g.column(), level.getKey(), suppressed,
            suppressed ? null : ValidationCounts.of(probabilities, labels01, rows, plan.threshold())));
      }
    }
    return new AgentMessage.ValidationReport(studyId, modelVersion, AgentMessage.ValidationReport.OK, null, minCellSize,
        overall, groups);
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
