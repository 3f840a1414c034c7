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
  /** A study completed. */
  STUDY_COMPLETED,
  /** A site was enrolled in the consortium. */
  SITE_ENROLLED,
  /** A site's enrolment was revoked. */
  SITE_REVOKED,
  /** A credential (researcher, auditor, administrator) was issued. */
  CREDENTIAL_ISSUED,
  /** A credential was revoked. */
  CREDENTIAL_REVOKED
}
