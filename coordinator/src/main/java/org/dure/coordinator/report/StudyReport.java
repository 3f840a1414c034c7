package org.dure.coordinator.report;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dure.protocol.metrics.ValidationCounts;
import org.dure.protocol.wire.AgentMessage;

/**
 * The multi-centre validation report of a study's final model: per site and pooled over sites (pooled = the figures
 * of the summed counts), overall and per patient subgroup. Built by the coordinator from the sites' aggregate counts
 * ({@link AgentMessage.ValidationReport}); stored with the study, written as {@code report.json} next to the saved
 * model, served as JSON and as HTML ({@link ReportHtml}).
 *
 * @param aucInterval how the AUC confidence intervals are computed
 * @param flagRule when a subgroup is flagged
 * @param pooled every site's counts summed (sites that withheld or could not report are not in it)
 * @param pooledSubgroups each subgroup level summed over the sites that sent its counts
 */
public record StudyReport(String studyId, String studyName, int modelVersion, Instant createdAt, double threshold,
                          String aucInterval, String flagRule, Group pooled, List<Site> sites,
                          List<Subgroup> pooledSubgroups) {
  public static final String AUC_INTERVAL = "95% Hanley-McNeil (1982): AUC ± 1.96 SE from the AUC and the class counts;"
      + " AUC from the 1000-bin score histograms, ties within a bin counted one half";
  public static final double FLAG_MARGIN = 0.05;
  public static final String FLAG_RULE = "a subgroup is flagged when its AUC is more than " + FLAG_MARGIN
      + " below the pooled AUC and the upper bound of its 95% interval is below the pooled AUC too";

  /** One site's part: {@code status} OK, WITHHELD (its policy keeps its metrics), UNAVAILABLE, or MISSING (no answer). */
  public record Site(String site, String status, String reason, int minCellSize, Group overall, List<Subgroup> subgroups) {}

  /**
   * One subgroup level; {@code metrics} is null when suppressed (fewer rows than a site's minimum cell size, or at
   * every site for a pooled level) or when the site lacks the column. {@code suppressedAt} lists, for a pooled level,
   * the sites whose counts for it were suppressed and so are not in it.
   */
  public record Subgroup(String column, String level, boolean suppressed, Group metrics, boolean flagged,
                         List<String> suppressedAt) {}

  /** The figures of one group of validation examples. */
  public record Group(long count, long positives, double auc, double aucLower, double aucUpper, double accuracy,
                      double sensitivity, double specificity, double brier, double expectedCalibrationError,
                      long truePositives, long falsePositives, long trueNegatives, long falseNegatives,
                      List<Calibration> calibration, List<double[]> roc) {
    static Group of(ValidationCounts c, boolean withRoc) {
      long n = c.count(), pos = c.positives(), neg = n - pos;
      double auc = c.auc();
      double[] ci = ReportMath.hanleyMcNeil(auc, pos, neg);
      List<Calibration> cal = new ArrayList<>();
      for (int b = 0; b < ValidationCounts.CALIBRATION_BINS; b++) {
        ValidationCounts.CalibrationBin bin = c.calibration().get(b);
        cal.add(new Calibration(b / 10.0, (b + 1) / 10.0, bin.count(), ratio(bin.sumPredicted(), bin.count()),
            ratio(bin.positives(), bin.count()), bin.positives()));
      }
      return new Group(n, pos, auc, ci[0], ci[1], ratio(c.truePositives() + c.trueNegatives(), n),
          ratio(c.truePositives(), pos), ratio(c.trueNegatives(), neg), ratio(c.sumSquaredError(), n),
          ReportMath.expectedCalibrationError(c.calibration()), c.truePositives(), c.falsePositives(), c.trueNegatives(),
          c.falseNegatives(), cal, withRoc ? ReportMath.roc(c.histogram()) : null);
    }
  }

  /** One calibration bin: predictions in {@code [from, to)} ({@code [0.9, 1]} for the last). */
  public record Calibration(double from, double to, long count, double meanPredicted, double observedRate, long positives) {}

  /**
   * Assembles the report from the sites' answers.
   *
   * @param siteAnswers each site's answer; a site asked but absent here is listed as MISSING, one that fails
   *     {@link ReportValidation} as UNAVAILABLE with the reason
   * @param asked the sites the report was requested from
   */
  public static StudyReport assemble(String studyId, String studyName, int modelVersion, double threshold,
                                     Map<String, AgentMessage.ValidationReport> siteAnswers, List<String> asked) {
    Map<String, AgentMessage.ValidationReport> answers = new LinkedHashMap<>();
    siteAnswers.forEach((site, a) -> answers.put(site, a == null ? null : ReportValidation.sanitize(a, studyId, modelVersion)));
    ValidationCounts pooledCounts = ValidationCounts.empty();
    Map<String, ValidationCounts> pooledLevels = new LinkedHashMap<>();
    Map<String, List<String>> suppressedAt = new LinkedHashMap<>();
    Map<String, String[]> levelNames = new LinkedHashMap<>();
    List<String> siteIds = new ArrayList<>(asked);
    answers.keySet().stream().filter(s -> !siteIds.contains(s)).forEach(siteIds::add);
    java.util.Collections.sort(siteIds);
    for (String s : siteIds) {
      AgentMessage.ValidationReport a = answers.get(s);
      if (a == null || !AgentMessage.ValidationReport.OK.equals(a.status()) || a.overall() == null) continue;
      pooledCounts = pooledCounts.plus(a.overall());
      for (AgentMessage.SubgroupCounts g : a.subgroups()) {
        if (AgentMessage.SubgroupCounts.COLUMN_ABSENT.equals(g.level())) continue;
        String key = g.column() + "\u0000" + g.level();
        levelNames.putIfAbsent(key, new String[] {g.column(), g.level()});
        suppressedAt.computeIfAbsent(key, k -> new ArrayList<>());
        if (g.suppressed() || g.counts() == null) suppressedAt.get(key).add(s);
        else pooledLevels.merge(key, g.counts(), ValidationCounts::plus);
      }
    }
    Group pooled = Group.of(pooledCounts, true);
    List<Site> sites = new ArrayList<>();
    for (String s : siteIds) {
      AgentMessage.ValidationReport a = answers.get(s);
      if (a == null) {
        sites.add(new Site(s, "MISSING", "no report before the deadline", 0, null, List.of()));
        continue;
      }
      if (!AgentMessage.ValidationReport.OK.equals(a.status()) || a.overall() == null) {
        sites.add(new Site(s, a.status(), a.reason(), a.minCellSize(), null, List.of()));
        continue;
      }
      List<Subgroup> groups = new ArrayList<>();
      for (AgentMessage.SubgroupCounts g : a.subgroups()) {
        Group m = g.suppressed() || g.counts() == null ? null : Group.of(g.counts(), false);
        groups.add(new Subgroup(g.column(), g.level(), g.suppressed(), m, ReportMath.flagged(m, pooled.auc()), List.of()));
      }
      sites.add(new Site(s, a.status(), a.reason(), a.minCellSize(), Group.of(a.overall(), true), groups));
    }
    List<Subgroup> pooledGroups = new ArrayList<>();
    for (Map.Entry<String, String[]> e : levelNames.entrySet()) {
      ValidationCounts c = pooledLevels.get(e.getKey());
      Group m = c == null ? null : Group.of(c, false);
      pooledGroups.add(new Subgroup(e.getValue()[0], e.getValue()[1], c == null, m, ReportMath.flagged(m, pooled.auc()),
          List.copyOf(suppressedAt.get(e.getKey()))));
    }
    return new StudyReport(studyId, studyName, modelVersion, Instant.now(), threshold, AUC_INTERVAL, FLAG_RULE, pooled,
        sites, pooledGroups);
  }

  private static double ratio(double num, double den) {
    return den == 0 ? Double.NaN : num / den;
  }
}
