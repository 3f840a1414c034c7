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

    // Execute
    AgentMessage.ValidationReport r = ValidationSummary.of("s", 4, plan, 4, p, y, columns::get);

    // Assert: M (3 rows) is below 4; F would then be the total minus nothing, so it goes too; neither name leaves
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
    float[] p = new float[30], y = new float[30];
    String[] ward = new String[30];
    for (int i = 0; i < 30; i++) {
      p[i] = i / 30f;
      y[i] = i % 2;
      ward[i] = i < 16 ? "A" : i < 27 ? "B" : "C"; // 16, 11, 3
    }
    ReportPlan plan = new ReportPlan(0.5, List.of(ReportPlan.Subgroup.categorical("ward")));
    AgentMessage.ValidationReport r = ValidationSummary.of("s", 1, plan, 10, p, y, Map.of("ward", ward)::get);
    assertEquals(List.of("ward=A", "ward=(suppressed)"), r.subgroups().stream().map(g -> g.column() + "=" + g.level()).toList());
    assertEquals(16, r.subgroups().get(0).counts().count());
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
        "the site's overall histogram (120 rows) keeps its 1000 bins");
  }
}
