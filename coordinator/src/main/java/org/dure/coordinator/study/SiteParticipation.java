package org.dure.coordinator.study;

import org.dure.protocol.wire.SiteStatistics;

/**
 * One site's part in a study as the researcher sees it.
 *
 * @param state where the site stands
 * @param reason why the site is pending, declined, was dropped or withdrew (null otherwise)
 * @param rows usable rows the site reported when accepting
 * @param statistics the site's aggregate data statistics (missing values, unseen categories, drops)
 * @param minSecureRoster the least sites its policy lets a securely aggregated round have, as it said when accepting
 *     (null: not said, by an agent before the field, or not accepted)
 */
public record SiteParticipation(ParticipationState state, String reason, long rows, SiteStatistics statistics, Integer minSecureRoster) {
  public SiteParticipation(ParticipationState state, String reason, long rows, SiteStatistics statistics) {
    this(state, reason, rows, statistics, null);
  }

  public SiteParticipation with(ParticipationState newState, String newReason) {
    return new SiteParticipation(newState, newReason, rows, statistics, minSecureRoster);
  }
}
