package org.dure.agent.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.dure.protocol.study.ReportPlan;
import org.dure.protocol.wire.AgentMessage;
import org.junit.jupiter.api.Test;

class ValidationSummaryTest {
  @Test void smallLevelsAreSuppressedWithoutTheirNamesAndWithTheirComplementSoNoSubtractionRecoversThem() {
    // Prepare: 12 rows, sex F x 9, M x 3; ages 30, 35, ..., 85
    float[] p = new float[12], y = new float[12];
    String[] sex = new String[12], age = new String[12];
    for (int i = 0; i < 12; i++) {
      p[i] = i / 12f;
      y[i] = i % 2;
      sex[i] = i < 9 ? "F" : "M";
      age[i] = String.valueOf(30 + 5 * i);
    }
    ReportPlan plan = new ReportPlan(0.5, List.of(ReportPlan.Subgroup.categorical("sex"),
        ReportPlan.Subgroup.banded("age", List.of(50.0)), ReportPlan.Subgroup.categorical("smoking_status")));
    Map<String, String[]> columns = Map.of("sex", sex, "age", age);

    // Execute: a minimum of 2 patients of each class
    AgentMessage.ValidationReport r = ValidationSummary.of("s", 4, plan, 2, p, y, columns::get);

    // Assert: M (2 positives, 1 negative) is below 2; F would then be the total minus nothing, so it goes too; neither
    // name leaves
    assertEquals(12, r.overall().count());
    assertEquals(List.of("sex=(suppressed)", "age=<50", "age=>=50", "smoking_status=(column absent)"),
        r.subgroups().stream().map(g -> g.column() + "=" + g.level()).toList());
    assertTrue(r.subgroups().get(0).suppressed());
    assertNull(r.subgroups().get(0).counts());
    assertEquals(4, r.subgroups().get(1).counts().count()); // ages 30, 35, 40, 45
    assertEquals(8, r.subgroups().get(2).counts().count());
    assertNull(r.subgroups().get(3).counts());
  }

  @Test void withThreeLevelsTheSmallestReportedLevelIsSuppressedAlongsideTheSmallOne() {
    float[] p = new float[60], y = new float[60];
    String[] ward = new String[60];
    for (int i = 0; i < 60; i++) {
      p[i] = i / 60f;
      y[i] = i % 2;
      ward[i] = i < 32 ? "A" : i < 54 ? "B" : "C"; // 32, 22, 6 patients, half of them positive
    }
    ReportPlan plan = new ReportPlan(0.5, List.of(ReportPlan.Subgroup.categorical("ward")));
    AgentMessage.ValidationReport r = ValidationSummary.of("s", 1, plan, 10, p, y, Map.of("ward", ward)::get);
    assertEquals(List.of("ward=A", "ward=(suppressed)"), r.subgroups().stream().map(g -> g.column() + "=" + g.level()).toList());
    assertEquals(32, r.subgroups().get(0).counts().count());
  }

  @Test void thePatientKeyAndColumnsWithManyLevelsAreNotReportedAndASmallSiteWithholdsEverything() {
    float[] p = new float[40], y = new float[40];
    String[] id = new String[40], code = new String[40];
    for (int i = 0; i < 40; i++) {
      p[i] = i / 40f;
      y[i] = i % 2;
      id[i] = "pseudonym-" + (i / 2);
      code[i] = "c" + i;
    }
    ReportPlan plan = new ReportPlan(0.5, List.of(ReportPlan.Subgroup.categorical("patient_id"), ReportPlan.Subgroup.categorical("code")));
    AgentMessage.ValidationReport r = ValidationSummary.of("s", 1, plan, 1, p, y, Map.of("patient_id", id, "code", code)::get,
        java.util.Set.of("patient_id"));
    assertEquals(List.of("patient_id=(not reportable)", "code=(not reportable)"),
        r.subgroups().stream().map(g -> g.column() + "=" + g.level()).toList());
    for (AgentMessage.SubgroupCounts g : r.subgroups()) assertNull(g.counts());

    AgentMessage.ValidationReport small = ValidationSummary.of("s", 1, plan, 50, p, y, Map.of("patient_id", id, "code", code)::get);
    assertEquals(AgentMessage.ValidationReport.WITHHELD, small.status());
    assertNull(small.overall());
  }

  @Test void smallLevelsSendTheirScoreHistogramInTwentyBins() {
    float[] p = new float[120], y = new float[120];
    String[] ward = new String[120];
    for (int i = 0; i < 120; i++) {
      p[i] = (i * 7 % 120) / 120f;
      y[i] = i % 2;
      ward[i] = i < 30 ? "A" : "B"; // 30 and 90 rows: both under 100
    }
    ReportPlan plan = new ReportPlan(0.5, List.of(ReportPlan.Subgroup.categorical("ward")));
    AgentMessage.ValidationReport r = ValidationSummary.of("s", 1, plan, 10, p, y, Map.of("ward", ward)::get);
    for (AgentMessage.SubgroupCounts g : r.subgroups()) {
      long[] pos = g.counts().histogram().positives(), neg = g.counts().histogram().negatives();
      for (int b = 0; b < pos.length; b++) {
        if (b % 50 != 0) assertEquals(0, pos[b] + neg[b], g.level() + " bin " + b + " is merged into its group of 50");
      }
      assertEquals(g.counts().count(), java.util.Arrays.stream(pos).sum() + java.util.Arrays.stream(neg).sum());
    }
    long[] overall = r.overall().histogram().positives();
    assertTrue(java.util.stream.IntStream.range(0, overall.length).anyMatch(b -> b % 50 != 0 && overall[b] > 0),
        "the site's overall histogram (120 rows) is merged only into cells of 10 patients of each class, not 20 bins");
  }

  @Test void twoSuppressedLevelsAreNotRecoveredAsTheTotalMinusTheReportedLevels() {
    // wards A and B of 40 patients, C and D of 6 (3 positive each): C and D together still hold fewer than 10 positives
    float[] p = new float[92], y = new float[92];
    String[] ward = new String[92];
    for (int i = 0; i < 92; i++) {
      p[i] = (i * 13 % 92) / 92f;
      y[i] = i % 2;
      ward[i] = i < 40 ? "A" : i < 80 ? "B" : i < 86 ? "C" : "D";
    }
    ReportPlan plan = new ReportPlan(0.5, List.of(ReportPlan.Subgroup.categorical("ward")));
    AgentMessage.ValidationReport r = ValidationSummary.of("s", 1, plan, 10, p, y, Map.of("ward", ward)::get);
    // A goes too, so that the total minus what is reported (A, C and D: 26 positives, 26 negatives) passes the rule
    assertEquals(List.of("ward=B", "ward=(suppressed)"), r.subgroups().stream().map(g -> g.column() + "=" + g.level()).toList());
    long remainderPositives = r.overall().positives() - r.subgroups().get(0).counts().positives();
    assertTrue(remainderPositives >= 10, "the suppressed levels together hold " + remainderPositives + " positives");
  }

  @Test void theSitesPolicyFixesTheBandCutPointsSoTwoStudiesOneYearApartGetTheSameBands() {
    float[] p = new float[200], y = new float[200];
    String[] age = new String[200], bmi = new String[200];
    for (int i = 0; i < 200; i++) {
      p[i] = (i * 37 % 200) / 200f;
      y[i] = i % 2;
      age[i] = String.valueOf(20 + i * 77 % 75);
      bmi[i] = String.valueOf(18 + i % 15);
    }
    java.util.function.BiFunction<String, List<Double>, List<Double>> policy =
        org.dure.agent.policy.LocalPolicy.defaults()::bandsFor; // age in [40, 60, 80]; nothing else banded
    ReportPlan first = new ReportPlan(0.5, List.of(ReportPlan.Subgroup.banded("age", List.of(40.0, 60.0, 80.0)),
        ReportPlan.Subgroup.banded("bmi", List.of(25.0))));
    ReportPlan second = new ReportPlan(0.5, List.of(ReportPlan.Subgroup.banded("age", List.of(40.0, 60.0, 80.0, 93.0)),
        ReportPlan.Subgroup.banded("bmi", List.of(25.0))));
    Map<String, String[]> columns = Map.of("age", age, "bmi", bmi);
    AgentMessage.ValidationReport a = ValidationSummary.of("s", 1, first, 10, p, y, columns::get, java.util.Set.of(), null, policy);
    AgentMessage.ValidationReport b = ValidationSummary.of("s", 1, second, 10, p, y, columns::get, java.util.Set.of(), null, policy);
    assertEquals(a.subgroups(), b.subgroups(), "the second study's extra cut point at 93 is not used");
    assertEquals(List.of("age=<40", "age=40-<60", "age=60-<80", "age=>=80", "bmi=(not reportable)"),
        a.subgroups().stream().map(g -> g.column() + "=" + g.level()).toList());
  }

  @Test void aSmallSitesOverallHistogramLeavesOnlyInCellsOfTheMinimumSize() {
    float[] p = new float[30], y = new float[30];
    for (int i = 0; i < 30; i++) {
      p[i] = i / 30f;
      y[i] = i % 2;
    }
    AgentMessage.ValidationReport r = ValidationSummary.of("s", 1, new ReportPlan(0.5, List.of()), 10, p, y, c -> null);
    long[] pos = r.overall().histogram().positives(), neg = r.overall().histogram().negatives();
    for (int b = 0; b < pos.length; b++) {
      assertTrue((pos[b] == 0 || pos[b] >= 10) && (neg[b] == 0 || neg[b] >= 10), "bin " + b + ": " + pos[b] + "/" + neg[b]);
    }
    for (var bin : r.overall().calibration()) {
      long negatives = bin.count() - bin.positives();
      assertTrue((bin.positives() == 0 || bin.positives() >= 10) && (negatives == 0 || negatives >= 10), bin.toString());
    }
  }

  @Test void sizeRulesCountPatientsNotRows() {
    // 40 rows from 8 patients (5 rows each), half of them positive: 4 patients of each class, under a minimum of 5
    float[] p = new float[40], y = new float[40];
    int[] patient = new int[40];
    for (int i = 0; i < 40; i++) {
      patient[i] = i / 5;
      p[i] = i / 40f;
      y[i] = patient[i] % 2;
    }
    AgentMessage.ValidationReport r = ValidationSummary.of("s", 1, new ReportPlan(0.5, List.of()), 5, p, y, c -> null,
        java.util.Set.of(), patient, (c, b) -> b);
    assertEquals(AgentMessage.ValidationReport.WITHHELD, r.status(), "40 rows, but only 4 patients of each class");
  }
}
