package org.dure.coordinator.study;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.dure.coordinator.aggregation.AggregationStrategy;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.sites.SiteSession;
import org.dure.crypto.Digests;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SiteStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one study through its protocol phases ({@link StudyPhase}), on the coordinator's event loop:
 *
 * <ol>
 *   <li><b>Offer</b> ({@link SiteAnswers}, {@link AwaitingSites}): every connected site gets the study and accepts
 *       (verified), declines with a reason, or leaves it to its data officer; the study waits until enough sites
 *       accepted and every online site answered, or fails at once naming every site's answer when too few can.</li>
 *   <li><b>Prepare</b> ({@link StatisticsCollection}): the accepted sites' aggregate statistics are pooled into one
 *       {@link FeatureScaling} that every site and the exported model use.</li>
 *   <li><b>Rounds</b> ({@link Rounds}): each attempt is a {@link PlainRound} or {@link SecureRound}; its outcome steps
 *       the global model, or the round is retried when enough sites are ready (at most {@value Rounds#MAX_ATTEMPTS}
 *       attempts). A checkpoint is written after every round ({@link StudyOutputs}).</li>
 *   <li><b>Final evaluation</b> ({@link FinalEvaluation}): every ready site evaluates the last model and sends the
 *       counts of the validation report, saved beside the model.</li>
 * </ol>
 * The sites and their states are the {@link SiteRoster}; the rounds as the researcher reads them, the {@link RoundHistory}.
 * The model is built (or read from the latest checkpoint after a restart) only when the study starts, on a worker thread.
 */
public final class StudyRunner {
  private static final Logger log = LoggerFactory.getLogger(StudyRunner.class);

  private final Vertx vertx;
  private final SiteRegistry sites;
  private final StudyStore store;
  private final StudySpec spec;
  private final JsonNode specJson;
  private final String id;
  private final UUID uuid;
  private final int parameters;
  private final Instant createdAt;
  private final String owner;
  /** The credential that submitted the study and owns it (null for a study stored before credentials had ids). */
  private final String ownerId;
  private final ParticipationLedger ledger;
  private final SiteRoster roster;
  private final SiteAnswers answers;
  private final RoundHistory history;
  private final Rounds rounds;
  private final StudyOutputs outputs;
  private final SiteEvents events;

  private StudyStatus status = StudyStatus.SUBMITTED;
  private String statusReason;
  /** Who ended the study (the ledger's actor): the user who stopped it; null when the protocol ended it. */
  private String endedBy;
  private Instant startedAt, endedAt;
  private int completedRounds, currentRound;
  private FeatureScaling scaling;
  private String modelDir;
  /** Whether the model is being built or read on a worker thread (the study is started but not yet offered). */
  private boolean preparing;
  private StudyPhase phase = new StudyPhase.Idle();
  private Runnable onEnded = () -> {};

  private StudyRunner(Vertx vertx, SiteRegistry sites, StudyStore store, ParticipationLedger ledger, Path dataDir,
                      String id, StudySpec spec, Instant createdAt, String owner, String ownerId,
                      Map<String, SiteParticipation> participation, List<RoundRecord> done) {
    this.vertx = vertx;
    this.sites = sites;
    this.store = store;
    this.ledger = ledger;
    this.id = id;
    this.uuid = UUID.fromString(id);
    this.spec = spec;
    this.specJson = parse(spec.toJson());
    this.parameters = spec.model().parameterCount(spec.inputWidth());
    this.createdAt = createdAt;
    this.owner = owner;
    this.ownerId = ownerId;
    this.roster = new SiteRoster(spec, participation, this::persist);
    this.answers = new SiteAnswers(vertx, id, spec, roster, ledger, new SiteAnswers.Study() {
      @Override public void approved(SiteSession site) { siteApproved(site); }

      @Override public void withdrew(String site, String why) { siteWithdrew(site, why); }

      @Override public void changed() {
        persist();
        if (phase instanceof AwaitingSites a) a.check();
      }
    });
    this.history = new RoundHistory(id, store, done);
    this.rounds = new Rounds(vertx, sites, ledger, roster, history, spec, id, parameters);
    this.outputs = new StudyOutputs(vertx, store, id, spec, dataDir.resolve("studies").resolve(id));
    this.events = new SiteEvents(this, roster, answers, history);
  }

  StudyRunner(Vertx vertx, SiteRegistry sites, StudyStore store, ParticipationLedger ledger, Path dataDir, String id,
              StudySpec spec, Instant createdAt, String owner, String ownerId) {
    this(vertx, sites, store, ledger, dataDir, id, spec, createdAt, owner, ownerId, Map.of(), List.of());
  }

  /** Rebuilds a runner from its stored view and latest checkpoint after a coordinator restart. */
  static StudyRunner restore(Vertx vertx, SiteRegistry sites, StudyStore store, ParticipationLedger ledger, Path dataDir,
                             StudyView v, StudySpec spec, List<RoundRecord> rounds) {
    StudyRunner r = new StudyRunner(vertx, sites, store, ledger, dataDir, v.id(), spec, v.createdAt(), v.owner(),
        v.ownerId(), v.sites(), rounds);
    r.status = v.status();
    r.statusReason = v.statusReason();
    r.startedAt = v.startedAt();
    r.endedAt = v.endedAt();
    r.scaling = v.scaling();
    r.modelDir = v.modelDir();
    r.completedRounds = v.modelDir() == null ? 0 : v.completedRounds(); // the checkpoint is read when the study resumes
    return r;
  }

  public String id() { return id; }

  public String owner() { return owner; }

  void onEnded(Runnable r) { this.onEnded = r; }

  /** Hex SHA-256 of the study definition as offered to sites (what approvals sign). */
  String specSha256Hex() { return java.util.HexFormat.of().formatHex(spec.sha256()); }

  /** Whether the credential of {@code caller} owns this study. */
  public boolean ownedBy(org.dure.coordinator.security.Caller caller) { return ownedBy(caller.id(), caller.name(), caller.since()); }

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
    if (rounds.global() != null) {
      begin();
      return;
    }
    preparing = true;
    setStatus(StudyStatus.WAITING_FOR_SITES, "preparing the model (" + parameters + " parameters)");
    String checkpoint = modelDir;
    int resumed = checkpoint == null ? 0 : completedRounds;
    vertx.executeBlocking(() -> outputs.startingModel(checkpoint, resumed, parameters), false).onComplete(ar -> {
      preparing = false;
      if (status.terminal()) return; // stopped while the model was being built
      if (ar.failed()) {
        log.error("study {}: could not prepare the model", id, ar.cause());
        String why = ar.cause().getMessage() == null ? ar.cause().getClass().getSimpleName() : ar.cause().getMessage();
        end(StudyStatus.FAILED, "could not prepare the model: " + why);
        return;
      }
      rounds.model(ar.result(), AggregationStrategy.of(spec.aggregation(), parameters));
      completedRounds = resumed;
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

  void siteConnected(SiteSession s) { events.connected(s); }

  void siteDisconnected(SiteSession s) { events.disconnected(s); }

  void message(SiteSession s, AgentMessage m) { events.message(s, m); }

  void frame(SiteSession s, Frames.Frame frame) { events.frame(s, frame); }

  // what the site events read of the study (package-private, on the event loop)
  StudyPhase phase() { return phase; }

  String statusReason() { return statusReason; }

  boolean preparing() { return preparing; }

  int completedRounds() { return completedRounds; }

  Instant startedAt() { return startedAt; }

  /** An approval verified: the site gets the feature scaling, or its statistics join those being collected. */
  private void siteApproved(SiteSession s) {
    if (scaling != null) makeReady(s);
    else if (phase instanceof StatisticsCollection c && c.ask(s.siteId())) s.send(new CoordinatorMessage.StatisticsRequest(id));
  }

  /** A withdrawn site is out of the current phase at once. */
  private void siteWithdrew(String site, String why) {
    persist();
    if (status.active()) phase.siteLeft(site, why);
  }

  // ---------------------------------------------------------------------------------------------- phases

  /** Waits for enough sites, at most {@code waitForSitesSeconds}; {@code context} (why, when not at the start) leads the status. */
  private void awaitSites(String context) {
    if (!(phase instanceof StudyPhase.Training)) phase.cancel(null); // a training phase has ended (its attempt reported)
    AwaitingSites wait = new AwaitingSites(vertx, id, spec, roster, sites, context, new AwaitingSites.Study() {
      @Override public void proceed(List<String> accepted) { sitesAccepted(accepted); }

      @Override public void failed(String reason) { end(StudyStatus.FAILED, reason); }

      @Override public void waiting(String statusReason) { setStatus(StudyStatus.WAITING_FOR_SITES, statusReason); }
    });
    phase = wait;
    wait.start();
  }

  private void sitesAccepted(List<String> accepted) {
    if (scaling != null) {
      for (String s : accepted) if (!roster.isReady(s)) sites.session(s).ifPresent(this::makeReady);
      startRound(completedRounds + 1);
      return;
    }
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

  private void makeReady(SiteSession s) {
    s.send(new CoordinatorMessage.TrainingSetup(id, scaling));
    roster.ready(s.siteId());
  }

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
    currentRound = round;
    StudyPhase.Training t = rounds.start(round, participants, deadline(), (number, outcome) -> {
      // an outcome reported for an attempt the study has left (stopped, or superseded) is stale
      if (phase instanceof StudyPhase.Training now && now.attempt().round() == round && now.number() == number) roundEnded(now, outcome);
    });
    phase = t;
    String secure = t.attempt() instanceof SecureRound r ? " (secure aggregation, threshold " + r.context().threshold()
        + (r.context().sparse() ? ", " + r.context().neighbours() + " neighbours" : "") + ")" : "";
    setStatus(StudyStatus.TRAINING, "round " + round + " of " + spec.training().rounds() + " with " + participants.size() + " sites" + secure);
    rounds.send(t);
  }

  private void roundEnded(StudyPhase.Training t, RoundOutcome outcome) {
    phase = new StudyPhase.Idle();
    Rounds.Next next = rounds.apply(t, outcome);
    if (next instanceof Rounds.Failed f) {
      end(StudyStatus.FAILED, f.why());
    } else if (next instanceof Rounds.Retry r) {
      awaitSites(r.why());
    } else if (next instanceof Rounds.Stepped s) {
      completedRounds = s.round();
      Future<Path> saved = outputs.checkpoint(s.round(), rounds.global().clone(), scaling, pooledOf(s.round()));
      // The next round starts once the checkpoint is written and the commit is in the ledger (on disk).
      Future.join(saved, s.committed()).onComplete(ar -> {
        if (saved.succeeded()) {
          modelDir = saved.result().toString();
          persist();
        }
        if (status.active()) startRound(s.round() + 1);
      });
    }
  }

  private void finalEvaluation() {
    List<String> asked = online().stream().filter(roster::isReady).toList();
    FinalEvaluation f = new FinalEvaluation(vertx, sites, id, completedRounds, asked, this::evaluated);
    phase = f;
    currentRound = completedRounds;
    setStatus(StudyStatus.EVALUATING, "evaluating the final model at " + asked.size() + " sites");
    f.start(Frames.encode(Frames.Kind.GLOBAL_EVALUATE, uuid, completedRounds, completedRounds, 0, Float.NaN, rounds.global()), deadline());
  }

  private void evaluated(FinalEvaluation f) {
    phase = new StudyPhase.Idle();
    outputs.finish(completedRounds, rounds.global().clone(), scaling, pooledOf(completedRounds), f.reports(), f.asked()).onComplete(ar -> {
      if (ar.failed()) {
        end(StudyStatus.FAILED, "could not save the final model: " + ar.cause().getMessage());
        return;
      }
      modelDir = ar.result().modelDir().toString();
      end(StudyStatus.COMPLETED, ar.result().reason());
    });
  }

  private void end(StudyStatus terminal, String reason) {
    phase.cancel("study " + terminal.name().toLowerCase() + ": " + reason);
    answers.close();
    phase = new StudyPhase.Idle();
    endedAt = Instant.now();
    setStatus(terminal, reason);
    log.info("study {} {}: {}", id, terminal, reason);
    // No model digest when the study ended before its model was built (stopped before it started).
    float[] global = rounds.global();
    ledger.studyEnded(id, terminal.name(), reason, completedRounds, global == null ? null : Digests.modelSha256(global), endedBy);
    for (SiteSession s : sites.sessions())
      if (roster.get(s.siteId()) != null && !roster.is(s.siteId(), ParticipationState.WITHDRAWN)) // a withdrawn site was done already
        s.send(new CoordinatorMessage.StudyEnded(id, terminal.name(), reason));
    roster.clearReady();
    onEnded.run();
  }

  // ---------------------------------------------------------------------------------------------- helpers

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

  /** Writes the study's view through to the store. */
  void persist() {
    store.put(view());
  }

  private static JsonNode parse(String json) {
    try {
      return StudyStore.JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
