package org.dure.coordinator.study;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.dure.coordinator.aggregation.AggregationStrategy;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.sites.SiteSession;
import org.dure.crypto.Digests;
import org.dure.crypto.secagg.RoundContext;
import org.dure.ledger.SignedTreeHead;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.model.InitialModel;
import org.dure.protocol.model.ModelFiles;
import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SiteStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one study through its protocol, on the coordinator's event loop:
 *
 * <ol>
 *   <li><b>Offer</b>: every connected site gets the study; each accepts (with its row count) or declines
 *       with a reason. The study waits until enough sites have accepted and every online site has answered
 *       ({@link SiteOffers}: a site silent for {@code offerDeadlineSeconds} is counted out as {@code NO_ANSWER}).
 *       When too few sites can still accept, the study fails at once naming every site's answer
 *       ({@link SiteRoster.Roll}); otherwise it waits at most {@code waitForSitesSeconds}.</li>
 *   <li><b>Prepare</b>: accepted sites send aggregate statistics of their training split ({@link StatisticsCollection});
 *       the coordinator pools them into one {@link FeatureScaling} and sends it back.</li>
 *   <li><b>Rounds</b>: each round is a {@link RoundAttempt}, {@link PlainRound} or {@link SecureRound}; its outcome
 *       steps the global model ({@link AggregationStrategy#nextGlobal}) or aborts the attempt, which is retried when
 *       enough sites are online (at most {@value #MAX_ATTEMPTS} attempts). A checkpoint is written after every round
 *       ({@link StudyOutputs}), and every round is recorded ({@link RoundHistory}) and committed to the ledger.</li>
 *   <li><b>Final evaluation</b> ({@link FinalEvaluation}): the last model is evaluated at every ready site, which also
 *       sends the counts of the validation report; the model is saved with the report beside it.</li>
 * </ol>
 * The model (the initial weights, or the latest checkpoint after a restart) is built only when the study starts, on
 * a worker thread. Site statements (approvals, withdrawals, contributions) are verified by {@link SiteStatements}.
 */
public final class StudyRunner {
  private static final Logger log = LoggerFactory.getLogger(StudyRunner.class);
  static final int MAX_ATTEMPTS = 3;

  private final Vertx vertx;
  private final SiteRegistry sites;
  private final StudyStore store;
  private final ParticipationLedger ledger;
  private final StudySpec spec;
  private final JsonNode specJson;
  /** SHA-256 of the study definition offered to sites: what their approval signatures cover. */
  private final byte[] specSha256;
  private final String id;
  private final UUID uuid;
  private final int parameters;
  private final Instant createdAt;
  private final String owner;
  /** The credential that submitted the study and owns it (null for a study stored before credentials had ids). */
  private final String ownerId;
  private final SiteRoster roster;
  private final SiteAnswers answers;
  private final RoundHistory history;
  private final StudyOutputs outputs;
  private final Map<Class<?>, BiConsumer<SiteSession, AgentMessage>> routes = new HashMap<>();

  private StudyStatus status = StudyStatus.SUBMITTED;
  private String statusReason;
  /** Who ended the study (the ledger's actor): the user who stopped it; null when the protocol ended it. */
  private String endedBy;
  private Instant startedAt, endedAt;
  private int completedRounds, currentRound, attempt;
  private FeatureScaling scaling;
  private String modelDir;
  /** Built with {@link #global} when the study starts (FedAdam holds two doubles per parameter). */
  private AggregationStrategy strategy;
  /** The global model; null until {@link #start} has built or read it off the event loop. */
  private float[] global;
  /** Whether the model is being built or read on a worker thread (the study is started but not yet offered). */
  private boolean preparing;
  private StudyPhase phase = new StudyPhase.Idle();
  private Runnable onEnded = () -> {};

  private StudyRunner(Vertx vertx, SiteRegistry sites, StudyStore store, ParticipationLedger ledger, Path dataDir,
                      String id, StudySpec spec, Instant createdAt, String owner, String ownerId, StudyView restored,
                      List<RoundRecord> rounds) {
    this.vertx = vertx;
    this.sites = sites;
    this.store = store;
    this.ledger = ledger;
    this.id = id;
    this.uuid = UUID.fromString(id);
    this.spec = spec;
    this.specJson = parse(spec.toJson());
    this.specSha256 = spec.sha256();
    this.parameters = spec.model().parameterCount(spec.inputWidth());
    this.createdAt = createdAt;
    this.owner = owner;
    this.ownerId = ownerId;
    this.roster = new SiteRoster(spec, restored == null ? Map.of() : restored.sites(), this::persist);
    this.answers = new SiteAnswers(vertx, id, spec, roster, ledger, new SiteAnswers.Study() {
      @Override public void approved(SiteSession site) { siteApproved(site); }

      @Override public void withdrew(String site, String why) { siteWithdrew(site, why); }

      @Override public void changed() {
        persist();
        if (phase instanceof AwaitingSites a) a.check();
      }
    });
    this.history = new RoundHistory(id, store, rounds);
    this.outputs = new StudyOutputs(vertx, store, id, spec, dataDir.resolve("studies").resolve(id));
    route(AgentMessage.StudyAccepted.class, (s, m) -> { if (!endedAlready(s, m) && status.active()) answers.accepted(s, m); });
    route(AgentMessage.StudyPending.class, (s, m) -> { if (status.active()) answers.pending(s, m); });
    route(AgentMessage.StudyDeclined.class, (s, m) -> { if (!endedAlready(s, m)) answers.declined(s, m); });
    route(AgentMessage.StudyWithdrawn.class, (s, m) -> { if (!endedAlready(s, m)) answers.withdrawn(s, m); });
    route(AgentMessage.Statistics.class, this::statistics);
    route(AgentMessage.EvaluationReport.class, this::evaluation);
    route(AgentMessage.ValidationReport.class, this::validationReport);
    route(AgentMessage.PrivacySpent.class, this::privacySpent);
    route(AgentMessage.RoundFailed.class, this::roundFailed);
    route(AgentMessage.SecAggKeys.class, this::secureAggregation);
    route(AgentMessage.SecAggShares.class, this::secureAggregation);
    route(AgentMessage.SecAggReveal.class, this::secureAggregation);
  }

  StudyRunner(Vertx vertx, SiteRegistry sites, StudyStore store, ParticipationLedger ledger, Path dataDir, String id,
              StudySpec spec, Instant createdAt, String owner, String ownerId) {
    this(vertx, sites, store, ledger, dataDir, id, spec, createdAt, owner, ownerId, null, List.of());
  }

  /** Rebuilds a runner from its stored view and latest checkpoint after a coordinator restart. */
  static StudyRunner restore(Vertx vertx, SiteRegistry sites, StudyStore store, ParticipationLedger ledger, Path dataDir,
                             StudyView v, StudySpec spec, List<RoundRecord> rounds) {
    StudyRunner r = new StudyRunner(vertx, sites, store, ledger, dataDir, v.id(), spec, v.createdAt(), v.owner(), v.ownerId(), v, rounds);
    r.status = v.status();
    r.statusReason = v.statusReason();
    r.startedAt = v.startedAt();
    r.endedAt = v.endedAt();
    r.scaling = v.scaling();
    r.modelDir = v.modelDir();
    r.completedRounds = v.modelDir() == null ? 0 : v.completedRounds(); // the checkpoint is read when the study resumes
    return r;
  }

  /** The model and aggregation state to train from, as built on a worker thread. */
  private record Prepared(float[] global, int completedRounds, AggregationStrategy strategy) {}

  public String id() { return id; }

  public String owner() { return owner; }

  void onEnded(Runnable r) { this.onEnded = r; }

  /** Hex SHA-256 of the study definition as offered to sites (what approvals sign). */
  String specSha256Hex() { return HexFormat.of().formatHex(specSha256); }

  /** Whether the credential of {@code caller} owns this study. */
  public boolean ownedBy(org.dure.coordinator.security.Caller caller) {
    return StudyView.ownedBy(ownerId, owner, createdAt, caller.id(), caller.name(), caller.since());
  }

  /** Whether credential {@code credentialId} of user {@code name}, issued at {@code issuedAt}, owns this study. */
  public boolean ownedBy(String credentialId, String name, Instant issuedAt) {
    return StudyView.ownedBy(ownerId, owner, createdAt, credentialId, name, issuedAt);
  }

  /** Number of model parameters (the length of every model frame of this study). */
  public int parameterCount() { return parameters; }

  public StudyStatus status() { return status; }

  public StudyView view() {
    return new StudyView(id, spec.name(), owner, ownerId, status, statusReason, createdAt, startedAt, endedAt,
        spec.training().rounds(), completedRounds, currentRound, roster.view(), scaling, modelDir, specJson);
  }

  public List<RoundRecord> rounds() { return history.all(); }

  // ---------------------------------------------------------------------------------------------- commands

  /** Starts (or, after a restart, resumes) the study. */
  void start() {
    if (status.terminal()) throw new IllegalStateException("study " + id + " is " + status + " and cannot be started again");
    if (preparing) throw new IllegalStateException("study " + id + " is already starting");
    if (status == StudyStatus.SUBMITTED || startedAt == null) startedAt = Instant.now();
    if (global != null) {
      begin();
      return;
    }
    preparing = true;
    setStatus(StudyStatus.WAITING_FOR_SITES, "preparing the model (" + parameters + " parameters)");
    String checkpoint = modelDir;
    int rounds = completedRounds;
    vertx.executeBlocking(() -> new Prepared(outputs.startingModel(checkpoint, rounds, parameters),
        checkpoint == null ? 0 : rounds, AggregationStrategy.of(spec.aggregation(), parameters)), false).onComplete(ar -> {
      preparing = false;
      if (status.terminal()) return; // stopped while the model was being built
      if (ar.failed()) {
        log.error("study {}: could not prepare the model", id, ar.cause());
        end(StudyStatus.FAILED, "could not prepare the model: " + messageOf(ar.cause()));
        return;
      }
      global = ar.result().global();
      completedRounds = ar.result().completedRounds();
      strategy = ar.result().strategy();
      begin();
    });
  }

  /** Offers the study to the connected sites and waits for enough of them; the model is ready. */
  private void begin() {
    log.info("study {} ({}) starting: {} rounds, model {}, at least {} sites", id, spec.name(), spec.training().rounds(), spec.model(), spec.minSites());
    for (SiteSession s : sites.sessions()) answers.offer(s);
    persist();
    awaitSites(null);
  }

  /** Stops the study; {@code by} (a user name) is recorded in the ledger as who stopped it. */
  void stop(String reason, String by) {
    if (status.terminal()) return;
    endedBy = by;
    end(StudyStatus.STOPPED, reason);
  }

  // ---------------------------------------------------------------------------------------------- site events

  void siteConnected(SiteSession s) {
    if (status.active() && !preparing) { // once prepared, every connected site is offered the study
      answers.offer(s);
      persist();
    }
    if (phase instanceof AwaitingSites a) a.check(); // the status names it as answering, no longer offline
  }

  void siteDisconnected(SiteSession s) {
    String site = s.siteId();
    boolean wasReady = roster.notReady(site);
    if (phase instanceof StatisticsCollection c && c.expects(site)) {
      roster.mark(site, ParticipationState.DROPPED, "disconnected while the study was being prepared");
      c.siteLeft(site);
    } else if (phase instanceof StudyPhase.Training t && t.attempt().takesPart(site)) {
      String why = "disconnected during round " + t.attempt().round();
      roster.mark(site, ParticipationState.DROPPED, why);
      t.attempt().siteLeft(site, why);
    } else if (phase instanceof FinalEvaluation f && f.expects(site)) {
      f.siteLeft(site);
    } else if (wasReady) {
      roster.mark(site, ParticipationState.DROPPED, "disconnected");
    }
    answers.answered(site); // offered again when it reconnects, with a new offer deadline
    if (phase instanceof AwaitingSites a) a.check();
  }

  /** Routes a site's message to its handler (one per message type). */
  void message(SiteSession s, AgentMessage m) {
    BiConsumer<SiteSession, AgentMessage> handler = routes.get(m.getClass());
    if (handler != null) handler.accept(s, m); // Hello is the registry's
  }

  private <T extends AgentMessage> void route(Class<T> type, BiConsumer<SiteSession, T> handler) {
    routes.put(type, (s, m) -> handler.accept(s, type.cast(m)));
  }

  /** An answer to the offer of an ended study: its participation record stays as it was; the site learns it is over. */
  private boolean endedAlready(SiteSession s, AgentMessage m) {
    if (!status.terminal()) return false;
    log.warn("study {}: ignoring {} from {}: the study is {}", id, m.getClass().getSimpleName(), s.siteId(), status);
    s.send(new CoordinatorMessage.StudyEnded(id, status.name(), statusReason));
    return true;
  }

  /** An approval verified: the site gets the feature scaling, or its statistics join those being collected. */
  private void siteApproved(SiteSession s) {
    if (scaling != null) makeReady(s);
    else if (phase instanceof StatisticsCollection c && c.ask(s.siteId())) s.send(new CoordinatorMessage.StatisticsRequest(id));
  }

  /** A withdrawn site is out of the current phase at once. */
  private void siteWithdrew(String site, String why) {
    persist();
    if (!status.active()) return;
    if (phase instanceof StatisticsCollection c) c.siteLeft(site);
    else if (phase instanceof StudyPhase.Training t) t.attempt().siteLeft(site, why);
    else if (phase instanceof FinalEvaluation f) f.siteLeft(site);
    else if (phase instanceof AwaitingSites a) a.check();
  }

  private void statistics(SiteSession s, AgentMessage.Statistics st) {
    if (!(phase instanceof StatisticsCollection c) || !c.expects(s.siteId())) return;
    roster.put(s.siteId(), new SiteParticipation(ParticipationState.ACCEPTED, null, st.statistics().rowsUsed(), st.statistics()));
    c.received(s.siteId(), st.statistics());
  }

  private void evaluation(SiteSession s, AgentMessage.EvaluationReport e) {
    history.evaluation(s.siteId(), e.modelVersion(), e.evaluation(), completedRounds, startedAt);
    if (phase instanceof FinalEvaluation f) f.evaluated(s.siteId(), e.modelVersion());
  }

  private void validationReport(SiteSession s, AgentMessage.ValidationReport v) {
    if (phase instanceof FinalEvaluation f) f.report(s.siteId(), v);
  }

  private void privacySpent(SiteSession s, AgentMessage.PrivacySpent p) {
    if (phase instanceof StudyPhase.Training t && t.attempt().round() == p.round() && Double.isFinite(p.epsilon()) && p.epsilon() >= 0)
      t.epsilon().put(s.siteId(), p.epsilon());
  }

  private void roundFailed(SiteSession s, AgentMessage.RoundFailed f) {
    if (!(phase instanceof StudyPhase.Training t) || t.attempt().round() != f.round() || !t.attempt().takesPart(s.siteId())) return;
    log.warn("study {}: site {} failed round {}: {}", id, s.siteId(), f.round(), f.reason());
    t.attempt().siteLeft(s.siteId(), "training failed: " + f.reason());
  }

  private void secureAggregation(SiteSession s, AgentMessage m) {
    if (phase instanceof StudyPhase.Training t) t.attempt().message(s, m);
  }

  void frame(SiteSession s, Frames.Frame frame) {
    if (frame instanceof Frames.ModelFrame f && f.kind() != Frames.Kind.SITE_UPDATE) {
      s.send(new CoordinatorMessage.Refused("sites may only send SITE_UPDATE or MASKED_INPUT frames"));
    } else if (phase instanceof StudyPhase.Training t) {
      t.attempt().frame(s, frame);
    } else {
      log.info("study {}: ignoring a late or unexpected {} from {}", id, frame instanceof Frames.MaskedFrame ? "masked input"
          : "update", s.siteId());
    }
  }

  // ---------------------------------------------------------------------------------------------- waiting for sites

  private void makeReady(SiteSession s) {
    s.send(new CoordinatorMessage.TrainingSetup(id, scaling));
    roster.ready(s.siteId());
  }

  /** Waits for enough sites, at most {@code waitForSitesSeconds}; {@code context} (why, when not at the start) leads the status. */
  private void awaitSites(String context) {
    cancelPhase();
    AwaitingSites wait = new AwaitingSites(vertx, id, spec, roster, sites, context, new AwaitingSites.Study() {
      @Override public void proceed(List<String> accepted) { sitesAccepted(accepted); }

      @Override public void failed(String reason) { end(StudyStatus.FAILED, reason); }

      @Override public void waiting(String statusReason) { setStatus(StudyStatus.WAITING_FOR_SITES, statusReason); }
    });
    phase = wait;
    wait.start();
  }

  private void sitesAccepted(List<String> accepted) {
    if (scaling == null) {
      collectStatistics(accepted);
    } else {
      for (String s : accepted) if (!roster.isReady(s)) sites.session(s).ifPresent(this::makeReady);
      startRound(completedRounds + 1);
    }
  }

  // ---------------------------------------------------------------------------------------------- preparation

  private void collectStatistics(List<String> accepted) {
    phase = new StatisticsCollection(vertx, accepted, deadline(),
        s -> roster.mark(s, ParticipationState.DROPPED, "sent no statistics before the deadline"), this::statisticsCollected);
    setStatus(StudyStatus.PREPARING, "collecting feature statistics from " + accepted.size() + " sites");
    for (String s : accepted) sites.session(s).ifPresent(x -> x.send(new CoordinatorMessage.StatisticsRequest(id)));
  }

  private void statisticsCollected(Map<String, SiteStatistics> received) {
    if (received.size() < spec.minSites()) {
      awaitSites("only " + received.size() + " of at least " + spec.minSites() + " sites sent statistics; waiting for sites");
      return;
    }
    try {
      scaling = StatisticsCollection.pooledScaling(spec, received.values());
    } catch (IllegalStateException e) {
      end(StudyStatus.FAILED, e.getMessage());
      return;
    }
    log.info("study {}: federated scaling computed from {} sites", id, received.size());
    for (String s : received.keySet()) sites.session(s).ifPresent(this::makeReady);
    persist();
    startRound(completedRounds + 1);
  }

  // ---------------------------------------------------------------------------------------------- rounds

  private void startRound(int round) {
    List<String> participants = roster.participants(online());
    int needed = roster.needed();
    if (participants.size() < needed) {
      awaitSites("only " + participants.size() + " of at least " + needed + " sites are ready for round " + round
          + (needed > spec.minSites() ? " (needed: " + roster.neededBecause() + ")" : ""));
      return;
    }
    if (round > spec.training().rounds()) {
      finalEvaluation();
      return;
    }
    attempt++;
    currentRound = round;
    PrivacyPlan.SecureAggregation plan = spec.privacy().secureAggregation();
    String status = "round " + round + " of " + spec.training().rounds() + " with " + participants.size() + " sites";
    RoundAttempt a;
    int threshold = 0;
    int thisAttempt = attempt;
    String globalSha256 = Digests.modelSha256(global);
    RoundAttempt.Listener listener = new RoundAttempt.Listener() {
      @Override public void contributed(SiteSession site, Frames.Frame f, String kind) {
        receipt(site, round, ledger.contribution(id, site.siteId(), round, thisAttempt, globalSha256, f.signedDigest(),
            f.signature(), kind));
        roster.contributed(site.siteId());
      }

      @Override public void ended(RoundOutcome outcome) {
        // an attempt is (round, attempt): an outcome reported after its study moved on is stale
        if (phase instanceof StudyPhase.Training t && t.attempt().round() == round && attempt == thisAttempt) roundEnded(t, outcome);
      }
    };
    if (plan.enabled()) {
      // The threshold is a strict majority of the round's sites, at least minSites and the study's own threshold.
      threshold = plan.thresholdFor(participants.size(), spec.minSites());
      RoundContext context = RoundContext.of(id, round, attempt, participants).withThreshold(threshold);
      a = new SecureRound(vertx, sites, context, parameters, Math.max(1, roster.rows(participants)), plan.clip(), deadline(),
          spec.privacy(), listener);
      status += " (secure aggregation, threshold " + threshold + (context.sparse() ? ", " + context.neighbours() + " neighbours" : "") + ")";
    } else {
      a = new PlainRound(vertx, sites, id, round, participants, global, spec.minSites(), deadline(), listener);
    }
    ledger.roundStarted(id, round, attempt, participants, globalSha256, plan.enabled(), threshold);
    phase = new StudyPhase.Training(a, globalSha256);
    setStatus(StudyStatus.TRAINING, status);
    history.running(a, attempt);
    a.start(Frames.encode(Frames.Kind.GLOBAL_TRAIN, uuid, round, round - 1, 0, Float.NaN, global));
    log.info("study {}: {} round {} attempt {} started with {}", id, plan.enabled() ? "secure" : "plain", round, attempt, participants);
  }

  /** The attempt's outcome: the global model steps by its mean change, or the round is retried (or the study fails). */
  private void roundEnded(StudyPhase.Training t, RoundOutcome outcome) {
    RoundAttempt a = t.attempt();
    Instant now = Instant.now();
    roster.dropped(outcome.dropped());
    outcome.dropped().forEach((site, reason) -> ledger.siteDropped(id, site, a.round(), reason));
    phase = new StudyPhase.Idle();
    if (outcome instanceof RoundOutcome.Aborted o) {
      log.warn("study {}: round {} aborted: {}", id, a.round(), o.reason());
      ledger.roundAborted(id, a.round(), attempt, o.reason());
      history.aborted(a, attempt, o, t.epsilon(), now);
      if (attempt >= MAX_ATTEMPTS) {
        end(StudyStatus.FAILED, "round " + a.round() + " failed " + attempt + " times: " + o.reason());
      } else {
        roster.sitOut(o.dropped().keySet());
        awaitSites("round " + a.round() + " aborted (" + o.reason() + "); its retry waits for enough sites");
      }
      return;
    }
    RoundOutcome.Completed done = (RoundOutcome.Completed) outcome;
    done.contributors().forEach(roster::contributed);
    global = strategy.nextGlobal(global, done.meanDelta());
    Future<Long> committed = ledger.aggregateCommitted(id, a.round(), Digests.modelSha256(global), done.contributors(),
        done.samples(), done.secureAggregation() != null, t.epsilon());
    completedRounds = a.round();
    attempt = 0;
    roster.roundCompleted();
    RoundRecord rec = history.completed(a, done, t.epsilon(), now);
    log.info("study {}: round {} aggregated from {} sites ({} samples{}) in {} s", id, a.round(), done.contributors().size(),
        done.samples(), done.secureAggregation() == null ? "" : ", secure", String.format("%.2f", rec.seconds()));
    int round = a.round();
    Future<Path> saved = outputs.checkpoint(round, global.clone(), scaling, pooledOf(round));
    // The next round starts once the checkpoint is written and the commit is in the ledger (on disk).
    Future.join(saved, committed).onComplete(ar -> {
      if (saved.succeeded()) {
        modelDir = saved.result().toString();
        persist();
      }
      if (status.active()) startRound(round + 1);
    });
  }

  /** Once a contribution is in the ledger, sends the site its receipt (entry, inclusion and consistency proofs). */
  private void receipt(SiteSession s, int round, Future<Long> recorded) {
    recorded.compose(index -> ledger.receipt(id, round, index, s.ledgerTreeSize())).onSuccess(r -> {
      s.send(r);
      s.ledgerTreeSize(SignedTreeHead.parse(r.treeHead()).size());
    }).onFailure(e -> log.warn("study {}: no ledger receipt for {} round {}: {}", id, s.siteId(), round, e.toString()));
  }

  // ---------------------------------------------------------------------------------------------- the end

  private void finalEvaluation() {
    List<String> asked = online().stream().filter(roster::isReady).toList();
    FinalEvaluation f = new FinalEvaluation(vertx, sites, id, completedRounds, asked, this::evaluated);
    phase = f;
    currentRound = completedRounds;
    setStatus(StudyStatus.EVALUATING, "evaluating the final model at " + asked.size() + " sites");
    f.start(Frames.encode(Frames.Kind.GLOBAL_EVALUATE, uuid, completedRounds, completedRounds, 0, Float.NaN, global), deadline());
  }

  private void evaluated(FinalEvaluation f) {
    phase = new StudyPhase.Idle();
    outputs.finish(completedRounds, global.clone(), scaling, pooledOf(completedRounds), f.reports(), f.asked()).onComplete(ar -> {
      if (ar.failed()) {
        end(StudyStatus.FAILED, "could not save the final model: " + ar.cause().getMessage());
        return;
      }
      modelDir = ar.result().modelDir().toString();
      end(StudyStatus.COMPLETED, ar.result().reason());
    });
  }

  private void end(StudyStatus terminal, String reason) {
    cancelPhase();
    answers.close();
    if (phase instanceof StudyPhase.Training t) t.attempt().cancel("study " + terminal.name().toLowerCase() + ": " + reason);
    phase = new StudyPhase.Idle();
    endedAt = Instant.now();
    setStatus(terminal, reason);
    log.info("study {} {}: {}", id, terminal, reason);
    // No model digest when the study ended before its model was built (stopped before it started).
    ledger.studyEnded(id, terminal.name(), reason, completedRounds, global == null ? null : Digests.modelSha256(global), endedBy);
    for (SiteSession s : sites.sessions())
      if (roster.get(s.siteId()) != null && !roster.is(s.siteId(), ParticipationState.WITHDRAWN)) // a withdrawn site was done already
        s.send(new CoordinatorMessage.StudyEnded(id, terminal.name(), reason));
    roster.clearReady();
    onEnded.run();
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private void cancelPhase() {
    if (phase instanceof AwaitingSites a) a.cancel();
    else if (phase instanceof StatisticsCollection c) c.cancel();
    else if (phase instanceof FinalEvaluation f) f.cancel();
  }

  private List<String> online() {
    return sites.sessions().stream().map(SiteSession::siteId).toList();
  }

  /** The pooled validation metrics of model version {@code round}, if the sites have sent them yet. */
  private Metrics pooledOf(int round) {
    RoundRecord r = history.get(round);
    return r == null ? null : r.pooled();
  }

  private Duration deadline() {
    return Duration.ofSeconds(spec.roundDeadlineSeconds());
  }

  private void setStatus(StudyStatus s, String reason) {
    status = s;
    statusReason = reason;
    persist();
  }

  private void persist() {
    store.put(view());
  }

  private static String messageOf(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static JsonNode parse(String json) {
    try {
      return StudyStore.JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
