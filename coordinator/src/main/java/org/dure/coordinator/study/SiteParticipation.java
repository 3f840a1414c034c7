package org.dure.coordinator.study;

import org.dure.protocol.wire.SiteStatistics;

/**
 * One site's part in a study as the researcher sees it.
 *
 * @param state OFFERED, PENDING (awaiting the site's data officer), ACCEPTED, DECLINED, NO_ANSWER (silent past the
 *     study's offerDeadlineSeconds), REFUSED (its approval did not verify), DROPPED or WITHDRAWN (for good)
 * @param reason why the site is pending, declined, was dropped or withdrew (null otherwise)
 * @param rows usable rows the site reported when accepting
 * @param statistics the site's aggregate data statistics (missing values, unseen categories, drops)
 */
public record SiteParticipation(String state, String reason, long rows, SiteStatistics statistics) {
  public SiteParticipation with(String newState, String newReason) {
    return new SiteParticipation(newState, newReason, rows, statistics);
  }
}
