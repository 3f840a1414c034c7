package org.dure.coordinator.report;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dure.protocol.metrics.ScoreHistogram;
import org.dure.protocol.metrics.ValidationCounts;
import org.dure.protocol.wire.AgentMessage;

/**
 * Checks a site's {@link AgentMessage.ValidationReport} before the coordinator uses it: a site must not be able to
 * break the study's report (or the study) with a malformed one. A report that fails a check is replaced by an
 * {@link AgentMessage.ValidationReport#UNAVAILABLE UNAVAILABLE} report whose reason names what was wrong, so the
 * site is listed without figures and nothing it sent is pooled.
 */
public final class ReportValidation {
  /** Longest subgroup column or level name accepted. */
  public static final int MAX_NAME = 200;
  /** Most subgroup entries accepted from one site. */
  public static final int MAX_SUBGROUPS = 500;
  /** Longest reason kept from a site (longer ones are cut). */
  public static final int MAX_REASON = 500;
  /** Most examples one group may count: far above any site's validation split, far below overflow when summed. */
  public static final long MAX_COUNT = 1_000_000_000_000L;
  private static final Set<String> STATUSES = Set.of(AgentMessage.ValidationReport.OK,
      AgentMessage.ValidationReport.WITHHELD, AgentMessage.ValidationReport.UNAVAILABLE);

  private ReportValidation() {}

  /** What is wrong with {@code r}, or null when it may be used as it is (after {@link #sanitize}). */
  public static String problem(AgentMessage.ValidationReport r) {
    if (r == null) return "no report";
    if (r.status() == null) return "status is missing";
    if (!STATUSES.contains(r.status())) return "status '" + cut(r.status(), 40) + "' is not one of " + List.of(
        AgentMessage.ValidationReport.OK, AgentMessage.ValidationReport.WITHHELD, AgentMessage.ValidationReport.UNAVAILABLE);
    if (r.minCellSize() < 0) return "minCellSize " + r.minCellSize() + " is negative";
    if (!AgentMessage.ValidationReport.OK.equals(r.status())) return null;
    if (r.overall() == null) return "status OK without overall counts";
    String overall = counts(r.overall(), Long.MAX_VALUE);
    if (overall != null) return "overall counts: " + overall;
    List<AgentMessage.SubgroupCounts> groups = r.subgroups();
    if (groups.size() > MAX_SUBGROUPS) return groups.size() + " subgroup entries, more than " + MAX_SUBGROUPS;
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < groups.size(); i++) {
      AgentMessage.SubgroupCounts g = groups.get(i);
      String where = "subgroup entry " + i;
      if (g == null) return where + " is null";
      if (g.column() == null || g.column().isEmpty()) return where + ": column is missing";
      if (g.level() == null || g.level().isEmpty()) return where + ": level is missing";
      if (g.column().length() > MAX_NAME) return where + ": column name longer than " + MAX_NAME + " characters";
      if (g.level().length() > MAX_NAME) return where + ": level name longer than " + MAX_NAME + " characters";
      where = "subgroup " + cut(g.column(), 40) + " = " + cut(g.level(), 40);
      if (!seen.add(g.column() + "\u0000" + g.level())) return where + " is listed twice";
      boolean absent = AgentMessage.SubgroupCounts.COLUMN_ABSENT.equals(g.level());
      if (absent && (g.suppressed() || g.counts() != null))
        return where + ": a column the site lacks has neither counts nor suppression";
      if (!absent && g.suppressed() && g.counts() != null) return where + ": suppressed but has counts";
      if (!absent && !g.suppressed() && g.counts() == null) return where + ": not suppressed but has no counts";
      if (g.counts() != null) {
        String c = counts(g.counts(), r.overall().count());
        if (c != null) return where + ": " + c;
      }
    }
    return null;
  }

  /**
   * {@code r} when it passes the checks (its reason cut to {@value #MAX_REASON} characters, a non-OK report without
   * counts), else an UNAVAILABLE report naming the problem. Never null.
   */
  public static AgentMessage.ValidationReport sanitize(AgentMessage.ValidationReport r, String studyId, int modelVersion) {
    String problem = problem(r);
    if (problem != null) {
      return AgentMessage.ValidationReport.without(studyId, modelVersion, AgentMessage.ValidationReport.UNAVAILABLE,
          "invalid validation report from the site: " + problem, r == null ? 0 : Math.max(0, r.minCellSize()));
    }
    String reason = r.reason() == null ? null : cut(r.reason(), MAX_REASON);
    if (!AgentMessage.ValidationReport.OK.equals(r.status())) {
      if (r.overall() == null && r.subgroups().isEmpty() && reason == r.reason()) return r;
      return AgentMessage.ValidationReport.without(r.studyId(), r.modelVersion(), r.status(), reason, r.minCellSize());
    }
    if (reason == r.reason()) return r;
    return new AgentMessage.ValidationReport(r.studyId(), r.modelVersion(), r.status(), reason, r.minCellSize(),
        r.overall(), r.subgroups());
  }

  /** What is wrong with one group's counts, or null; {@code maxCount} bounds the group's size (a subgroup's site). */
  static String counts(ValidationCounts c, long maxCount) {
    long n = c.count(), pos = c.positives();
    if (n < 0 || pos < 0 || pos > n) return "count " + n + " and positives " + pos + " are inconsistent";
    if (n > MAX_COUNT) return "count " + n + " is larger than " + MAX_COUNT;
    if (n > maxCount) return "count " + n + " is larger than the site's overall count " + maxCount;
    if (c.truePositives() < 0 || c.falsePositives() < 0 || c.trueNegatives() < 0 || c.falseNegatives() < 0)
      return "a confusion count is negative";
    if (c.truePositives() + c.falseNegatives() != pos || c.falsePositives() + c.trueNegatives() != n - pos)
      return "the confusion counts do not add up to the positives and negatives";
    if (Double.isInfinite(c.sumSquaredError()) || c.sumSquaredError() < 0 || c.sumSquaredError() > n)
      return "sum of squared errors " + c.sumSquaredError() + " is outside [0, count]";
    ScoreHistogram h = c.histogram();
    if (h == null) return "the score histogram is missing";
    String hp = sum(h.positives(), pos, "positive"), hn = sum(h.negatives(), n - pos, "negative");
    if (hp != null) return hp;
    if (hn != null) return hn;
    List<ValidationCounts.CalibrationBin> bins = c.calibration();
    if (bins == null || bins.size() != ValidationCounts.CALIBRATION_BINS)
      return "calibration must have " + ValidationCounts.CALIBRATION_BINS + " bins";
    long binCount = 0, binPositives = 0;
    for (ValidationCounts.CalibrationBin b : bins) {
      if (b == null) return "a calibration bin is missing";
      if (b.count() < 0 || b.positives() < 0 || b.positives() > b.count() || b.count() > n)
        return "a calibration bin's count " + b.count() + " and positives " + b.positives() + " are inconsistent";
      if (Double.isInfinite(b.sumPredicted()) || b.sumPredicted() < 0 || b.sumPredicted() > b.count())
        return "a calibration bin's sum of predictions " + b.sumPredicted() + " is outside [0, its count]";
      binCount += b.count();
      binPositives += b.positives();
    }
    if (binCount != n || binPositives != pos) return "the calibration bins do not add up to the count and positives";
    double wins = h.wins() + c.winsCorrection(), pairs = (double) pos * (n - pos);
    if (!Double.isFinite(c.winsCorrection()) || wins < -0.5 || wins > pairs + 0.5)
      return "the AUC correction " + c.winsCorrection() + " puts the pairs won outside [0, " + (long) pairs + "]";
    return null;
  }

  /** Checks that a histogram's bins are non-negative and add up to {@code expected}. */
  private static String sum(long[] bins, long expected, String cls) {
    if (bins == null || bins.length != ScoreHistogram.BINS) return "the " + cls + " score histogram must have " + ScoreHistogram.BINS + " bins";
    long total = 0;
    for (long b : bins) {
      if (b < 0 || b > MAX_COUNT) return "a " + cls + " score histogram bin is out of range";
      total += b; // at most BINS * MAX_COUNT: no overflow
    }
    if (total != expected) return "the " + cls + " score histogram counts " + total + " examples, not " + expected;
    return null;
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
