package org.dure.coordinator.study;

/** Where a study is in its life. Terminal statuses: COMPLETED, STOPPED, FAILED. */
public enum StudyStatus {
  /** Submitted; not started. */
  SUBMITTED,
  /**
   * Started; waiting until enough sites ({@code minSites}, with secure aggregation at least 2 and its threshold) have
   * accepted and are online, at most {@code waitForSitesSeconds}; the status reason names every site's answer, what is
   * needed and until when. FAILED at once when too few sites can still accept.
   */
  WAITING_FOR_SITES,
  /** Collecting the sites' statistics for federated feature scaling. */
  PREPARING,
  /** Running training rounds. */
  TRAINING,
  /** Evaluating the final model at every site. */
  EVALUATING,
  COMPLETED, STOPPED, FAILED;

  public boolean active() {
    return this == WAITING_FOR_SITES || this == PREPARING || this == TRAINING || this == EVALUATING;
  }

  public boolean terminal() {
    return this == COMPLETED || this == STOPPED || this == FAILED;
  }
}
