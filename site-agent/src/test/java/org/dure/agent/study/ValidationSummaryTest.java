package org.dure.agent.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.dure.protocol.study.ReportPlan;
import org.dure.protocol.wire.AgentMessage;
import org.junit.jupiter.api.Test;

class ValidationSummaryTest {
  @Test void subgroupsBelowTheMinimumCellSizeLeaveAsNamesWithoutCounts() {
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

    // Assert
    assertEquals(12, r.overall().count());
    assertEquals(List.of("sex=F", "sex=M", "age=<50", "age=>=50", "smoking_status=(column absent)"),
        r.subgroups().stream().map(g -> g.column() + "=" + g.level()).toList());
    AgentMessage.SubgroupCounts f = r.subgroups().get(0), m = r.subgroups().get(1);
    assertFalse(f.suppressed());
    assertEquals(9, f.counts().count());
    assertTrue(m.suppressed(), "3 rows < minimum cell size 4");
    assertNull(m.counts());
    assertEquals(4, r.subgroups().get(2).counts().count()); // ages 30, 35, 40, 45
    assertEquals(8, r.subgroups().get(3).counts().count());
    assertNull(r.subgroups().get(4).counts());
  }
}
