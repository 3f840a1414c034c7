package org.dure.coordinator.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;
import org.dure.protocol.model.FeatureScaling;

/**
 * A study as stored in the cluster state and returned by the API.
 *
 * @param owner the user name of the researcher who submitted the study (for display)
 * @param ownerId the id of the credential that submitted the study, which owns it; null in a study stored before
 *     credentials had ids (then the credential of {@code owner} that existed when the study was created owns it)
 * @param completedRounds rounds whose aggregate was committed
 * @param currentRound the round running now (0 before training)
 * @param modelDir directory of the latest saved global model (null before round 1 completes)
 */
public record StudyView(String id, String name, String owner, String ownerId, StudyStatus status, String statusReason, Instant createdAt,
                        Instant startedAt, Instant endedAt, int rounds, int completedRounds, int currentRound,
                        Map<String, SiteParticipation> sites, FeatureScaling scaling, String modelDir,
                        JsonNode spec) {
  public StudyView {
    sites = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(sites));
  }

  /** Whether the credential {@code caller} owns this study (see {@link #ownedBy(String, String, Instant, String, String, Instant)}). */
  public boolean ownedBy(org.dure.coordinator.security.Caller caller) {
    return ownedBy(ownerId, owner, createdAt, caller.id(), caller.name(), caller.since());
  }

  /**
   * Whether the credential {@code credentialId} (of user {@code name}, issued at {@code issuedAt}) owns a study. A
   * study is owned by the credential id it was submitted with. One stored before credentials had ids names only its
   * owner's user name: it belongs to that name's credential only if the credential already existed when the study was
   * created, so a name issued again later does not inherit it.
   */
  public static boolean ownedBy(String ownerId, String owner, Instant createdAt, String credentialId, String name,
                                Instant issuedAt) {
    if (ownerId != null) return ownerId.equals(credentialId);
    return owner != null && owner.equals(name) && issuedAt != null && createdAt != null && !createdAt.isBefore(issuedAt);
  }
}
