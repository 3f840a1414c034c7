package org.dure.coordinator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dure.protocol.metrics.ScoreHistogram;
import org.dure.protocol.metrics.ValidationCounts;
import org.dure.protocol.wire.AgentMessage;
import org.junit.jupiter.api.Test;

/** A site cannot break the validation report (or turn a completed study into FAILED) with a malformed report. */
class ReportValidationTest {
  private static final String STUDY = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  private static final float[] P = {0.9f, 0.8f, 0.3f, 0.2f, 0.6f}, Y = {1, 1, 0, 0, 0};
  private static final ValidationCounts ALL = ValidationCounts.of(P, Y, new int[] {0, 1, 2, 3, 4}, 0.5);

  @Test void aReportWithANullStatusIsUnavailableWithTheReasonAndTheHtmlStillRenders() {
    // Prepare: site b says {"status": null}
    var bad = new AgentMessage.ValidationReport(STUDY, 3, null, null, 5, null, List.of());

    // Execute
    StudyReport r = StudyReport.assemble(STUDY, "s", 3, 0.5, Map.of("a", ok(), "b", bad), List.of("a", "b"));
    String html = ReportHtml.render(r);

    // Assert
    StudyReport.Site b = r.sites().get(1);
    assertEquals("UNAVAILABLE", b.status());
    assertTrue(b.reason().contains("status is missing"), b.reason());
    assertNull(b.overall());
    assertEquals(5, r.pooled().count(), "only site a is pooled");
    assertTrue(html.contains("UNAVAILABLE") && html.contains("status is missing"), "the site and why are shown");
  }

  @Test void aSubgroupWithoutCountsThatIsNotSuppressedMakesTheReportUnavailable() {
    var bad = new AgentMessage.ValidationReport(STUDY, 3, "OK", null, 2, ALL,
        List.of(new AgentMessage.SubgroupCounts("sex", "F", false, null)));

    StudyReport r = StudyReport.assemble(STUDY, "s", 3, 0.5, Map.of("a", bad), List.of("a"));

    assertEquals("UNAVAILABLE", r.sites().get(0).status());
    assertTrue(r.sites().get(0).reason().contains("sex = F: not suppressed but has no counts"), r.sites().get(0).reason());
    assertEquals(0, r.pooled().count());
    assertTrue(r.pooledSubgroups().isEmpty());
    assertTrue(ReportHtml.render(r).contains("not suppressed but has no counts"));
  }

  @Test void eachMalformedReportIsNamedForWhatIsWrong() {
    assertProblem("status 'DONE' is not one of", report("DONE", ALL, List.of()));
    assertProblem("status OK without overall counts", report("OK", null, List.of()));
    assertProblem("column is missing", report("OK", ALL, List.of(new AgentMessage.SubgroupCounts(null, "F", true, null))));
    assertProblem("level is missing", report("OK", ALL, List.of(new AgentMessage.SubgroupCounts("sex", null, true, null))));
    assertProblem("level name longer than 200", report("OK", ALL,
        List.of(new AgentMessage.SubgroupCounts("sex", "x".repeat(201), true, null))));
    assertProblem("suppressed but has counts", report("OK", ALL, List.of(new AgentMessage.SubgroupCounts("sex", "F", true, ALL))));
    assertProblem("listed twice", report("OK", ALL, List.of(new AgentMessage.SubgroupCounts("sex", "F", true, null),
        new AgentMessage.SubgroupCounts("sex", "F", true, null))));
    List<AgentMessage.SubgroupCounts> many = new ArrayList<>();
    for (int i = 0; i < 501; i++) many.add(new AgentMessage.SubgroupCounts("id", "v" + i, true, null));
    assertProblem("501 subgroup entries, more than 500", report("OK", ALL, many));
    ValidationCounts bigger = ValidationCounts.of(new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, new float[] {0, 0, 0, 1, 1, 1},
        new int[] {0, 1, 2, 3, 4, 5}, 0.5);
    assertProblem("larger than the site's overall count 5", report("OK", ALL,
        List.of(new AgentMessage.SubgroupCounts("sex", "F", false, bigger))));
    // Counts that satisfy ValidationCounts' own checks but not each other: an empty histogram for 5 examples.
    List<ValidationCounts.CalibrationBin> bins = new ArrayList<>(ALL.calibration());
    ValidationCounts emptyHistogram = new ValidationCounts(5, 2, ScoreHistogram.empty(), 2, 1, 2, 0, 1.0, bins);
    assertProblem("overall counts: the positive score histogram counts 0 examples, not 2", report("OK", emptyHistogram, List.of()));
    bins.set(0, new ValidationCounts.CalibrationBin(bins.get(0).count() + 1, 0, 0));
    ValidationCounts badBins = new ValidationCounts(5, 2, ALL.histogram(), 2, 1, 2, 0, 1.0, bins);
    assertProblem("calibration bins do not add up", report("OK", badBins, List.of()));
    ValidationCounts badError = new ValidationCounts(5, 2, ALL.histogram(), 2, 1, 2, 0, -1, ALL.calibration());
    assertProblem("sum of squared errors -1.0 is outside", report("OK", badError, List.of()));
    assertProblem("minCellSize -1 is negative",
        new AgentMessage.ValidationReport(STUDY, 3, "WITHHELD", null, -1, null, List.of()));
  }

  @Test void aWellFormedReportIsKeptAsItIsAndAWithheldOneLosesAnyCounts() {
    AgentMessage.ValidationReport good = ok();
    assertNull(ReportValidation.problem(good));
    assertSame(good, ReportValidation.sanitize(good, STUDY, 3));

    var withheld = new AgentMessage.ValidationReport(STUDY, 3, "WITHHELD", "r".repeat(2000), 10, ALL, List.of());
    AgentMessage.ValidationReport kept = ReportValidation.sanitize(withheld, STUDY, 3);
    assertEquals("WITHHELD", kept.status());
    assertNull(kept.overall());
    assertTrue(kept.reason().length() <= ReportValidation.MAX_REASON + 1, "the reason is cut");
  }

  @Test void htmlEscapingTreatsNullAsEmpty() {
    assertEquals("", ReportHtml.esc(null));
    StudyReport r = StudyReport.assemble(STUDY, null, 3, 0.5, Map.of(), List.of("a"));
    StudyReport withNulls = new StudyReport(r.studyId(), null, 3, r.createdAt(), 0.5, null, null, r.pooled(),
        List.of(new StudyReport.Site("a", null, null, 0, null, List.of())), List.of());
    assertTrue(ReportHtml.render(withNulls).contains("<td>a</td><td></td>"));
  }

  /** As a site agent sends it: levels with counts, a merged suppressed entry and an absent column. */
  private static AgentMessage.ValidationReport ok() {
    return new AgentMessage.ValidationReport(STUDY, 3, "OK", null, 2, ALL, List.of(
        new AgentMessage.SubgroupCounts("sex", "F", false, ValidationCounts.of(P, Y, new int[] {0, 2, 4}, 0.5)),
        new AgentMessage.SubgroupCounts("sex", "(suppressed)", true, null),
        new AgentMessage.SubgroupCounts("age", AgentMessage.SubgroupCounts.COLUMN_ABSENT, false, null)));
  }

  private static AgentMessage.ValidationReport report(String status, ValidationCounts overall,
                                                      List<AgentMessage.SubgroupCounts> groups) {
    return new AgentMessage.ValidationReport(STUDY, 3, status, null, 2, overall, groups);
  }

  private static void assertProblem(String expected, AgentMessage.ValidationReport r) {
    String problem = ReportValidation.problem(r);
    assertTrue(problem != null && problem.contains(expected), "expected a problem with '" + expected + "', was " + problem);
    AgentMessage.ValidationReport s = ReportValidation.sanitize(r, STUDY, 3);
    assertEquals("UNAVAILABLE", s.status());
    assertNull(s.overall());
    assertTrue(s.reason().contains(expected), s.reason());
  }
}
