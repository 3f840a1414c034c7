package org.dure.agent.study;

import java.io.IOException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.dure.agent.chain.PrivacyChain;
import org.dure.agent.data.LocalData;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.ledger.ReceiptChecker;
import org.dure.agent.policy.LocalPolicy;
import org.dure.agent.policy.StudyDecisions;
import org.dure.agent.policy.StudyDecisions.Status;
import org.dure.agent.policy.StudyDecisions.StudyRecord;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.protocol.logging.LogFields;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SecAggWire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the agent does for studies, on one dedicated training thread (never the event loop): it routes each
 * coordinator message to the part that handles it — offers ({@link OfferDesk}), the data officer's decisions
 * ({@link OfficerDecisions}), plain rounds ({@link RoundWork}), secure rounds ({@link SecureRounds}), evaluations and
 * the validation report ({@link Evaluations}) — and every reply leaves through the site's {@link PrivacyChain}.
 * A reply that cannot be sent because the connection is down is dropped, and the coordinator's protocol recovers
 * (re-offer on reconnect, next round).
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
  private final java.util.concurrent.ScheduledExecutorService decisionPoll = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "dure-decisions");
    t.setDaemon(true);
    return t;
  });
  private final StudyContext ctx;
  private final OfferDesk offers;
  private final OfficerDecisions officer;
  private final Evaluations evaluations;
  private final RoundWork rounds;
  private final SecureRounds secureRounds;

  /** Where training time is measured ({@code dure_site_agent_training_duration_seconds}). */
  public void metrics(org.dure.agent.metrics.AgentMetrics m) {
    ctx.metrics(m);
  }

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
    ContributionJournal journal = ContributionJournal.open(workDir);
    this.receipts = receipts;
    this.coordinatorKey = coordinatorKey;
    this.siteId = identity.siteId();
    PrivacyChain chain = new PrivacyChain(siteId, policy, decisions, java.util.Objects.requireNonNull(budget, "budget"), out);
    this.ctx = new StudyContext(identity, source, chain, new Approvals(policy, decisions, identity), journal, receipts,
        budget, worker);
    this.offers = new OfferDesk(ctx);
    this.officer = new OfficerDecisions(ctx, offers);
    this.evaluations = new Evaluations(ctx);
    this.rounds = new RoundWork(ctx, evaluations);
    this.secureRounds = new SecureRounds(ctx);
    for (StudyRecord r : decisions.all()) if (r.status() == Status.WITHDRAWN) chain.withdrawn(r.id());
    decisionPoll.scheduleWithFixedDelay(officer::pollDecisions, 0, 500, TimeUnit.MILLISECONDS);
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
          ctx.out.send(AgentMessage.ValidationReport.without(r.studyId(), r.modelVersion(),
              AgentMessage.ValidationReport.UNAVAILABLE, siteId + " could not compute its validation report (the reason"
                  + " is in the site's log for its data officer)", ctx.approvals.policy.minCellSize()));
        }
      }
    });
  }

  public void handle(Frames.ModelFrame f) {
    worker.execute(() -> {
      try (var fields = LogFields.scope(f.studyId().toString(), f.round(), siteId)) {
        rounds.round(f);
      } catch (RuntimeException e) {
        log.error("failed on model frame for round {}: {}", f.round(), e.toString());
        log.debug("the failure", e);
        ctx.out.send(new AgentMessage.RoundFailed(f.studyId().toString(), f.round(), e.getClass().getSimpleName() + ": " + e.getMessage()));
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
    if (m instanceof CoordinatorMessage.StudyOffer o) offers.offer(o);
    else if (m instanceof CoordinatorMessage.StatisticsRequest r) statistics(r);
    else if (m instanceof CoordinatorMessage.TrainingSetup s) setUp(s);
    else if (m instanceof CoordinatorMessage.StudyEnded e) ended(e);
    else if (m instanceof CoordinatorMessage.ReportRequest r) evaluations.report(r);
    else if (m instanceof SecAggWire.Addressed a) secureRounds.secureAggregation(a);
  }

  private void statistics(CoordinatorMessage.StatisticsRequest r) {
    StudyParticipation p = ctx.studies.get(UUID.fromString(r.studyId()));
    if (p != null) ctx.out.send(new AgentMessage.Statistics(r.studyId(), p.statistics()));
  }

  private void setUp(CoordinatorMessage.TrainingSetup s) {
    StudyParticipation p = ctx.studies.get(UUID.fromString(s.studyId()));
    if (p == null) return;
    p.setUp(s.scaling());
    log.info("study {}: ready to train on {} rows", s.studyId(), p.trainRows());
  }

  private void ended(CoordinatorMessage.StudyEnded e) {
    try {
      officer.recordEnd(e);
    } catch (RuntimeException x) { // the resources below are freed all the same
      log.error("study {}: cannot record that the study ended: {}", e.studyId(), x.toString());
    }
    ctx.secure.remove(UUID.fromString(e.studyId()));
    StudyContext.Pending waiting = ctx.pending.remove(UUID.fromString(e.studyId()));
    if (waiting != null) waiting.participation().close();
    StudyParticipation p = ctx.studies.remove(UUID.fromString(e.studyId()));
    ctx.out.forget(e.studyId());
    if (p != null) {
      p.close();
      log.info("study {} ended: {} ({})", e.studyId(), e.status(), e.reason());
    }
  }

  @Override public void close() {
    if (worker.isShutdown()) return; // closing twice is harmless
    ledgerWorker.shutdown();
    decisionPoll.shutdownNow();
    worker.execute(() -> {
      ctx.studies.values().forEach(StudyParticipation::close);
      ctx.studies.clear();
      ctx.pending.values().forEach(w -> w.participation().close());
      ctx.pending.clear();
    });
    worker.shutdown();
    try {
      worker.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
