package org.dure.agent.study;

import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.dure.agent.chain.PrivacyChain;
import org.dure.agent.data.LocalData;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.policy.LocalPolicy;
import org.dure.agent.policy.StudyDecisions.Status;
import org.dure.agent.policy.StudyDecisions.StudyRecord;
import org.dure.agent.study.StudyContext.Pending;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.learning.data.StudyData;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecException;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.tabular.DataException;
import org.dure.tabular.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers study offers, always: checks the definition, the local policy's rules and this site's data, then accepts
 * (automatically or once the data officer approves), holds the study for the officer, or declines with the reason.
 */
final class OfferDesk {
  private static final Logger log = LoggerFactory.getLogger(OfferDesk.class);
  private final StudyContext ctx;
  private final String siteId;
  private final SiteIdentity identity;
  private final LocalData source;
  private final PrivacyChain out;
  private final Approvals approvals;
  private final java.util.Map<UUID, StudyParticipation> studies;
  private final java.util.Map<UUID, Pending> pending;

  OfferDesk(StudyContext c) {
    this.ctx = c;
    this.siteId = c.siteId;
    this.identity = c.identity;
    this.source = c.source;
    this.out = c.out;
    this.approvals = c.approvals;
    this.studies = c.studies;
    this.pending = c.pending;
  }

  /**
   * Answers a study offer, always: accepted, pending (the officer decides), or declined with the reason. Nothing that
   * goes wrong here leaves the coordinator waiting in silence; an unexpected error declines, its details in the log.
   */
  void offer(CoordinatorMessage.StudyOffer o) {
    try {
      answerOffer(o);
    } catch (RuntimeException e) {
      log.error("study {}: declining: an unexpected error while preparing the study: {}", o.studyId(), e.toString());
      log.debug("study {}: the error", o.studyId(), e);
      out.send(new AgentMessage.StudyDeclined(o.studyId(), siteId + " cannot take part: an unexpected error while"
          + " preparing the study at this site (the reason is in the site's log for its data officer)"));
    }
  }

  private void answerOffer(CoordinatorMessage.StudyOffer o) {
    UUID id;
    StudySpec spec;
    try {
      id = UUID.fromString(o.studyId());
      if (!id.toString().equals(o.studyId())) {
        // UUID.fromString is lenient (upper case, short fields): one study must have one spelling, or a refusal or
        // withdrawal recorded under one spelling could be got round with another.
        throw new IllegalArgumentException("study id '" + o.studyId() + "' is not a canonical UUID");
      }
      spec = StudySpecParser.parse(o.spec());
    } catch (IllegalArgumentException | StudySpecException e) {
      out.send(new AgentMessage.StudyDeclined(o.studyId(), "the study definition is invalid: " + e.getMessage()));
      return;
    }
    StudyRecord known = approvals.known(o.studyId());
    if (known != null && known.status() == Status.WITHDRAWN) {
      out.withdrawn(o.studyId());
      out.send(approvals.withdrawal(o.studyId(), known.reason()));
      return;
    }
    java.util.Optional<String> rule = approvals.policy.refusal(spec);
    if (rule.isPresent()) {
      refuseByPolicy(o, spec, -1, known, rule.get());
      return;
    }
    if (known != null && known.status() == Status.REFUSED && known.specSha256().equals(Approvals.specSha256(o))) {
      out.send(new AgentMessage.StudyDeclined(o.studyId(), known.reason()));
      return;
    }
    StudyParticipation existing = studies.get(id);
    if (existing != null && existing.spec.equals(spec)) {
      out.send(accepted(o, existing.usableRows()));
      return;
    }
    try {
      Table table = source.read();
      List<String> missing = StudyData.missingColumns(table, spec);
      if (!missing.isEmpty()) {
        out.send(new AgentMessage.StudyDeclined(o.studyId(), describeMissing(missing, spec)));
        return;
      }
      StudyData data = StudyData.load(table, spec, source.patientColumn());
      long[] classes = data.patientsPerClass();
      int cells = approvals.policy.minCellSize();
      if (classes[0] < cells || classes[1] < cells) {
        // A label that picks out a handful of patients ("age = 93") would make every metric their outcome; a label
        // that matches no row (or every row) would train on one class and report a perfect, meaningless accuracy.
        String why = oneClassReason(spec, classes, cells);
        log.info("study {}: {} ({} patients with the positive label, {} without)", id, why, classes[1], classes[0]);
        out.send(new AgentMessage.StudyDeclined(o.studyId(), why));
        return;
      }
      approveOrHold(o, spec, new StudyParticipation(id, spec, data, siteId), known);
    } catch (Decline e) {
      log.info("study {}: {}", id, e.getMessage());
      out.send(new AgentMessage.StudyDeclined(o.studyId(), e.getMessage()));
    } catch (DataException e) {
      log.warn("study {}: declining: {}", id, e.getMessage());
      out.send(new AgentMessage.StudyDeclined(o.studyId(), e.publicMessage()));
    } catch (org.dure.pseudonymisation.IdentifierFoundException e) {
      // The details (columns, counts — never values) are for the data officer, not for the consortium.
      log.error("study {}: declining: the data failed the identifier check: {}", id, e.getMessage());
      out.send(new AgentMessage.StudyDeclined(o.studyId(), siteId + "'s data failed its identifier check (columns that look"
          + " like direct identifiers); its data officer must fix the pseudonymisation configuration"));
    } catch (IOException e) {
      log.warn("study {}: cannot read {}: {}", id, source.describe(), e.toString());
      // Database and file errors can quote data or paths: the details stay in the site's log.
      out.send(new AgentMessage.StudyDeclined(o.studyId(), "site " + siteId + " cannot read its data now (the reason is"
          + " in the site's log for its data officer)"));
    }
  }

  /** The study passes every rule so far: the cohort rule, then approval (automatic, remembered, or the officer's). */
  private void approveOrHold(CoordinatorMessage.StudyOffer o, StudySpec spec, StudyParticipation p, StudyRecord known) {
    String sha = Approvals.specSha256(o);
    java.util.Optional<String> rule = approvals.policy.refusal(spec, p.usableRows());
    if (rule.isPresent()) {
      p.close();
      refuseByPolicy(o, spec, p.usableRows(), known, rule.get());
      return;
    }
    boolean sameSpec = known != null && sha.equals(known.specSha256());
    if (approvals.policy.approval() == LocalPolicy.Approval.AUTOMATIC || sameSpec && known.status() == Status.APPROVED) {
      if (!sameSpec || known.status() != Status.APPROVED) {
        approvals.save(Approvals.record(o, spec, p.usableRows(), Status.APPROVED, "approved automatically by the local policy", known));
      }
      ctx.admit(p);
      org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.INFO, "study.approved", p.studyId.toString(), siteId, "study {} ({}): accepted with {} rows",
          p.studyId, spec.name(), p.usableRows());
      out.send(accepted(o, p.usableRows()));
      return;
    }
    if (!sameSpec || known.status() != Status.PENDING) {
      approvals.save(Approvals.record(o, spec, p.usableRows(), Status.PENDING, known == null ? null
          : "the study's definition changed since it was last decided; it needs a decision again", known));
    }
    Pending old = pending.put(p.studyId, new Pending(o, p));
    if (old != null && old.participation() != p) old.participation().close();
    log.info("study {} ({}) waits for the data officer: `dure agent approve {} --config ...` or `dure agent refuse`",
        p.studyId, spec.name(), p.studyId);
    out.send(new AgentMessage.StudyPending(o.studyId(), "awaiting approval by " + siteId + "'s data officer"));
  }

  private void refuseByPolicy(CoordinatorMessage.StudyOffer o, StudySpec spec, long rows, StudyRecord known, String rule) {
    approvals.save(Approvals.record(o, spec, rows, Status.REFUSED_BY_POLICY, rule, known));
    org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.INFO, "study.refused.policy", o.studyId(), siteId, "study {} ({}): refused by the local policy: {}",
        o.studyId(), spec.name(), rule);
    out.send(new AgentMessage.StudyDeclined(o.studyId(), siteId + " refused the study: " + rule));
  }

  /**
   * Why a study whose label leaves a class empty or under the minimum cell size here is declined: the label column and
   * positive value the study gave, never this site's counts (a count under the cell size is exactly what may not leave).
   */
  private String oneClassReason(StudySpec spec, long[] classes, int cells) {
    String label = "label.column '" + spec.labelColumn() + "' = label.positive '" + spec.labelPositive() + "'";
    if (classes[1] == 0) {
      return siteId + " declines: no patient in its data has " + label + ", so it would train on one class only; check"
          + " label.positive against the values the sites' " + spec.labelColumn() + " column holds";
    }
    if (classes[0] == 0) {
      return siteId + " declines: every patient in its data has " + label + ", so it would train on one class only; check"
          + " label.positive against the values the sites' " + spec.labelColumn() + " column holds";
    }
    return siteId + " declines: fewer than " + cells + " patients in its data " + (classes[1] < cells ? "have " : "do not have ")
        + label + "; each class needs at least " + cells + " (the site's minimum cell size, minCellSize)";
  }

  /** The approval, signed over the exact study definition this site was offered. */
  AgentMessage.StudyAccepted accepted(CoordinatorMessage.StudyOffer o, long rows) {
    byte[] signature = identity.sign(Purpose.STUDY_APPROVAL, o.studyId(), 0, StudySpec.sha256(o.spec()));
    return new AgentMessage.StudyAccepted(o.studyId(), rows, Base64.getEncoder().encodeToString(signature),
        approvals.policy.minSecureRoster());
  }

  private String describeMissing(List<String> missing, StudySpec spec) {
    List<String> features = spec.features().stream().map(f -> f.name()).toList();
    String file = source.describe();
    if (missing.containsAll(features))
      return "none of the study's feature columns " + features + " are in " + siteId + "'s data (" + file + ")";
    return siteId + "'s data (" + file + ") lacks the columns " + missing;
  }
}
