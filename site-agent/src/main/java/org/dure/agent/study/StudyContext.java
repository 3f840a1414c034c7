package org.dure.agent.study;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executor;
import org.dure.agent.chain.PrivacyChain;
import org.dure.agent.data.LocalData;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.ledger.ReceiptChecker;
import org.dure.agent.metrics.AgentMetrics;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.CoordinatorMessage;

/**
 * What the parts of the study work share: this site's identity and stores, the privacy chain every reply leaves
 * through, and the studies it works on (kept on the training thread only).
 */
final class StudyContext {
  /** A study waiting for the data officer: the offer (what an approval signs) and the data read for it. */
  record Pending(CoordinatorMessage.StudyOffer offer, StudyParticipation participation) {}

  final String siteId;
  final SiteIdentity identity;
  final LocalData source;
  /** Every message of the study work leaves through the site's privacy chain. */
  final PrivacyChain out;
  final Approvals approvals;
  /** What this site has given each study (revealed rounds, models contributed from, versions evaluated), on disk. */
  final ContributionJournal journal;
  final ReceiptChecker receipts;
  /** ε spent per study and in total, under the data officer's caps. */
  final PrivacyBudget budget;
  /** The training thread, where everything below is read and changed. */
  final Executor worker;
  /** The approved studies this site works on. */
  final Map<UUID, StudyParticipation> studies = new HashMap<>();
  /** Studies waiting for the data officer. */
  final Map<UUID, Pending> pending = new HashMap<>();
  /** The current secure-aggregation attempt per study (at most one). */
  final Map<UUID, SecureContribution> secure = new HashMap<>();
  private volatile AgentMetrics metrics = AgentMetrics.NONE;

  StudyContext(SiteIdentity identity, LocalData source, PrivacyChain out, Approvals approvals, ContributionJournal journal,
               ReceiptChecker receipts, PrivacyBudget budget, Executor worker) {
    this.siteId = identity.siteId();
    this.identity = identity;
    this.source = source;
    this.out = out;
    this.approvals = approvals;
    this.journal = journal;
    this.receipts = receipts;
    this.budget = budget;
    this.worker = worker;
  }

  AgentMetrics metrics() {
    return metrics;
  }

  void metrics(AgentMetrics m) {
    this.metrics = m;
  }

  /** The study is approved here: its participation is kept, and its messages pass the chain under its terms. */
  void admit(StudyParticipation p) {
    studies.put(p.studyId, p);
    out.admit(p.terms());
  }

  /**
   * How long a site waits for a contribution's ledger receipt before it counts it missing: the study's round deadline
   * (each secure-aggregation stage has that long), at most 60 s.
   */
  static java.time.Duration receiptWait(StudySpec spec) {
    return java.time.Duration.ofSeconds(spec == null ? 30 : Math.max(1, Math.min(60, spec.roundDeadlineSeconds())));
  }
}
