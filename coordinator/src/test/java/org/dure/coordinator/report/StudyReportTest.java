package org.dure.coordinator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.dure.protocol.metrics.ValidationCounts;
import org.dure.protocol.wire.AgentMessage;
import org.junit.jupiter.api.Test;

class StudyReportTest {
  private static final String STUDY = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

  @Test void hanleyMcNeilStandardErrorMatchesTheFormulaWorkedByHand() {
    // A = 0.8, 50 positives, 50 negatives: Q1 = 0.8/1.2, Q2 = 1.28/1.8,
    // SE = sqrt((0.16 + 49 (Q1 - 0.64) + 49 (Q2 - 0.64)) / 2500) = 0.0445022
    assertEquals(0.0445022, ReportMath.hanleyMcNeilStandardError(0.8, 50, 50), 1e-6);
    double[] ci = ReportMath.hanleyMcNeil(0.8, 50, 50);
    assertEquals(0.8 - 1.959964 * 0.0445022, ci[0], 1e-6);
    assertEquals(0.8 + 1.959964 * 0.0445022, ci[1], 1e-6);
  }

  @Test void hanleyMcNeilIntervalIsClippedToTheUnitIntervalAndUndefinedWithoutBothClasses() {
    assertEquals(1.0, ReportMath.hanleyMcNeil(0.99, 5, 5)[1]);
    assertTrue(Double.isNaN(ReportMath.hanleyMcNeil(0.9, 0, 10)[0]));
    assertTrue(Double.isNaN(ReportMath.hanleyMcNeil(Double.NaN, 10, 10)[1]));
  }

  @Test void calibrationBinsAndExpectedCalibrationErrorComeFromCounts() {
    // Prepare: bin [0.1, 0.2): 0.15 and 0.15, one positive (observed 0.5, mean 0.15); bin [0.9, 1]: 0.95 and 1.0, both positive
    float[] p = {0.15f, 0.15f, 0.95f, 1.0f};
    float[] y = {1, 0, 1, 1};

    // Execute
    ValidationCounts c = ValidationCounts.of(p, y, new int[] {0, 1, 2, 3}, 0.5);
    StudyReport.Group g = StudyReport.Group.of(c, true);

    // Assert
    assertEquals(2, g.calibration().get(1).count());
    assertEquals(0.15, g.calibration().get(1).meanPredicted(), 1e-6);
    assertEquals(0.5, g.calibration().get(1).observedRate());
    assertEquals(2, g.calibration().get(9).count());
    // ECE = (2 |0.15 - 0.5| + 2 |0.975 - 1|) / 4
    assertEquals((2 * 0.35 + 2 * 0.025) / 4, g.expectedCalibrationError(), 1e-6);
    assertEquals((0.85 * 0.85 + 0.15 * 0.15 + 0.05 * 0.05 + 0) / 4, g.brier(), 1e-6);
    assertEquals(2.0 / 3, g.sensitivity(), 1e-12);
    assertEquals(1.0, g.specificity());
    assertEquals(0.75, g.accuracy());
  }

  @Test void pooledFiguresAreThoseOfSummedCountsAndSuppressedSubgroupsStaySuppressed() {
    // Prepare
    float[] pa = {0.9f, 0.8f, 0.3f, 0.2f, 0.6f}, ya = {1, 1, 0, 0, 0};
    float[] pb = {0.7f, 0.4f, 0.1f}, yb = {1, 1, 0};
    ValidationCounts a = ValidationCounts.of(pa, ya, new int[] {0, 1, 2, 3, 4}, 0.5);
    ValidationCounts b = ValidationCounts.of(pb, yb, new int[] {0, 1, 2}, 0.5);
    var reportA = new AgentMessage.ValidationReport(STUDY, 3, "OK", null, 2, a,
        List.of(new AgentMessage.SubgroupCounts("sex", "F", false, ValidationCounts.of(pa, ya, new int[] {0, 2}, 0.5)),
            new AgentMessage.SubgroupCounts("sex", "M", true, null)));
    var reportB = new AgentMessage.ValidationReport(STUDY, 3, "OK", null, 2, b,
        List.of(new AgentMessage.SubgroupCounts("sex", "F", true, null),
            new AgentMessage.SubgroupCounts("sex", "M", false, ValidationCounts.of(pb, yb, new int[] {0, 1, 2}, 0.5))));
    var withheld = AgentMessage.ValidationReport.without(STUDY, 3, "WITHHELD", "policy", 10);

    // Execute
    StudyReport r = StudyReport.assemble(STUDY, "s", 3, 0.5, Map.of("a", reportA, "b", reportB, "c", withheld),
        List.of("a", "b", "c", "d"));

    // Assert
    assertEquals(8, r.pooled().count());
    assertEquals(a.plus(b).histogram().auc(), r.pooled().auc(), 1e-12);
    assertEquals(6.0 / 8, r.pooled().accuracy(), 1e-12); // a: 4 of 5 right (0.6 is a false positive), b: 2 of 3 (0.4 is missed)
    assertEquals(List.of("a", "b", "c", "d"), r.sites().stream().map(StudyReport.Site::site).toList());
    assertEquals("WITHHELD", r.sites().get(2).status());
    assertEquals("MISSING", r.sites().get(3).status());
    StudyReport.Subgroup pooledF = r.pooledSubgroups().get(0);
    assertEquals(2, pooledF.metrics().count());
    assertEquals(List.of("b"), pooledF.suppressedAt());
    assertTrue(r.sites().get(0).subgroups().get(1).suppressed());
    assertNull(r.sites().get(0).subgroups().get(1).metrics());
  }

  @Test void aSubgroupIsFlaggedOnlyWhenWellBelowThePooledAucAndItsIntervalIsBelowIt() {
    StudyReport.Group low = group(0.70, 0.62, 0.78);
    StudyReport.Group lowButWide = group(0.70, 0.40, 0.95);
    StudyReport.Group slightlyLow = group(0.87, 0.85, 0.89);
    assertTrue(ReportMath.flagged(low, 0.90));
    assertFalse(ReportMath.flagged(lowButWide, 0.90));
    assertFalse(ReportMath.flagged(slightlyLow, 0.90));
    assertFalse(ReportMath.flagged(null, 0.90));
  }

  @Test void htmlIsSelfContainedWithInlineSvgPlotsAndEscapedNames() {
    // Prepare
    float[] p = {0.9f, 0.8f, 0.3f, 0.2f, 0.6f}, y = {1, 1, 0, 0, 0};
    ValidationCounts c = ValidationCounts.of(p, y, new int[] {0, 1, 2, 3, 4}, 0.5);
    var site = new AgentMessage.ValidationReport(STUDY, 3, "OK", null, 2, c,
        List.of(new AgentMessage.SubgroupCounts("group", "<b>", false, c)));
    StudyReport r = StudyReport.assemble(STUDY, "study <x>", 3, 0.5, Map.of("a", site), List.of("a"));

    // Execute
    String html = ReportHtml.render(r);

    // Assert
    assertTrue(html.contains("<svg"), "inline SVG plots");
    assertTrue(html.contains("<polyline"), "a ROC curve");
    assertTrue(html.contains("study &lt;x&gt;") && html.contains("group = &lt;b&gt;"));
    assertFalse(html.contains("src=") || html.contains("href=") || html.contains("<script") || html.contains("@import"),
        "nothing loaded from elsewhere");
  }

  private static StudyReport.Group group(double auc, double lower, double upper) {
    return new StudyReport.Group(100, 50, auc, lower, upper, 0, 0, 0, 0, 0, 0, 0, 0, 0, List.of(), null);
  }
}
