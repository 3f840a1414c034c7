package org.dure.coordinator.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * Round records and site participations stored before their states became enums (and before sites stated a
 * minSecureRoster) read as they were written, and are written back in the same JSON.
 */
class StoredStateCompatibilityTest {
  /** As the coordinator stored it at commit 3026975 (state/rounds/&lt;study&gt;-r0001.json). */
  static final String ROUND = "{\"round\":1,\"attempt\":1,\"status\":\"COMPLETED\",\"startedAt\":\"2026-12-03T11:40:00Z\","
      + "\"endedAt\":\"2026-12-03T11:40:02Z\",\"seconds\":2.1,\"participants\":[\"hospital-a\",\"hospital-b\"],\"samples\":{},"
      + "\"trainLoss\":{},\"dropped\":{},\"abortReason\":null,\"pooled\":null,\"bySite\":{},\"secureAggregation\":{\"threshold\":2,"
      + "\"neighbours\":1,\"survivors\":[\"hospital-a\",\"hospital-b\"],\"survivorSamples\":700,\"meanTrainLoss\":0.41,"
      + "\"siteLevelEpsilon\":null},\"abortedAttempts\":[],\"epsilonSpent\":{}}";
  static final String PARTICIPATION = "{\"state\":\"DROPPED\",\"reason\":\"missed the round deadline\",\"rows\":352,\"statistics\":null}";

  @Test void aRoundRecordWrittenWithAStringStatusReadsAndWritesTheSameStatus() {
    RoundRecord r = StudyStore.read(ROUND, RoundRecord.class);
    assertEquals(RoundStatus.COMPLETED, r.status());
    assertEquals("COMPLETED", StudyStore.JSON.valueToTree(r).path("status").asText());
    assertEquals(StudyStore.JSON.valueToTree(r), StudyStore.JSON.valueToTree(StudyStore.read(StudyStore.write(r), RoundRecord.class)));
  }

  @Test void aSiteParticipationWrittenWithAStringStateAndNoRosterReadsAsBefore() {
    SiteParticipation p = StudyStore.read(PARTICIPATION, SiteParticipation.class);
    assertEquals(ParticipationState.DROPPED, p.state());
    assertEquals(352, p.rows());
    assertNull(p.minSecureRoster());
    assertEquals("DROPPED", StudyStore.JSON.valueToTree(p).path("state").asText());
  }
}
