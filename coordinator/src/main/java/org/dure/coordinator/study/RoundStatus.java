package org.dure.coordinator.study;

/** Where one training round stands (its JSON form is the constant's name, as before this type). */
public enum RoundStatus {
  /** Round 0: the initial model, measured before any training. */
  INITIAL,
  /** Its latest attempt is under way. */
  RUNNING,
  /** Aggregated: the next global model exists. */
  COMPLETED,
  /** Its latest attempt aborted (a retry, if any, is a new attempt of the same round). */
  ABORTED
}
