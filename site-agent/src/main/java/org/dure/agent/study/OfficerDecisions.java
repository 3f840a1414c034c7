package org.dure.agent.study;

import java.util.UUID;
import org.dure.agent.chain.PrivacyChain;
import org.dure.agent.policy.StudyDecisions;
import org.dure.agent.policy.StudyDecisions.Status;
import org.dure.agent.policy.StudyDecisions.StudyRecord;
import org.dure.agent.study.StudyContext.Pending;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data officer's decisions as they take effect: withdrawals at once (on the decisions thread), approvals and
 * refusals of pending studies on the training thread, and the end of a study noted in the officer's record.
 */
final class OfficerDecisions {
  private static final Logger log = LoggerFactory.getLogger(OfficerDecisions.class);
  private final StudyContext ctx;
  private final String siteId;
  private final PrivacyChain out;
  private final Approvals approvals;
  private final java.util.Map<UUID, StudyParticipation> studies;
  private final java.util.Map<UUID, Pending> pending;
  private final java.util.Map<UUID, SecureContribution> secure;
  private final OfferDesk offers;

  OfficerDecisions(StudyContext c, OfferDesk offers) {
    this.ctx = c;
    this.siteId = c.siteId;
    this.out = c.out;
    this.approvals = c.approvals;
    this.studies = c.studies;
    this.pending = c.pending;
    this.secure = c.secure;
    this.offers = offers;
  }

  /** On the decisions thread: a withdrawal takes effect here at once; approvals and refusals go to the training thread. */
  void pollDecisions() {
    try {
      for (StudyDecisions.Decision d : approvals.store.take()) {
        if (d.kind() == StudyDecisions.Kind.WITHDRAW) withdraw(d);
        else ctx.worker.execute(() -> {
          try {
            decide(d);
          } catch (RuntimeException e) {
            log.error("study {}: cannot apply the data officer's {}: {}", d.studyId(), d.kind(), e.toString());
            log.debug("study {}: the data officer's {} failed", d.studyId(), d.kind(), e);
          }
        });
      }
    } catch (RuntimeException e) {
      log.error("cannot apply the data officer's decisions: {}", e.toString());
      log.debug("the failure", e);
    }
  }

  private void withdraw(StudyDecisions.Decision d) {
    StudyRecord r = approvals.known(d.studyId());
    if (r == null || r.status() != Status.APPROVED) {
      log.warn("study {}: ignoring the withdrawal: the study is {}", d.studyId(), r == null ? "unknown" : r.status());
      return;
    }
    if (r.ended() != null) {
      // `dure agent withdraw` refuses this too; a decision queued before the end arrived lands here.
      log.warn("study {} ({}): not withdrawing: the study is over ({}); nothing more leaves for it, and this site's"
          + " participation stays on record", d.studyId(), r.name(), r.endedStatus());
      return;
    }
    out.withdrawn(d.studyId()); // from here on nothing more leaves for the study
    approvals.save(r.with(Status.WITHDRAWN, d.reason()));
    out.send(approvals.withdrawal(d.studyId(), d.reason()));
    org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.WARN, "study.withdrawn", d.studyId(), siteId, "study {} ({}): withdrawn by the data officer: {}",
        d.studyId(), r.name(), d.reason());
    ctx.worker.execute(() -> {
      UUID id = UUID.fromString(d.studyId());
      secure.remove(id);
      StudyParticipation p = studies.remove(id);
      out.forget(d.studyId());
      if (p != null) p.close();
    });
  }

  /** On the training thread: the officer approved or refused a pending study. */
  private void decide(StudyDecisions.Decision d) {
    StudyRecord r = approvals.known(d.studyId());
    if (r == null || !r.specSha256().equals(d.specSha256())) {
      log.warn("study {}: ignoring the data officer's {}: the study's definition changed since; decide again",
          d.studyId(), d.kind());
      return;
    }
    if (r.ended() != null) {
      log.warn("study {} ({}): ignoring the data officer's {}: the study is over ({})", d.studyId(), r.name(), d.kind(),
          r.endedStatus());
      return;
    }
    Pending p = pending.remove(UUID.fromString(d.studyId()));
    if (d.kind() == StudyDecisions.Kind.APPROVE) {
      boolean wasRefused = r.status() == Status.REFUSED;
      approvals.save(r.with(Status.APPROVED, wasRefused ? "approved by the data officer after refusing it"
          : "approved by the data officer"));
      org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.INFO, "study.approved", d.studyId(), siteId,
          "study {} ({}): approved by the data officer{}", d.studyId(), r.name(), wasRefused ? " after refusing it" : "");
      if (p != null) {
        ctx.admit(p.participation());
        out.send(offers.accepted(p.offer(), p.participation().usableRows()));
      } else {
        // Refused before (the coordinator was told) or pending across a restart: take the offer again as it was
        // made, so the data is read and checked now and the signed approval leaves at once. The coordinator admits
        // the site if the study still runs; a disconnected agent answers the offer it gets when it reconnects.
        offers.offer(new CoordinatorMessage.StudyOffer(r.id(), r.spec()));
      }
    } else {
      String reason = "refused by " + siteId + "'s data officer: " + d.reason();
      approvals.save(r.with(Status.REFUSED, reason));
      org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.INFO, "study.refused", d.studyId(), siteId,
          "study {} ({}): {}", d.studyId(), r.name(), reason);
      if (p != null) p.participation().close();
      out.send(new AgentMessage.StudyDeclined(d.studyId(), reason)); // also after a restart, so both sides agree
    }
  }

  /**
   * Notes in the officer's record that the study is over, so that `dure agent withdraw|approve|refuse` say so. The
   * coordinator tells a site that withdrew nothing at the end: a study-ended for a study withdrawn here means the
   * withdrawal reached the coordinator only after the end, which keeps the site's participation on record — and so
   * does this record.
   */
  void recordEnd(CoordinatorMessage.StudyEnded e) {
    StudyRecord r = approvals.known(e.studyId());
    if (r == null) return;
    String how = e.status() + (e.reason() == null || e.reason().isBlank() ? "" : ": " + e.reason());
    if (r.status() == Status.WITHDRAWN) {
      r = r.with(Status.APPROVED, "the withdrawal (" + r.reason() + ") reached the coordinator after the study ended ("
          + e.status() + "): this site's participation stays on record; nothing more leaves for the study");
      log.warn("study {} ({}): {}", e.studyId(), r.name(), r.reason());
    } else if (how.equals(r.ended())) {
      return;
    }
    approvals.save(r.withEnded(how));
  }
}
