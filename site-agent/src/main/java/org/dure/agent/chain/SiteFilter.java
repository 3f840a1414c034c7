package org.dure.agent.chain;

/**
 * One site-owned privacy filter of the {@link PrivacyChain}: it checks (and may rewrite) each outgoing message, and
 * fails closed — a refusal, or any exception it throws, means the message is not sent.
 */
public sealed interface SiteFilter permits PolicyFilter, ApprovalFilter, BudgetFilter, ClipNoiseFilter, SecureAggregationFilter {
  FilterName name();

  /**
   * @param terms what this site approved of the message's study, or null (no study, or none admitted to work yet)
   */
  Verdict inspect(Outgoing message, StudyTerms terms);

  /** The filter's settings for one study, in one line, for {@code dure agent studies}. */
  String settings(String studyId, org.dure.protocol.study.StudySpec spec);
}
