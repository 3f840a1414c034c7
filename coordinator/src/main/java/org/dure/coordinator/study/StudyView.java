package org.dure.coordinator.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;
import org.dure.protocol.model.FeatureScaling;

/**
 * A study as stored in the cluster state and returned by the API.
 *
 * @param owner the researcher who submitted the study
 * @param completedRounds rounds whose aggregate was committed
 * @param currentRound the round running now (0 before training)
 * @param modelDir directory of the latest saved global model (null before round 1 completes)
 */
public record StudyView(String id, String name, String owner, StudyStatus status, String statusReason, Instant createdAt,
                        Instant startedAt, Instant endedAt, int rounds, int completedRounds, int currentRound,
                        Map<String, SiteParticipation> sites, FeatureScaling scaling, String modelDir,
                        JsonNode spec) {
  public StudyView {
    sites = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(sites));
  }
}
