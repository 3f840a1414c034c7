package org.dure.coordinator.study;

/** Where a study is in its life. Terminal statuses: COMPLETED, STOPPED, FAILED. */
public enum StudyStatus {
  /** Submitted; not started. */
  SUBMITTED,
  /** Started; waiting until at least {@code minSites} sites have accepted and are online. */
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
