package org.dure.ledger;

/**
 * What a ledger entry records. Each names one event of a study's or a site's life; the event-specific fields
 * (hashes, participants, ε spent, reasons) go in the entry's {@link LedgerEntry#details() details}.
 */
public enum EventType {
  /** A researcher submitted a study: who, and the hashes of its plan and privacy plan. */
  STUDY_SUBMITTED,
  /** A site approved a study (site-signed). */
  SITE_APPROVED,
  /** A site refused a study (site-signed). */
  SITE_REFUSED,
  /** A site withdrew from a study (site-signed). */
  SITE_WITHDREW,
  /** A round started: its participants and the global model's hash. */
  ROUND_STARTED,
  /** A site's contribution arrived: its signed receipt over study, round, model hash and what it sent. */
  CONTRIBUTION_RECEIVED,
  /** A site dropped out of a round. */
  SITE_DROPPED,
  /** A round was aborted, with the reason. */
  ROUND_ABORTED,
  /** A round's aggregate was committed: the new model hash, participants and ε spent per site. */
  AGGREGATE_COMMITTED,
  /**
   * Written by earlier versions (before STUDY_ENDED existed) when a study ended, however it ended (completed, stopped, failed): its details' {@code status}
   * says which. No longer written — {@link #STUDY_ENDED} replaces it — but entries of this type stay valid and verify,
   * and a filter on {@link #STUDY_ENDED} matches them too.
   */
  STUDY_COMPLETED,
  /** A site was enrolled in the consortium. */
  SITE_ENROLLED,
  /** A site's enrolment was revoked. */
  SITE_REVOKED,
  /** A credential (researcher, auditor, administrator) was issued. */
  CREDENTIAL_ISSUED,
  /** A credential was revoked. */
  CREDENTIAL_REVOKED,
  /**
   * A study ended: its details' {@code status} is COMPLETED, STOPPED or FAILED, with the reason, the rounds completed and
   * the final model's hash when there is one; the actor is the user who stopped it, absent when the protocol ended it.
   */
  STUDY_ENDED;

  /** Whether an entry of type {@code actual} is one a filter on this type asks for (STUDY_ENDED includes its legacy name). */
  public boolean includes(EventType actual) {
    return this == actual || (this == STUDY_ENDED && actual == STUDY_COMPLETED);
  }
}
