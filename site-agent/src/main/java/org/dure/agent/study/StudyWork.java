package org.dure.agent.study;

import java.io.IOException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.dure.agent.chain.PrivacyChain;
import org.dure.agent.policy.LocalPolicy;
import org.dure.agent.policy.StudyDecisions;
import org.dure.agent.policy.StudyDecisions.Status;
import org.dure.agent.policy.StudyDecisions.StudyRecord;
import org.dure.agent.data.LocalData;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.ledger.ReceiptChecker;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.crypto.Digests;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.tabular.Table;
import org.dure.tabular.DataException;
import org.dure.learning.data.StudyData;
import org.dure.learning.train.TrainOutcome;
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecException;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SecAggWire;
import org.dure.protocol.logging.LogFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the agent does for studies, on one dedicated training thread (never the event loop):
 * deciding whether it can take part, preparing data, computing statistics, evaluating and training.
 * Replies go out through {@link Outbox}; a reply that cannot be sent because the connection is down is
 * dropped, and the coordinator's protocol recovers (re-offer on reconnect, next round).
 */
public final class StudyWork implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StudyWork.class);

  /**
   * Where replies go once the site's privacy chain let them pass; the filter-aware methods (which the agent's
   * connection implements, to record the filters in the outbound ledger) default to the plain ones.
   */
  public interface Outbox extends PrivacyChain.Sink {
    boolean send(AgentMessage message);

    boolean sendBinary(byte[] frame);

    @Override default boolean send(AgentMessage message, List<String> filters) {
      return send(message);
    }

    @Override default boolean sendBinary(byte[] frame, List<String> filters) {
      return sendBinary(frame);
    }
  }

  private final String siteId;
  private final SiteIdentity identity;
  private final LocalData source;
  /** Every message of the study work leaves through the site's privacy chain. */
  private final PrivacyChain out;
  private final ReceiptChecker receipts;
  private final java.util.function.Supplier<java.security.PublicKey> coordinatorKey;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "dure-training");
    t.setDaemon(true);
    return t;
  });
  private final ExecutorService ledgerWorker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "dure-ledger-receipts");
    t.setDaemon(true);
    return t;
  });
  private final Map<UUID, StudyParticipation> studies = new HashMap<>();
  /** ε spent per study and in total, under the data officer's caps. */
  private final PrivacyBudget budget;
  /** The current secure-aggregation attempt per study (at most one). */
  private final Map<UUID, SecureContribution> secure = new HashMap<>();
  /** Studies waiting for the data officer: the offer (what an approval signs) and the data read for it. */
  private final Map<UUID, Pending> pending = new HashMap<>();
  private final Approvals approvals;
  private final java.util.concurrent.ScheduledExecutorService decisionPoll = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "dure-decisions");
    t.setDaemon(true);
    return t;
  });

  /** What this site has given each study (revealed rounds, models contributed from, versions evaluated), on disk. */
  private final ContributionJournal journal;

  private volatile org.dure.agent.metrics.AgentMetrics metrics = org.dure.agent.metrics.AgentMetrics.NONE;

  /** Where training time is measured ({@code dure_site_agent_training_duration_seconds}). */
  public void metrics(org.dure.agent.metrics.AgentMetrics m) {
    this.metrics = m;
  }

  private record Pending(CoordinatorMessage.StudyOffer offer, StudyParticipation participation) {}

  /**
   * @param policy the data officer's local policy, which every study offer is checked against
   * @param decisions the officer's decisions (approve, refuse, withdraw), picked up within half a second
   * @param budget where differential privacy is accounted and its caps enforced
   * @param workDir where the contribution journal is kept
   * @throws IOException if the decisions already on disk cannot be read
   */
  public StudyWork(SiteIdentity identity, LocalData source, ReceiptChecker receipts,
                   java.util.function.Supplier<java.security.PublicKey> coordinatorKey, LocalPolicy policy,
                   StudyDecisions decisions, PrivacyBudget budget, java.nio.file.Path workDir, Outbox out)
      throws IOException {
    this.journal = ContributionJournal.open(workDir);
    this.receipts = receipts;
    this.coordinatorKey = coordinatorKey;
    this.identity = identity;
    this.siteId = identity.siteId();
    this.source = source;
    this.budget = java.util.Objects.requireNonNull(budget, "budget");
    this.approvals = new Approvals(policy, decisions, identity);
    this.out = new PrivacyChain(siteId, policy, decisions, budget, out);
    for (StudyRecord r : decisions.all()) if (r.status() == Status.WITHDRAWN) this.out.withdrawn(r.id());
    decisionPoll.scheduleWithFixedDelay(this::pollDecisions, 0, 500, TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------------------------------------- officer decisions

  /** On the decisions thread: a withdrawal takes effect here at once; approvals and refusals go to the training thread. */
  private void pollDecisions() {
    try {
      for (StudyDecisions.Decision d : approvals.store.take()) {
        if (d.kind() == StudyDecisions.Kind.WITHDRAW) withdraw(d);
        else worker.execute(() -> {
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
    worker.execute(() -> {
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
        admit(p.participation());
        out.send(accepted(p.offer(), p.participation().usableRows()));
      } else {
        // Refused before (the coordinator was told) or pending across a restart: take the offer again as it was
        // made, so the data is read and checked now and the signed approval leaves at once. The coordinator admits
        // the site if the study still runs; a disconnected agent answers the offer it gets when it reconnects.
        offer(new CoordinatorMessage.StudyOffer(r.id(), r.spec()));
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
      admit(p);
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

  /** The study is approved here: its participation is kept, and its messages pass the chain under its terms. */
  private void admit(StudyParticipation p) {
    studies.put(p.studyId, p);
    out.admit(p.terms());
  }

  /** Why this site must not train the next round of the study (a privacy cap or target would be passed), or null. */
  private String budgetRefusal(StudyParticipation p) {
    return out.budgetRefusal(p.terms());
  }

  public void handle(CoordinatorMessage m) {
    if (m instanceof CoordinatorMessage.LedgerReceipt r) {
      // Off the training thread: checking a receipt (signatures, proofs, an fsync'ed head file) must not delay a round.
      ledgerWorker.execute(() -> receipts.check(r, coordinatorKey.get()));
      return;
    }
    String study = studyOf(m);
    Integer round = m instanceof SecAggWire.Addressed a ? a.round() : null;
    worker.execute(() -> {
      try (var fields = LogFields.scope(study, round, siteId)) {
        dispatch(m);
      } catch (RuntimeException e) {
        log.error("failed to handle {}: {}", m.getClass().getSimpleName(), e.toString());
        log.debug("the failure", e);
        if (m instanceof CoordinatorMessage.ReportRequest r) { // an answer, so that the coordinator need not wait for one
          out.send(AgentMessage.ValidationReport.without(r.studyId(), r.modelVersion(),
              AgentMessage.ValidationReport.UNAVAILABLE, siteId + " could not compute its validation report (the reason"
                  + " is in the site's log for its data officer)", approvals.policy.minCellSize()));
        }
      }
    });
  }

  public void handle(Frames.ModelFrame f) {
    worker.execute(() -> {
      try (var fields = LogFields.scope(f.studyId().toString(), f.round(), siteId)) {
        round(f);
      } catch (RuntimeException e) {
        log.error("failed on model frame for round {}: {}", f.round(), e.toString());
        log.debug("the failure", e);
        out.send(new AgentMessage.RoundFailed(f.studyId().toString(), f.round(), e.getClass().getSimpleName() + ": " + e.getMessage()));
      }
    });
  }

  /** The study a coordinator message is about, or null (for the log fields). */
  private static String studyOf(CoordinatorMessage m) {
    if (m instanceof CoordinatorMessage.StudyOffer o) return o.studyId();
    if (m instanceof CoordinatorMessage.StatisticsRequest r) return r.studyId();
    if (m instanceof CoordinatorMessage.TrainingSetup t) return t.studyId();
    if (m instanceof CoordinatorMessage.StudyEnded e) return e.studyId();
    if (m instanceof CoordinatorMessage.ReportRequest r) return r.studyId();
    if (m instanceof SecAggWire.Addressed a) return a.studyId();
    return null;
  }

  private void dispatch(CoordinatorMessage m) {
    if (m instanceof CoordinatorMessage.StudyOffer o) offer(o);
    else if (m instanceof CoordinatorMessage.StatisticsRequest r) statistics(r);
    else if (m instanceof CoordinatorMessage.TrainingSetup s) setUp(s);
    else if (m instanceof CoordinatorMessage.StudyEnded e) ended(e);
    else if (m instanceof CoordinatorMessage.ReportRequest r) report(r);
    else if (m instanceof SecAggWire.Addressed a) secureAggregation(a);
  }

  // ---------------------------------------------------------------------------------------------- secure aggregation

  private void secureAggregation(SecAggWire.Addressed m) {
    UUID id = UUID.fromString(m.studyId());
    if (m instanceof CoordinatorMessage.SecAggStart start) {
      secure.remove(id);
      StudyParticipation p = studies.get(id);
      if (p == null || !p.ready()) {
        out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), siteId + " is not set up for this study"));
        return;
      }
      String refusal = journal.refusalForRound(m.studyId(), m.round(), start.roster()).orElse(null);
      if (refusal == null && start.roster().size() < approvals.policy.minSecureRoster()) {
        refusal = "the round's roster has " + start.roster().size() + " sites, fewer than the " + approvals.policy
            .minSecureRoster() + " this site's policy requires (minSecureRoster): in a smaller sum each site's update is"
            + " too close to the sum";
      }
      if (refusal == null) refusal = p.scalingRefusal(start.totalSamples());
      if (refusal != null) {
        log.warn("study {}: sitting out secure round {} attempt {}: {}", id, m.round(), m.attempt(), refusal);
        out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), "secure round refused by " + siteId + ": " + refusal));
        return;
      }
      String overBudget = budgetRefusal(p); // a retried attempt trains again, with fresh noise, and spends again
      if (overBudget != null) {
        log.warn("study {}: sitting out secure round {}: {}", id, m.round(), overBudget);
        out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), overBudget));
        return;
      }
      SecureContribution c;
      try {
        c = SecureContribution.accept(id, p.spec, p.trainRows(), identity, start);
      } catch (IllegalArgumentException e) {
        log.warn("study {}: sitting out secure round {}: {}", id, m.round(), e.getMessage());
        out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), "secure round refused by " + siteId + ": " + e.getMessage()));
        return;
      }
      secure.put(id, c);
      out.send(c.keys());
      return;
    }
    SecureContribution c = secure.get(id);
    if (c == null || !c.isFor(m)) {
      log.debug("study {}: ignoring {} for round {} attempt {} (not the current attempt)", id, m.getClass().getSimpleName(),
          m.round(), m.attempt());
      return;
    }
    try {
      if (m instanceof CoordinatorMessage.SecAggPeers peers) {
        out.send(c.shares(peers));
      } else if (m instanceof CoordinatorMessage.SecAggInbox inbox) {
        if (!c.hasInput()) {
          log.warn("study {}: round {}: no trained update to mask; this site drops out of the round", id, m.round());
          secure.remove(id);
          return;
        }
        if (c.clippedElements() > 0) {
          log.warn("study {}: round {}: {} model-change elements exceeded the study's clip and were clipped", id,
              m.round(), c.clippedElements());
        }
        byte[] frame = c.maskedFrame(inbox);
        receipts.sent(m.studyId(), m.round(), c.signature());
        out.sendBinary(frame);
      } else if (m instanceof CoordinatorMessage.SecAggUnmask request) {
        secure.remove(id);
        if (request.survivors().size() < approvals.policy.minSecureRoster()) {
          throw new IllegalArgumentException("the unmask request names " + request.survivors().size() + " survivors,"
              + " fewer than the " + approvals.policy.minSecureRoster() + " this site's policy requires (minSecureRoster)");
        }
        java.util.Optional<String> again = journal.refusalForReveal(m.studyId(), m.round(), request.survivors());
        if (again.isPresent()) throw new IllegalArgumentException(again.get());
        // The masked input must be provably in the participation ledger before this site reveals what unmasks it.
        java.util.Optional<String> missing = receipts.awaitReceipt(m.studyId(), m.round(),
            receiptWait(studies.get(id) == null ? null : studies.get(id).spec));
        if (missing.isPresent()) {
          stopTakingPart(m.studyId(), m.round(), missing.get());
          return;
        }
        AgentMessage.SecAggReveal reveal = c.reveal(request);
        try {
          journal.revealed(m.studyId(), m.round(), c.globalSha256(), request.survivors());
        } catch (IOException e) {
          throw new IllegalStateException("cannot record the reveal in the contribution journal (" + e.getMessage()
              + "); revealing nothing", e);
        }
        out.send(reveal);
      } else if (m instanceof CoordinatorMessage.SecAggAbort abort) {
        log.warn("study {}: secure round {} attempt {} aborted: {}", id, abort.round(), abort.attempt(), abort.reason());
        secure.remove(id);
      }
    } catch (RuntimeException e) {
      log.error("study {}: secure round {} attempt {}: {}", id, m.round(), m.attempt(), e.getMessage());
      secure.remove(id);
      out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), "secure aggregation refused by " + siteId + ": " + e.getMessage()));
    }
  }

  /**
   * How long a site waits for a contribution's ledger receipt before it counts it missing: the study's round deadline
   * (each secure-aggregation stage has that long), at most 60 s.
   */
  private static java.time.Duration receiptWait(StudySpec spec) {
    return java.time.Duration.ofSeconds(spec == null ? 30 : Math.max(1, Math.min(60, spec.roundDeadlineSeconds())));
  }

  /**
   * A contribution without its ledger receipt (finding: a coordinator that used a site's update without recording
   * it): an alarm for the data officer, and this site takes no further part in the study (recorded on disk).
   */
  private void stopTakingPart(String studyId, int round, String why) {
    receipts.missing(studyId, round, why);
    try {
      journal.halt(studyId, "ledger alarm in round " + round + ": " + why);
    } catch (IOException e) {
      log.error("study {}: cannot record the halt in the contribution journal: {}", studyId, e.toString());
    }
    secure.remove(UUID.fromString(studyId));
    log.error("study {}: round {}: {}; this site takes no further part in the study (see {})", studyId, round, why,
        ReceiptChecker.ALARM_FILE);
    out.send(new AgentMessage.RoundFailed(studyId, round, siteId + " stopped taking part in the study: " + why));
  }

  /**
   * Answers a study offer, always: accepted, pending (the officer decides), or declined with the reason. Nothing that
   * goes wrong here leaves the coordinator waiting in silence; an unexpected error declines, its details in the log.
   */
  private void offer(CoordinatorMessage.StudyOffer o) {
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
  private AgentMessage.StudyAccepted accepted(CoordinatorMessage.StudyOffer o, long rows) {
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

  private void statistics(CoordinatorMessage.StatisticsRequest r) {
    StudyParticipation p = studies.get(UUID.fromString(r.studyId()));
    if (p != null) out.send(new AgentMessage.Statistics(r.studyId(), p.statistics()));
  }

  private void setUp(CoordinatorMessage.TrainingSetup s) {
    StudyParticipation p = studies.get(UUID.fromString(s.studyId()));
    if (p == null) return;
    p.setUp(s.scaling());
    log.info("study {}: ready to train on {} rows", s.studyId(), p.trainRows());
  }

  /** The validation report's counts for the final model (aggregate counts only; small subgroups suppressed). */
  private void report(CoordinatorMessage.ReportRequest r) {
    StudyParticipation p = studies.get(UUID.fromString(r.studyId()));
    if (p == null) return;
    int cells = approvals.policy.minCellSize();
    out.send(p.report(r.modelVersion(), cells, approvals.policy::bandsFor));
    log.info("study {}: sent the validation report for model version {} (subgroups under {} rows suppressed)",
        r.studyId(), r.modelVersion(), cells);
  }

  private void ended(CoordinatorMessage.StudyEnded e) {
    try {
      recordEnd(e);
    } catch (RuntimeException x) { // the resources below are freed all the same
      log.error("study {}: cannot record that the study ended: {}", e.studyId(), x.toString());
    }
    secure.remove(UUID.fromString(e.studyId()));
    Pending waiting = pending.remove(UUID.fromString(e.studyId()));
    if (waiting != null) waiting.participation().close();
    StudyParticipation p = studies.remove(UUID.fromString(e.studyId()));
    out.forget(e.studyId());
    if (p != null) {
      p.close();
      log.info("study {} ended: {} ({})", e.studyId(), e.status(), e.reason());
    }
  }

  /**
   * Notes in the officer's record that the study is over, so that `dure agent withdraw|approve|refuse` say so. The
   * coordinator tells a site that withdrew nothing at the end: a study-ended for a study withdrawn here means the
   * withdrawal reached the coordinator only after the end, which keeps the site's participation on record — and so
   * does this record.
   */
  private void recordEnd(CoordinatorMessage.StudyEnded e) {
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

  private void round(Frames.ModelFrame f) {
    StudyParticipation p = studies.get(f.studyId());
    String study = f.studyId().toString();
    if (p == null || !p.ready()) {
      out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " is not set up for this study"));
      return;
    }
    float[] global = f.valuesUnsafe();
    String globalSha256 = org.dure.crypto.Digests.modelSha256(global); // once per frame: models can be large
    long t0 = System.nanoTime();
    boolean secureStudy = p.spec.privacy().secureAggregation().enabled();
    String halted = journal.halted(study);
    if (halted != null) {
      out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " stopped taking part in the study: " + halted));
      return;
    }
    if (f.kind() != Frames.Kind.GLOBAL_TRAIN) { // the final evaluation, before the validation report
      evaluate(p, f.modelVersion(), global, globalSha256, secureStudy);
      return;
    }
    SecureContribution c = null;
    if (secureStudy) {
      c = secure.get(f.studyId());
      if (c == null || !c.isFor(f.round())) {
        // Fail closed: an approved secure study never sends a plain update.
        out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " sends updates for this"
            + " study only through secure aggregation, and no secure round " + f.round() + " was announced"));
        return;
      }
      if (f.modelVersion() != f.round() - 1) {
        secure.remove(f.studyId());
        out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " trains round " + f.round() + " only from model"
            + " version " + (f.round() - 1) + ", not " + f.modelVersion()));
        return;
      }
      java.util.Optional<String> again = journal.refusalForModel(study, f.round(), globalSha256);
      if (again.isPresent()) {
        secure.remove(f.studyId());
        log.warn("study {}: refusing round {}: {}", study, f.round(), again.get());
        out.send(new AgentMessage.RoundFailed(study, f.round(), "round refused by " + siteId + ": " + again.get()));
        return;
      }
    }
    if (p.oneClassTraining()) {
      secure.remove(f.studyId());
      out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " does not train: its training split holds one"
          + " class only of label.column '" + p.spec.labelColumn() + "' = label.positive '" + p.spec.labelPositive()
          + "' (raise minCellSize in its policy, or the study's label picks out too few patients)"));
      return;
    }
    if (f.round() > p.spec.training().rounds()) {
      // A coordinator asking for more rounds than approved would also spend privacy budget nobody agreed to.
      out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " approved "
          + p.spec.training().rounds() + " rounds of this study, not round " + f.round()));
      return;
    }
    if (!secureStudy && f.round() > 1 && p.trainedLast(f.round() - 1)) {
      // A plain update goes on to the next round only once the last one's receipt was checked (or did not come). A
      // coordinator discards a plain update that misses the round's deadline without an entry, so a missing receipt
      // here is an alarm for the data officer to compare with the round record, not a halt.
      receipts.awaitReceipt(study, f.round() - 1, receiptWait(p.spec)).ifPresent(why -> receipts.missing(study, f.round() - 1,
          why + " (if the study's round record shows this site dropped, its update was not used)"));
    }
    boolean resend = !secureStudy && p.mechanism != null && p.trainedBefore(f.round(), global);
    String overBudget = resend ? null : budgetRefusal(p);
    if (overBudget != null) {
      log.warn("study {}: round {}: {}", study, f.round(), overBudget);
      secure.remove(f.studyId());
      out.send(new AgentMessage.RoundFailed(study, f.round(), overBudget));
      return;
    }
    // Every check passed: evaluate the model this round starts from (once per version, provenance checked), then train.
    evaluate(p, f.modelVersion(), global, globalSha256, secureStudy);
    TrainOutcome o;
    if (resend) {
      // A plain study's retried attempt from the same model: resend the update already trained (and accounted) instead
      // of training again, which would spend budget twice for one round. (The coordinator reads plain updates one by
      // one anyway; a secure study always trains again, with fresh randomness.)
      o = p.lastOutcome();
      out.send(privacySpent(p, f.round()));
    } else {
      long trainStart = System.nanoTime();
      o = p.train(global, globalSha256, f.round());
      metrics.trained(System.nanoTime() - trainStart);
      if (p.mechanism != null && !accountPrivacy(p, f.round(), o)) return;
    }
    // With DP-SGD the training loss is a function of the sampled rows with no noise: it does not leave.
    double loss = p.mechanism != null ? 0 : o.meanLoss();
    if (c != null) {
      c.trained(global, globalSha256, o.parameters(), loss, out);
      log.info("study {}: round {} trained on {} rows in {} ms (loss {}); waiting to mask it", f.studyId(), f.round(),
          p.trainRows(), (System.nanoTime() - t0) / 1_000_000, String.format("%.4f", o.meanLoss()));
      return;
    }
    byte[] update = Frames.encode(Frames.Kind.SITE_UPDATE, f.studyId(), f.round(), f.modelVersion(),
        o.examplesSeen() > 0 ? p.trainRows() : 0, p.mechanism != null ? Float.NaN : (float) o.meanLoss(), o.parameters());
    byte[] signature = identity.sign(Purpose.CONTRIBUTION, study, f.round(), Frames.signedDigest(update));
    receipts.sent(study, f.round(), signature);
    out.sendBinary(Frames.withSignature(update, signature));
    log.info("study {}: round {} trained on {} rows in {} ms (loss {})", f.studyId(), f.round(), p.trainRows(),
        (System.nanoTime() - t0) / 1_000_000, String.format("%.4f", o.meanLoss()));
  }

  /**
   * Evaluates a global model on the validation split and sends the result — only for a model the protocol produced
   * for this site, and once per version: the same version again gets the same answer, another model under a version
   * already evaluated gets none. Metrics leave only under the site's minimum cell size ({@link SmallCells}).
   */
  private void evaluate(StudyParticipation p, int version, float[] model, String sha, boolean secureStudy) {
    String study = p.studyId.toString();
    String before = journal.evaluated(study, version);
    if (before != null) {
      Evaluation again = before.equals(sha) ? p.evaluated(version) : null;
      if (again == null) log.warn("study {}: not evaluating model version {} again: {}", study, version, before.equals(sha)
          ? "it was evaluated before this agent restarted" : "another model was already evaluated under that version here");
      out.send(new AgentMessage.EvaluationReport(study, version, again != null ? again : SmallCells.withheld()));
      return;
    }
    java.util.function.IntPredicate tookPart = secureStudy ? u -> journal.revealedRound(study, u) : p::trainedLast;
    String why = p.provenanceRefusal(version, model, tookPart);
    if (why != null) {
      // An answer that carries nothing keeps the protocol moving; the pooled metrics leave this site out.
      log.warn("study {}: not evaluating model version {}: {}", study, version, why);
      out.send(new AgentMessage.EvaluationReport(study, version, SmallCells.withheld()));
      return;
    }
    try {
      journal.evaluatedNow(study, version, sha);
    } catch (IOException e) {
      log.error("study {}: cannot record the evaluation of model version {} ({}); not evaluating", study, version, e.toString());
      out.send(new AgentMessage.EvaluationReport(study, version, SmallCells.withheld()));
      return;
    }
    Evaluation eval = p.evaluate(model, version, approvals.policy.minCellSize());
    out.send(new AgentMessage.EvaluationReport(study, version, eval));
  }

  /** Records the round's noisy steps (on disk, before anything leaves) and tells the coordinator the ε spent. */
  private boolean accountPrivacy(StudyParticipation p, int round, TrainOutcome o) {
    String study = p.studyId.toString();
    double epsilon;
    try {
      epsilon = budget.record(study, p.mechanism, o.noisySteps());
    } catch (IOException e) {
      log.error("study {}: round {}: cannot record the privacy spent ({}); sending no update", study, round, e.toString());
      secure.remove(p.studyId);
      out.send(new AgentMessage.RoundFailed(study, round, siteId + " cannot record the privacy budget it spent: " + e.getMessage()));
      return false;
    }
    out.accounted(study, round, o.noisySteps());
    log.info("study {}: round {}: DP-SGD with σ = {}, C = {}, q = {}: ε = {} at δ = {} after {} noisy steps", study, round,
        String.format("%.3f", p.dp.noiseMultiplier()), p.dp.clipNorm(), String.format("%.4f", p.dp.samplingRate()),
        String.format("%.3f", epsilon), p.mechanism.delta(), p.stepsPerRound * round);
    out.send(privacySpent(p, round));
    return true;
  }

  /** What this study has spent here so far, for the coordinator. */
  private AgentMessage.PrivacySpent privacySpent(StudyParticipation p, int round) {
    String study = p.studyId.toString();
    return new AgentMessage.PrivacySpent(study, round, budget.spent(study), p.mechanism.delta(), p.dp.noiseMultiplier(),
        p.dp.samplingRate(), budget.steps(study));
  }

  @Override public void close() {
    if (worker.isShutdown()) return; // closing twice is harmless
    ledgerWorker.shutdown();
    decisionPoll.shutdownNow();
    worker.execute(() -> {
      studies.values().forEach(StudyParticipation::close);
      studies.clear();
      pending.values().forEach(w -> w.participation().close());
      pending.clear();
    });
    worker.shutdown();
    try {
      worker.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
