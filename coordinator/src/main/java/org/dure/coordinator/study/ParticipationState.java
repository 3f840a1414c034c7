package org.dure.coordinator.study;

/** Where one site stands in one study (its JSON form is the constant's name, as before this type). */
public enum ParticipationState {
  /** Offered the study; no answer yet. */
  OFFERED,
  /** Passed the site's local policy; its data officer has not decided. */
  PENDING,
  /** Takes part (its approval signature verified). */
  ACCEPTED,
  /** Declined, with the site's reason. */
  DECLINED,
  /** Silent past the study's offerDeadlineSeconds: counted out until it answers. */
  NO_ANSWER,
  /** Its approval did not verify. */
  REFUSED,
  /** Dropped out of a round (disconnected, failed, missed a deadline); may take part again. */
  DROPPED,
  /** Withdrew, for good. */
  WITHDRAWN
}
