package org.dure.coordinator.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.dure.coordinator.aggregation.AggregationStrategy;
import org.dure.coordinator.aggregation.RoundAccumulator;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.report.ReportFiles;
import org.dure.coordinator.report.ReportValidation;
import org.dure.coordinator.report.StudyReport;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.sites.SiteSession;
import org.dure.crypto.Digests;
import org.dure.crypto.secagg.RoundContext;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.crypto.sign.SiteSignatures;
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.model.InitialModel;
import org.dure.protocol.model.ModelFiles;
import org.dure.protocol.privacy.RdpAccountant;
import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SecAggWire;
import org.dure.protocol.wire.SiteStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one study through its protocol, on the coordinator's event loop:
 *
 * <ol>
 *   <li><b>Offer</b>: every connected site gets the study; each accepts (with its row count) or declines
 *       with a reason. The study waits until {@code minSites} sites have accepted and every online site
 *       has answered; a site silent for {@code offerDeadlineSeconds} is named and counted out ({@code NO_ANSWER}).
 *       When too few sites can still accept, the study fails at once naming every site's answer; otherwise it waits
 *       at most {@code waitForSitesSeconds}, its status reason naming who declined, who is silent and who it waits
 *       for ({@link #tryLeaveAwaiting}).</li>
 *   <li><b>Prepare</b>: accepted sites send aggregate statistics (counts, sums, sums of squares, missing
 *       and unseen-category counts) of their training split; the coordinator pools them into one
 *       {@link FeatureScaling} and sends it back, so every site and the exported model scale identically.</li>
 *   <li><b>Rounds</b>: the global model goes to every ready site as a binary frame; each site reports how
 *       that model does on its validation split, trains from it, and returns its parameters and sample
 *       count. Updates are summed as they arrive. The round closes when every participant has answered,
 *       or at the deadline with whoever answered; with fewer than {@code minSites} answers it is aborted
 *       and retried when enough sites are online (at most {@value #MAX_ATTEMPTS} attempts).</li>
 *   <li><b>Final evaluation</b>: the last model is evaluated at every ready site, which also sends the aggregate counts
 *       of the validation report ({@link StudyReport}); the model is saved with {@code report.json} and
 *       {@code report.html} beside it.</li>
 * </ol>
 * A checkpoint of the global model is written to disk after every round.
 *
 * <p>The model itself (the initial weights, or the latest checkpoint after a restart) and the aggregation state are
 * built only when the study starts, on a worker thread: submitting or restoring a study allocates nothing of the
 * model's size on the event loop.
 */
public final class StudyRunner {
  private static final Logger log = LoggerFactory.getLogger(StudyRunner.class);
  static final int MAX_ATTEMPTS = 3;

  private final Vertx vertx;
  private final SiteRegistry sites;
  private final StudyStore store;
  private final ParticipationLedger ledger;
  private final Path studyDir;
  private final StudySpec spec;
  private final JsonNode specJson;
  /** SHA-256 of the study definition offered to sites: what their approval signatures cover. */
  private final byte[] specSha256;
  private final String id;
  private final UUID uuid;
  private final int parameters;
  /** Built with {@link #global} when the study starts (FedAdam holds two doubles per parameter). */
  private AggregationStrategy strategy;

  // persistent view
  private StudyStatus status;
  private String statusReason;
  private final Instant createdAt;
  private final String owner;
  /** The credential that submitted the study and owns it (null for a study stored before credentials had ids). */
  private final String ownerId;
  /** Who ended the study (the ledger's actor): the user who stopped it; null when the protocol ended it. */
  private String endedBy;
  private Instant startedAt, endedAt;
  private int completedRounds;
  private int currentRound;
  private final Map<String, SiteParticipation> participation = new TreeMap<>();
  private FeatureScaling scaling;
  private String modelDir;

  // live state
  /** The global model; null until {@link #start} has built or read it off the event loop. */
  private float[] global;
  /** Whether the model is being built or read on a worker thread (the study is started but not yet offered). */
  private boolean preparing;
  private final Set<String> ready = new LinkedHashSet<>();
  private final Map<Integer, RoundRecord> roundRecords = new TreeMap<>();
  private final Map<Integer, Map<String, Evaluation>> evaluations = new HashMap<>();
  private int attempt;
  /** Sites that dropped out of an aborted attempt: the retry of that round goes ahead without them. */
  private final Set<String> sittingOut = new LinkedHashSet<>();
  private Phase phase = new Idle();
  private Runnable onEnded = () -> {};
  /** Per site offered the study and not yet answering: the timer of its offer deadline. */
  private final Map<String, Long> offerTimers = new HashMap<>();
  /** Participation state of a site that did not answer the offer within {@code offerDeadlineSeconds}. */

  /** Protocol phases of a running study; each knows its own pending sites and timer. */
  private sealed interface Phase permits Idle, AwaitingSites, CollectingStatistics, Training, FinalEvaluation {}

  private record Idle() implements Phase {}

  private static final class AwaitingSites implements Phase {
    final long timer;
    /** Why the study waits (a round aborted, too few sites ready), or null at the start. */
    final String context;
    /** When the wait fails the study ({@code waitForSitesSeconds} after it began). */
    final Instant until;
    AwaitingSites(long timer, String context, Instant until) {
      this.timer = timer;
      this.context = context;
      this.until = until;
    }
  }

  private static final class CollectingStatistics implements Phase {
    final Set<String> pending;
    final Map<String, SiteStatistics> received = new LinkedHashMap<>();
    final long timer;
    CollectingStatistics(Set<String> pending, long timer) { this.pending = pending; this.timer = timer; }
  }

  private static final class Training implements Phase {
    final int round;
    final Set<String> pending;
    final List<String> participants;
    final RoundAccumulator accumulator;
    final Map<String, Double> trainLoss = new LinkedHashMap<>();
    /** ε spent on the study so far, per site that reported it this round (differential privacy). */
    final Map<String, Double> epsilon = new LinkedHashMap<>();
    final Map<String, String> dropped = new LinkedHashMap<>();
    final Instant started = Instant.now();
    /** The plain round's deadline timer; -1 for a secure round (its stages keep their own). */
    final long timer;
    /** The secure-aggregation attempt, or null when the study aggregates in the clear. */
    final SecureRound secure;
    /** SHA-256 of the global model the round trains from (hex). */
    String globalSha256;
    Training(int round, List<String> participants, int parameters, long timer, SecureRound secure) {
      this.round = round;
      this.participants = List.copyOf(participants);
      this.pending = new LinkedHashSet<>(participants);
      this.accumulator = secure == null ? new RoundAccumulator(parameters) : null;
      this.timer = timer;
      this.secure = secure;
    }
  }

  private static final class FinalEvaluation implements Phase {
    final Set<String> pending;
    final long timer;
    /** Sites asked for their validation-report counts, those yet to answer, and the answers. */
    final List<String> asked;
    final Set<String> reportsPending;
    final Map<String, AgentMessage.ValidationReport> reports = new TreeMap<>();
    FinalEvaluation(Set<String> pending, long timer) {
      this.pending = pending;
      this.timer = timer;
      this.asked = List.copyOf(pending);
      this.reportsPending = new LinkedHashSet<>(pending);
    }

    /** The site is gone: it answers neither; true if it still had something to answer. */
    boolean remove(String site) {
      return pending.remove(site) | reportsPending.remove(site);
    }
  }

  StudyRunner(Vertx vertx, SiteRegistry sites, StudyStore store, ParticipationLedger ledger, Path dataDir, String id,
              StudySpec spec, Instant createdAt, String owner, String ownerId) {
    this.owner = owner;
    this.ownerId = ownerId;
    this.ledger = ledger;
    this.vertx = vertx;
    this.sites = sites;
    this.store = store;
    this.id = id;
    this.uuid = UUID.fromString(id);
    this.spec = spec;
    this.specJson = parseJson(spec.toJson());
    this.specSha256 = spec.sha256();
    this.studyDir = dataDir.resolve("studies").resolve(id);
    this.parameters = spec.model().parameterCount(spec.inputWidth());
    this.createdAt = createdAt;
    this.status = StudyStatus.SUBMITTED;
  }

  /** Rebuilds a runner from its stored view and latest checkpoint after a coordinator restart. */
  static StudyRunner restore(Vertx vertx, SiteRegistry sites, StudyStore store, ParticipationLedger ledger, Path dataDir,
                             StudyView v, StudySpec spec, List<RoundRecord> rounds) {
    StudyRunner r = new StudyRunner(vertx, sites, store, ledger, dataDir, v.id(), spec, v.createdAt(), v.owner(), v.ownerId());
    r.status = v.status();
    r.statusReason = v.statusReason();
    r.startedAt = v.startedAt();
    r.endedAt = v.endedAt();
    r.scaling = v.scaling();
    r.modelDir = v.modelDir();
    r.participation.putAll(v.sites());
    rounds.forEach(rr -> r.roundRecords.put(rr.round(), rr));
    r.completedRounds = v.modelDir() == null ? 0 : v.completedRounds(); // the checkpoint is read when the study resumes
    return r;
  }

  /** The model and aggregation state to train from, as built on a worker thread. */
  private record Prepared(float[] global, int completedRounds, AggregationStrategy strategy) {}

  /**
   * Builds the model the study (re)starts from: its latest checkpoint, or the initial model when it has none; a
   * checkpoint that cannot be read fails the study naming it. Runs on a worker thread; reads only fields that do not change before it returns.
   */
  private Prepared prepare(String checkpoint, int rounds) {
    AggregationStrategy strat = AggregationStrategy.of(spec.aggregation(), parameters);
    if (checkpoint != null) {
      // A checkpoint that cannot be read is never replaced by the initial model: that would silently discard the
      // completed rounds. The study fails naming the file; the checkpoint stays as it is for the operator.
      String why;
      try {
        float[] p = ModelFiles.readParameters(Path.of(checkpoint));
        if (p.length == parameters) return new Prepared(p, rounds, strat);
        why = "it has " + p.length + " parameters, the study's model " + parameters;
      } catch (java.io.IOException | RuntimeException e) {
        why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      }
      throw new IllegalStateException("the checkpoint " + checkpoint + " of round " + rounds + " cannot be read (" + why
          + "); the study is not restarted from its initial model, which would discard " + rounds + " completed rounds");
    }
    return new Prepared(InitialModel.of(spec), 0, strat);
  }

  public String id() {
    return id;
  }

  void onEnded(Runnable r) {
    this.onEnded = r;
  }

  /** Hex SHA-256 of the study definition as offered to sites (what approvals sign). */
  String specSha256Hex() {
    return java.util.HexFormat.of().formatHex(specSha256);
  }

  public String owner() {
    return owner;
  }

  /** Whether the credential of {@code caller} owns this study. */
  public boolean ownedBy(org.dure.coordinator.security.Caller caller) {
    return StudyView.ownedBy(ownerId, owner, createdAt, caller.id(), caller.name(), caller.since());
  }

  /** Whether credential {@code credentialId} of user {@code name}, issued at {@code issuedAt}, owns this study. */
  public boolean ownedBy(String credentialId, String name, Instant issuedAt) {
    return StudyView.ownedBy(ownerId, owner, createdAt, credentialId, name, issuedAt);
  }

  /** Number of model parameters (the length of every model frame of this study). */
  public int parameterCount() {
    return parameters;
  }

  public StudyStatus status() {
    return status;
  }

  public StudyView view() {
    return new StudyView(id, spec.name(), owner, ownerId, status, statusReason, createdAt, startedAt, endedAt, spec.training().rounds(),
        completedRounds, currentRound, participation, scaling, modelDir, specJson);
  }

  public List<RoundRecord> rounds() {
    return List.copyOf(roundRecords.values());
  }

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
    vertx.executeBlocking(() -> prepare(checkpoint, rounds), false).onComplete(ar -> {
      preparing = false;
      if (status.terminal()) return; // stopped while the model was being built
      if (ar.failed()) {
        log.error("study {}: could not prepare the model", id, ar.cause());
        end(StudyStatus.FAILED, "could not prepare the model: " + (ar.cause().getMessage() == null
            ? ar.cause().getClass().getSimpleName() : ar.cause().getMessage()));
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
    for (SiteSession s : sites.sessions()) offer(s);
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
    if (status.active() && !preparing) offer(s); // once prepared, every connected site is offered the study
    if (phase instanceof AwaitingSites) tryLeaveAwaiting(); // the status names it as answering, no longer offline
  }

  void siteDisconnected(SiteSession s) {
    String site = s.siteId();
    boolean wasReady = ready.remove(site);
    if (phase instanceof CollectingStatistics c && c.pending.remove(site)) {
      mark(site, ParticipationState.DROPPED, "disconnected while the study was being prepared");
      maybeFinishStatistics();
    } else if (phase instanceof Training t && t.secure != null && t.pending.remove(site)) {
      mark(site, ParticipationState.DROPPED, "disconnected during round " + t.round);
      t.secure.siteLeft(site, "disconnected");
    } else if (phase instanceof Training t && t.pending.remove(site)) {
      t.dropped.put(site, "disconnected during round " + t.round);
      mark(site, ParticipationState.DROPPED, "disconnected during round " + t.round);
      maybeFinishRound();
    } else if (phase instanceof FinalEvaluation f && f.remove(site)) {
      maybeFinishEvaluation();
    } else if (wasReady) {
      mark(site, ParticipationState.DROPPED, "disconnected");
    }
    answered(site); // offered again when it reconnects, with a new offer deadline
    if (phase instanceof AwaitingSites) tryLeaveAwaiting();
  }

  void message(SiteSession s, AgentMessage m) {
    String site = s.siteId();
    if (status.terminal() && (m instanceof AgentMessage.StudyAccepted || m instanceof AgentMessage.StudyWithdrawn
        || m instanceof AgentMessage.StudyDeclined)) {
      // An ended study's participation record stays as it was; the site learns the study is over.
      log.warn("study {}: ignoring {} from {}: the study is {}", id, m.getClass().getSimpleName(), site, status);
      s.send(new CoordinatorMessage.StudyEnded(id, status.name(), statusReason));
      return;
    }
    if (m instanceof AgentMessage.StudyAccepted a) {
      if (!status.active()) return;
      if (isState(site, ParticipationState.WITHDRAWN)) {
        log.warn("study {}: ignoring an approval from {}, which withdrew from the study", id, site);
        return;
      }
      try {
        SiteSignatures.verify(s.publicKey(), Purpose.STUDY_APPROVAL, site, id, 0, specSha256, decode(a.signature()));
      } catch (SiteSignatures.SignatureRejected e) {
        log.warn("study {}: refusing the approval of site {}: {}", id, site, e.getMessage());
        participation.put(site, new SiteParticipation(ParticipationState.REFUSED, "approval not accepted: " + e.getMessage(), 0, null));
        s.send(new CoordinatorMessage.Refused("study " + id + ": approval not accepted: " + e.getMessage()));
        persist();
        return;
      }
      SiteParticipation old = participation.get(site);
      if (old == null || old.state() != ParticipationState.ACCEPTED) ledger.siteApproved(id, site, a.rows(), specSha256Hex(), a.signature());
      participation.put(site, new SiteParticipation(ParticipationState.ACCEPTED, null, a.rows(), old == null ? null : old.statistics(),
          a.minSecureRoster()));
      answered(site);
      sittingOut.remove(site); // a site that (re)approves on a new connection may join the retry
      log.info("study {}: site {} accepted ({} rows)", id, site, a.rows());
      if (scaling != null) {
        makeReady(s);
      } else if (phase instanceof CollectingStatistics c && c.pending.add(site)) {
        s.send(new CoordinatorMessage.StatisticsRequest(id)); // approved late: its statistics join the pool
      }
      persist();
      if (phase instanceof AwaitingSites) tryLeaveAwaiting();
    } else if (m instanceof AgentMessage.StudyPending p) {
      if (!status.active() || !(isState(site, ParticipationState.OFFERED) || isState(site, ParticipationState.NO_ANSWER))) return;
      answered(site);
      participation.put(site, new SiteParticipation(ParticipationState.PENDING, p.reason(), 0, null));
      log.info("study {}: site {} awaits its data officer's decision", id, site);
      persist();
      if (phase instanceof AwaitingSites) tryLeaveAwaiting();
    } else if (m instanceof AgentMessage.StudyWithdrawn w) {
      withdrawn(s, w);
    } else if (m instanceof AgentMessage.StudyDeclined d) {
      participation.put(site, new SiteParticipation(ParticipationState.DECLINED, d.reason(), 0, null));
      answered(site);
      ledger.siteRefused(id, site, d.reason());
      log.info("study {}: site {} declined: {}", id, site, d.reason());
      persist();
      if (phase instanceof AwaitingSites) tryLeaveAwaiting();
    } else if (m instanceof AgentMessage.Statistics st) {
      if (phase instanceof CollectingStatistics c && c.pending.remove(site)) {
        c.received.put(site, st.statistics());
        participation.put(site, new SiteParticipation(ParticipationState.ACCEPTED, null, st.statistics().rowsUsed(), st.statistics()));
        maybeFinishStatistics();
      }
    } else if (m instanceof AgentMessage.EvaluationReport e) {
      recordEvaluation(site, e.modelVersion(), e.evaluation());
      if (phase instanceof FinalEvaluation f && e.modelVersion() == completedRounds && f.pending.remove(site)) maybeFinishEvaluation();
    } else if (m instanceof AgentMessage.ValidationReport v) {
      if (phase instanceof FinalEvaluation f && v.modelVersion() == completedRounds && f.reportsPending.remove(site)) {
        String problem = ReportValidation.problem(v);
        if (problem != null) log.warn("study {}: site {} sent an invalid validation report, listed as UNAVAILABLE: {}", id, site, problem);
        f.reports.put(site, ReportValidation.sanitize(v, id, completedRounds));
        maybeFinishEvaluation();
      }
    } else if (m instanceof AgentMessage.PrivacySpent p) {
      if (phase instanceof Training t && t.round == p.round() && Double.isFinite(p.epsilon()) && p.epsilon() >= 0) {
        t.epsilon.put(site, p.epsilon());
      }
    } else if (m instanceof SecAggWire.Addressed) {
      if (phase instanceof Training t && t.secure != null) t.secure.message(s, m);
    } else if (m instanceof AgentMessage.RoundFailed f) {
      if (phase instanceof Training t && t.secure != null && t.round == f.round()) {
        log.warn("study {}: site {} failed round {}: {}", id, site, f.round(), f.reason());
        t.secure.siteLeft(site, "training failed: " + f.reason());
      } else if (phase instanceof Training t && t.round == f.round() && t.pending.remove(site)) {
        log.warn("study {}: site {} failed round {}: {}", id, site, f.round(), f.reason());
        t.dropped.put(site, "training failed: " + f.reason());
        maybeFinishRound();
      }
    } else if (m instanceof AgentMessage.Hello) {
      // handled by the registry
    }
  }

  /**
   * The site's data officer withdrew it: like a site leaving for good. It is out of the current phase at once, is
   * never offered the study or a round again, and the signed withdrawal goes into the ledger.
   */
  private void withdrawn(SiteSession s, AgentMessage.StudyWithdrawn w) {
    String site = s.siteId();
    if (isState(site, ParticipationState.WITHDRAWN)) return;
    byte[] signature = decode(w.signature());
    try {
      SiteSignatures.verify(s.publicKey(), Purpose.STUDY_WITHDRAWAL, site, id, 0,
          Digests.sha256(String.valueOf(w.reason()).getBytes(StandardCharsets.UTF_8)), signature);
    } catch (SiteSignatures.SignatureRejected e) {
      log.warn("study {}: refusing the withdrawal of site {}: {}", id, site, e.getMessage());
      s.send(new CoordinatorMessage.Refused("study " + id + ": withdrawal not accepted: " + e.getMessage()));
      return;
    }
    String why = "withdrawn by the site: " + w.reason();
    log.warn("study {}: site {} {}", id, site, why);
    ready.remove(site);
    participation.put(site, new SiteParticipation(ParticipationState.WITHDRAWN, why, 0, null));
    ledger.siteWithdrew(id, site, w.reason(), w.signature());
    persist();
    if (!status.active()) return;
    if (phase instanceof CollectingStatistics c && c.pending.remove(site)) {
      maybeFinishStatistics();
    } else if (phase instanceof Training t && t.secure != null) {
      t.pending.remove(site);
      t.secure.siteLeft(site, why);
    } else if (phase instanceof Training t && t.pending.remove(site)) {
      t.dropped.put(site, why);
      maybeFinishRound();
    } else if (phase instanceof FinalEvaluation f && f.remove(site)) {
      maybeFinishEvaluation();
    } else if (phase instanceof AwaitingSites) {
      tryLeaveAwaiting();
    }
  }

  /** The site answered the offer (or left it): its offer deadline no longer runs. */
  private void answered(String site) {
    Long timer = offerTimers.remove(site);
    if (timer != null) vertx.cancelTimer(timer);
  }

  void frame(SiteSession s, Frames.Frame frame) {
    String site = s.siteId();
    if (frame instanceof Frames.MaskedFrame masked) {
      if (phase instanceof Training t && t.secure != null) t.secure.masked(s, masked);
      else log.info("study {}: ignoring a masked input from {} outside a secure round", id, site);
      return;
    }
    Frames.ModelFrame f = (Frames.ModelFrame) frame;
    if (f.kind() != Frames.Kind.SITE_UPDATE) {
      s.send(new CoordinatorMessage.Refused("sites may only send SITE_UPDATE or MASKED_INPUT frames"));
      return;
    }
    if (phase instanceof Training t && t.secure != null) {
      s.send(new CoordinatorMessage.Refused("study " + id + " uses secure aggregation: a plain update is refused and discarded"));
      t.secure.siteLeft(site, "sent a plain update to a secure round");
      return;
    }
    if (!(phase instanceof Training t) || t.round != f.round() || !t.pending.contains(site)) {
      log.info("study {}: ignoring late or unexpected update from {} for round {}", id, site, f.round());
      return;
    }
    try {
      SiteSignatures.verify(s.publicKey(), Purpose.CONTRIBUTION, site, id, f.round(), f.signedDigest(), f.signature());
    } catch (SiteSignatures.SignatureRejected e) {
      log.warn("study {}: rejected the round {} update from {}: {}", id, t.round, site, e.getMessage());
      s.send(new CoordinatorMessage.Refused("update rejected: " + e.getMessage()));
      t.pending.remove(site);
      t.dropped.put(site, "update rejected: " + e.getMessage());
      maybeFinishRound();
      return;
    }
    if (f.modelVersion() != t.round - 1) {
      t.pending.remove(site);
      t.dropped.put(site, "update trained from model version " + f.modelVersion() + ", expected " + (t.round - 1));
      maybeFinishRound();
      return;
    }
    try {
      t.accumulator.add(site, f.samples(), f.valuesUnsafe());
      receipt(s, t.round, ledger.contribution(id, site, t.round, attempt, t.globalSha256, f.signedDigest(), f.signature(),
          "plain-update"));
      if (Float.isFinite(f.trainLoss())) t.trainLoss.put(site, (double) f.trainLoss()); // DP sites send none
      if (isState(site, ParticipationState.DROPPED)) mark(site, ParticipationState.ACCEPTED, null);
    } catch (IllegalArgumentException e) {
      log.warn("study {}: rejected update from {}: {}", id, site, e.getMessage());
      s.send(new CoordinatorMessage.Refused("update rejected: " + e.getMessage()));
      t.dropped.put(site, "update rejected: " + e.getMessage());
    }
    t.pending.remove(site);
    maybeFinishRound();
  }

  /** Once a contribution is in the ledger, sends the site its receipt (entry, inclusion and consistency proofs). */
  private void receipt(SiteSession s, int round, Future<Long> recorded) {
    recorded.compose(index -> ledger.receipt(id, round, index, s.ledgerTreeSize())).onSuccess(r -> {
      s.send(r);
      s.ledgerTreeSize(StudyRunner.treeSize(r.treeHead()));
    }).onFailure(e -> log.warn("study {}: no ledger receipt for {} round {}: {}", id, s.siteId(), round, e.toString()));
  }

  private static long treeSize(String treeHeadJson) {
    return org.dure.ledger.SignedTreeHead.parse(treeHeadJson).size();
  }

  private static byte[] decode(String base64) {
    try {
      return base64 == null ? new byte[0] : Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      return new byte[0];
    }
  }

  // ---------------------------------------------------------------------------------------------- phases

  private void offer(SiteSession s) {
    SiteParticipation p = participation.get(s.siteId());
    if (p != null && p.state() == ParticipationState.WITHDRAWN) return; // for good
    if (p == null || p.state() != ParticipationState.ACCEPTED) {
      participation.put(s.siteId(), new SiteParticipation(ParticipationState.OFFERED, null, 0, p == null ? null : p.statistics()));
      awaitAnswer(s.siteId());
    }
    s.send(new CoordinatorMessage.StudyOffer(id, spec.toJson()));
    persist();
  }

  /**
   * Starts the site's offer deadline: a site that neither accepts, declines nor says its data officer decides within
   * {@code offerDeadlineSeconds} (an agent that failed on the offer) is marked {@link ParticipationState#NO_ANSWER}, named in the
   * status, and counted out until it answers (it is offered the study again when it reconnects).
   */
  private void awaitAnswer(String site) {
    answered(site);
    int seconds = spec.offerDeadlineSeconds();
    offerTimers.put(site, vertx.setTimer(seconds * 1000L, x -> {
      offerTimers.remove(site);
      if (!status.active() || !isState(site, ParticipationState.OFFERED)) return;
      log.warn("study {}: site {} did not answer the offer within {} s", id, site, seconds);
      mark(site, ParticipationState.NO_ANSWER, "did not answer the offer within " + seconds + " s (offerDeadlineSeconds); not taking part"
          + " unless it answers later");
      if (phase instanceof AwaitingSites) tryLeaveAwaiting();
    }));
  }

  private void makeReady(SiteSession s) {
    s.send(new CoordinatorMessage.TrainingSetup(id, scaling));
    ready.add(s.siteId());
  }

  /**
   * Waits for enough sites, at most {@code waitForSitesSeconds}; {@code context} (why, when it is not the start of
   * the study) leads the status reason.
   */
  private void awaitSites(String context) {
    cancelTimer();
    int seconds = spec.waitForSitesSeconds();
    long timer = vertx.setTimer(seconds * 1000L, x -> {
      if (phase instanceof AwaitingSites a) {
        end(StudyStatus.FAILED, (a.context == null ? "" : a.context + "; ") + "not enough sites accepted within "
            + seconds + " s (waitForSitesSeconds): " + roll().describe());
      }
    });
    phase = new AwaitingSites(timer, context, Instant.now().plusSeconds(seconds));
    setStatus(StudyStatus.WAITING_FOR_SITES, context == null ? "waiting for sites" : context);
    tryLeaveAwaiting();
  }

  /**
   * The sites as the wait for them sees them. {@code undecided} could still accept: they are answering the offer,
   * their data officer decides, or they are enrolled but not connected.
   */
  private record Roll(int needed, String neededBecause, List<String> accepted, Map<String, String> out,
                      Map<String, String> undecided, int enrolled) {
    int possible() {
      return accepted.size() + undecided.size();
    }

    /** "1 of at least 2 sites accepted (hospital-a; minSites 2); declined: hospital-b (reason); ...". */
    String describe() {
      StringBuilder b = new StringBuilder(accepted.size() + " of at least " + needed + " sites accepted (");
      if (!accepted.isEmpty()) b.append(String.join(", ", accepted)).append("; ");
      b.append("needed: ").append(neededBecause).append(")");
      out.forEach((site, why) -> b.append("; ").append(site).append(" ").append(why));
      undecided.forEach((site, why) -> b.append("; ").append(site).append(" ").append(why));
      if (enrolled == 0) {
        b.append("; no site is enrolled in the consortium yet");
      } else if (enrolled < needed) {
        b.append("; the consortium has only ").append(enrolled).append(" enrolled sites, fewer than the ").append(needed)
            .append(neededBecause.contains("minSecureRoster")
                ? " needed: enrol more sites (a site's own policy sets this minimum; its data officer decides it)"
                : " needed: lower " + (neededBecause.startsWith("privacy") ? "privacy.secureAggregation.threshold" : "minSites")
                    + " or enrol more sites");
      }
      return b.toString();
    }
  }

  private Roll roll() {
    Set<String> online = new LinkedHashSet<>(sites.sessions().stream().map(SiteSession::siteId).toList());
    Set<String> enrolled = sites.enrolled();
    Set<String> all = new java.util.TreeSet<>(participation.keySet());
    all.addAll(online);
    all.addAll(enrolled);
    List<String> accepted = new ArrayList<>();
    Map<String, String> out = new LinkedHashMap<>(), undecided = new LinkedHashMap<>();
    for (String site : all) {
      SiteParticipation p = participation.get(site);
      ParticipationState state = p == null ? null : p.state();
      String why = p == null || p.reason() == null ? "" : ": " + p.reason();
      boolean on = online.contains(site);
      if (state == ParticipationState.DECLINED || state == ParticipationState.REFUSED || state == ParticipationState.WITHDRAWN) {
        out.put(site, state.name().toLowerCase(java.util.Locale.ROOT) + why);
      } else if (state == ParticipationState.PENDING) {
        undecided.put(site, "awaits its data officer's decision");
      } else if (!on) {
        if (enrolled.contains(site)) undecided.put(site, "is not connected");
      } else if (sittingOut.contains(site)) {
        // only for one attempt: it counts among the sites that could still take part
        undecided.put(site, "sits out the retry (it dropped out of the aborted attempt)");
      } else if (state == ParticipationState.ACCEPTED) {
        accepted.add(site);
      } else if (state == ParticipationState.OFFERED) {
        undecided.put(site, "has not answered yet");
      } else if (state == ParticipationState.NO_ANSWER) {
        out.put(site, "did not answer the offer within " + spec.offerDeadlineSeconds() + " s");
      } else if (state != null) {
        out.put(site, state.name().toLowerCase(java.util.Locale.ROOT) + why);
      }
    }
    return new Roll(sitesNeeded(), sitesNeededBecause(), accepted, out, undecided, enrolled.size());
  }

  /**
   * Leaves the wait for sites when enough accepted and every online site answered (or its offer deadline passed).
   * Once every online site answered, fails the study at once when even the sites that could still accept (awaiting
   * their data officer, or enrolled and not connected) would not be enough: every enrolled site declined or stayed
   * silent, or the consortium is smaller than the study needs. A consortium with no enrolled site yet waits.
   */
  private void tryLeaveAwaiting() {
    if (!(phase instanceof AwaitingSites a)) return;
    List<String> online = sites.sessions().stream().map(SiteSession::siteId).toList();
    List<String> accepted = online.stream().filter(s -> isState(s, ParticipationState.ACCEPTED) && !sittingOut.contains(s)).toList();
    List<String> back = online.stream().filter(sittingOut::contains)
        .filter(s -> isState(s, ParticipationState.ACCEPTED) || isState(s, ParticipationState.DROPPED)).toList();
    if (accepted.size() < sitesNeeded() && !back.isEmpty() && accepted.size() + back.size() >= sitesNeeded()) {
      // Too few others are ready: the retry takes the sites that dropped out of the aborted attempt after all (after a
      // coordinator restart every site did). The attempts stay bounded.
      log.info("study {}: too few other sites are ready; the retry takes {} again", id, back);
      sittingOut.removeAll(back);
      for (String s : back) if (isState(s, ParticipationState.DROPPED)) mark(s, ParticipationState.ACCEPTED, null);
      accepted = online.stream().filter(s -> isState(s, ParticipationState.ACCEPTED) && !sittingOut.contains(s)).toList();
    }
    boolean allAnswered = online.stream().noneMatch(s -> isState(s, ParticipationState.OFFERED));
    if (accepted.size() < sitesNeeded() || !allAnswered) {
      Roll roll = roll();
      String prefix = a.context == null ? "" : a.context + "; ";
      if (allAnswered && roll.possible() < roll.needed() && roll.enrolled() > 0) {
        end(StudyStatus.FAILED, prefix + "not enough sites can take part: " + roll.describe());
        return;
      }
      setStatus(StudyStatus.WAITING_FOR_SITES, prefix + roll.describe() + "; waiting until "
          + a.until.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " (waitForSitesSeconds " + spec.waitForSitesSeconds() + ")");
      return;
    }
    vertx.cancelTimer(a.timer);
    if (scaling == null) {
      collectStatistics(accepted);
    } else {
      for (String s : accepted) if (!ready.contains(s)) sites.session(s).ifPresent(this::makeReady);
      startRound(completedRounds + 1);
    }
  }

  private void collectStatistics(List<String> accepted) {
    Set<String> pending = new LinkedHashSet<>(accepted);
    long timer = vertx.setTimer(deadline().toMillis(), x -> {
      if (phase instanceof CollectingStatistics c) {
        for (String s : c.pending) mark(s, ParticipationState.DROPPED, "sent no statistics before the deadline");
        c.pending.clear();
        maybeFinishStatistics();
      }
    });
    phase = new CollectingStatistics(pending, timer);
    setStatus(StudyStatus.PREPARING, "collecting feature statistics from " + pending.size() + " sites");
    for (String s : accepted) sites.session(s).ifPresent(x -> x.send(new CoordinatorMessage.StatisticsRequest(id)));
  }

  private void maybeFinishStatistics() {
    if (!(phase instanceof CollectingStatistics c) || !c.pending.isEmpty()) return;
    vertx.cancelTimer(c.timer);
    if (c.received.size() < spec.minSites()) {
      awaitSites("only " + c.received.size() + " of at least " + spec.minSites() + " sites sent statistics; waiting for sites");
      return;
    }
    Map<String, SiteStatistics.NumericMoments> pooled = new LinkedHashMap<>();
    for (SiteStatistics st : c.received.values())
      for (SiteStatistics.NumericMoments m : st.numeric()) pooled.merge(m.feature(), m, SiteStatistics.NumericMoments::plus);
    try {
      scaling = FeatureScaling.fromMoments(spec, new ArrayList<>(pooled.values()));
    } catch (IllegalStateException e) {
      end(StudyStatus.FAILED, e.getMessage());
      return;
    }
    log.info("study {}: federated scaling computed from {} sites", id, c.received.size());
    for (String s : c.received.keySet()) sites.session(s).ifPresent(this::makeReady);
    persist();
    startRound(completedRounds + 1);
  }

  private void startRound(int round) {
    List<String> participants = sites.sessions().stream().map(SiteSession::siteId).filter(ready::contains)
        .filter(s -> !sittingOut.contains(s)).toList();
    int needed = sitesNeeded();
    if (participants.size() < needed) {
      awaitSites("only " + participants.size() + " of at least " + needed + " sites are ready for round " + round
          + (needed > spec.minSites() ? " (needed: " + sitesNeededBecause() + ")" : ""));
      return;
    }
    if (round > spec.training().rounds()) {
      finalEvaluation();
      return;
    }
    attempt++;
    currentRound = round;
    if (secureAggregation().enabled()) {
      startSecureRound(round, participants);
      return;
    }
    long timer = vertx.setTimer(deadline().toMillis(), x -> {
      if (phase instanceof Training t && t.round == round) {
        for (String s : t.pending) {
          t.dropped.put(s, "no update before the " + spec.roundDeadlineSeconds() + " s deadline");
          mark(s, ParticipationState.DROPPED, "no update in round " + round + " before the deadline; offered the next round again");
        }
        t.pending.clear();
        maybeFinishRound();
      }
    });
    Training t = new Training(round, participants, parameters, timer, null);
    t.globalSha256 = Digests.modelSha256(global);
    ledger.roundStarted(id, round, attempt, participants, t.globalSha256, false, 0);
    phase = t;
    setStatus(StudyStatus.TRAINING, "round " + round + " of " + spec.training().rounds() + " with " + participants.size() + " sites");
    roundRecords.put(round, new RoundRecord(round, attempt, RoundStatus.RUNNING, t.started, null, 0, participants, Map.of(), Map.of(), Map.of(), null, null, Map.of(), null,
        abortedAttempts(round), Map.of()));
    byte[] frame = Frames.encode(Frames.Kind.GLOBAL_TRAIN, uuid, round, round - 1, 0, Float.NaN, global);
    for (String s : participants) sites.session(s).ifPresent(x -> x.sendBinary(frame));
    log.info("study {}: round {} started with {}", id, round, participants);
  }

  /**
   * A secure round: sites send masked fixed-point model changes; the coordinator learns only their weighted
   * sum over the survivors ({@link SecureRound}). The threshold is a strict majority of the round's sites, at
   * least {@code minSites} and at least the study's own threshold.
   */
  private void startSecureRound(int round, List<String> participants) {
    PrivacyPlan.SecureAggregation plan = secureAggregation();
    int threshold = plan.thresholdFor(participants.size(), spec.minSites());
    RoundContext context = RoundContext.of(id, round, attempt, participants).withThreshold(threshold);
    long totalSamples = 0;
    for (String s : participants) {
      SiteParticipation p = participation.get(s);
      totalSamples += p == null ? 0 : Math.max(0, p.rows());
    }
    Training[] holder = new Training[1];
    SecureRound secure = new SecureRound(vertx, sites, context, parameters, Math.max(1, totalSamples), plan.clip(),
        deadline(), outcome -> secureRoundEnded(holder[0], outcome),
        (site, f) -> sites.session(site).ifPresent(session -> receipt(session, round, ledger.contribution(id, site, round,
            context.attempt(), holder[0].globalSha256, f.signedDigest(), f.signature(), "masked-input"))));
    Training t = new Training(round, participants, parameters, -1, secure);
    t.globalSha256 = Digests.modelSha256(global);
    ledger.roundStarted(id, round, attempt, participants, t.globalSha256, true, threshold);
    holder[0] = t;
    phase = t;
    setStatus(StudyStatus.TRAINING, "round " + round + " of " + spec.training().rounds() + " with " + participants.size()
        + " sites (secure aggregation, threshold " + threshold + (context.sparse() ? ", " + context.neighbours()
        + " neighbours" : "") + ")");
    roundRecords.put(round, new RoundRecord(round, attempt, RoundStatus.RUNNING, t.started, null, 0, participants, Map.of(),
        Map.of(), Map.of(), null, null, Map.of(), new RoundRecord.SecureAggregation(threshold, context.neighbours(),
            List.of(), 0, Double.NaN), abortedAttempts(round), Map.of()));
    secure.start(Frames.encode(Frames.Kind.GLOBAL_TRAIN, uuid, round, round - 1, 0, Float.NaN, global), plan.clip());
    log.info("study {}: secure round {} attempt {} started with {} (threshold {})", id, round, attempt, participants,
        threshold);
  }

  private void secureRoundEnded(Training t, SecureRound.Outcome outcome) {
    if (phase != t) return;
    Instant now = Instant.now();
    double seconds = Duration.between(t.started, now).toNanos() / 1e9;
    RoundContext c = t.secure.context();
    t.dropped.putAll(outcome instanceof SecureRound.Completed done ? done.dropped() : ((SecureRound.Aborted) outcome).dropped());
    for (String s : t.dropped.keySet()) if (isState(s, ParticipationState.ACCEPTED)) mark(s, ParticipationState.DROPPED, t.dropped.get(s));
    if (outcome instanceof SecureRound.Aborted a) {
      roundAborted(t, now, seconds, a.reason(), new RoundRecord.SecureAggregation(c.threshold(), c.neighbours(),
          List.of(), 0, Double.NaN));
      return;
    }
    SecureRound.Completed done = (SecureRound.Completed) outcome;
    for (String s : done.survivors()) if (isState(s, ParticipationState.DROPPED)) mark(s, ParticipationState.ACCEPTED, null);
    double[] meanDelta = new double[global.length];
    for (int i = 0; i < meanDelta.length; i++) meanDelta[i] = done.meanDelta()[i];
    // With site-level noise sites weigh uniformly and send no loss; with DP-SGD they send no loss (it would leave
    // un-noised): then the decoded weights are not rows and the decoded loss is not a loss.
    PrivacyPlan.SiteLevelNoise noise = spec.privacy().siteLevelNoise();
    long samples = noise.enabled() ? 0 : done.survivorSamples();
    double loss = noise.enabled() || spec.privacy().differentialPrivacy().enabled() ? Double.NaN : done.meanLoss();
    Double siteLevelEpsilon = noise.enabled()
        ? RdpAccountant.opacusDefaults().privacySpent(1.0, noise.noiseMultiplier(), t.round, noise.delta()).epsilon() : null;
    roundCompleted(t, now, seconds, meanDelta, done.survivors().size(), samples, Map.of(), Map.of(),
        new RoundRecord.SecureAggregation(c.threshold(), c.neighbours(), done.survivors(), samples, loss, siteLevelEpsilon));
  }

  private void maybeFinishRound() {
    if (!(phase instanceof Training t) || t.secure != null || !t.pending.isEmpty()) return;
    vertx.cancelTimer(t.timer);
    Instant now = Instant.now();
    double seconds = Duration.between(t.started, now).toNanos() / 1e9;
    if (t.accumulator.contributors() < spec.minSites()) {
      roundAborted(t, now, seconds, "only " + t.accumulator.contributors() + " of at least " + spec.minSites()
          + " sites sent an update", null);
      return;
    }
    roundCompleted(t, now, seconds, t.accumulator.weightedMeanDelta(global), t.accumulator.contributors(),
        t.accumulator.totalSamples(), t.accumulator.samplesBySite(), t.trainLoss, null);
  }

  private void roundAborted(Training t, Instant now, double seconds, String why, RoundRecord.SecureAggregation secure) {
    log.warn("study {}: round {} aborted: {}", id, t.round, why);
    t.dropped.forEach((site, reason) -> ledger.siteDropped(id, site, t.round, reason));
    ledger.roundAborted(id, t.round, attempt, why);
    List<RoundRecord.AbortedAttempt> aborted = new ArrayList<>(abortedAttempts(t.round));
    aborted.add(new RoundRecord.AbortedAttempt(attempt, now, why, t.dropped));
    RoundRecord rec = new RoundRecord(t.round, attempt, RoundStatus.ABORTED, t.started, now, seconds, t.participants,
        t.accumulator == null ? Map.of() : t.accumulator.samplesBySite(), t.trainLoss, t.dropped, why, null, Map.of(),
        secure, aborted, t.epsilon);
    roundRecords.put(t.round, rec);
    store.put(id, rec);
    if (attempt >= MAX_ATTEMPTS) {
      end(StudyStatus.FAILED, "round " + t.round + " failed " + attempt + " times: " + why);
    } else {
      sittingOut.addAll(t.dropped.keySet());
      phase = new Idle();
      awaitSites("round " + t.round + " aborted (" + why + "); its retry waits for enough sites");
    }
  }

  private void roundCompleted(Training t, Instant now, double seconds, double[] meanDelta, int contributors,
                              long samples, Map<String, Long> samplesBySite, Map<String, Double> trainLoss,
                              RoundRecord.SecureAggregation secure) {
    RoundRecord prev = roundRecords.get(t.round);
    global = strategy.nextGlobal(global, meanDelta);
    t.dropped.forEach((site, reason) -> ledger.siteDropped(id, site, t.round, reason));
    List<String> contributorIds = secure != null ? secure.survivors() : List.copyOf(samplesBySite.keySet());
    Future<Long> committed = ledger.aggregateCommitted(id, t.round, Digests.modelSha256(global), contributorIds, samples,
        secure != null, t.epsilon);
    completedRounds = t.round;
    attempt = 0;
    sittingOut.clear();
    RoundRecord rec = new RoundRecord(t.round, prev.attempt(), RoundStatus.COMPLETED, t.started, now, seconds, t.participants,
        samplesBySite, trainLoss, t.dropped, null, null, Map.of(), secure, prev.abortedAttempts(), t.epsilon);
    roundRecords.put(t.round, rec);
    store.put(id, rec);
    log.info("study {}: round {} aggregated from {} sites ({} samples{}) in {} s", id, t.round, contributors, samples,
        secure == null ? "" : ", secure", String.format("%.2f", seconds));
    phase = new Idle();
    float[] snapshot = global.clone();
    int round = t.round;
    Future<Path> saved = saveModel(studyDir.resolve("checkpoints").resolve(String.format("round-%04d", round)), snapshot, round);
    // The next round starts once the checkpoint is written and the commit is in the ledger (on disk).
    Future.join(saved, committed).onComplete(ar -> {
      if (saved.succeeded()) {
        modelDir = saved.result().toString();
        persist();
      }
      if (status.active()) startRound(round + 1);
    });
  }

  private void finalEvaluation() {
    Set<String> pending = new LinkedHashSet<>(sites.sessions().stream().map(SiteSession::siteId).filter(ready::contains).toList());
    long timer = vertx.setTimer(deadline().toMillis(), x -> {
      if (phase instanceof FinalEvaluation f) {
        f.pending.clear();
        f.reportsPending.clear();
        maybeFinishEvaluation();
      }
    });
    phase = new FinalEvaluation(pending, timer);
    currentRound = completedRounds;
    setStatus(StudyStatus.EVALUATING, "evaluating the final model at " + pending.size() + " sites");
    byte[] frame = Frames.encode(Frames.Kind.GLOBAL_EVALUATE, uuid, completedRounds, completedRounds, 0, Float.NaN, global);
    for (String s : pending) sites.session(s).ifPresent(x -> {
      x.sendBinary(frame);
      x.send(new CoordinatorMessage.ReportRequest(id, completedRounds)); // answered with the model of that frame
    });
    maybeFinishEvaluation();
  }

  private void maybeFinishEvaluation() {
    if (!(phase instanceof FinalEvaluation f) || !f.pending.isEmpty() || !f.reportsPending.isEmpty()) return;
    vertx.cancelTimer(f.timer);
    phase = new Idle();
    StudyReport assembled;
    try {
      assembled = StudyReport.assemble(id, spec.name(), completedRounds, spec.report().threshold(), f.reports, f.asked);
    } catch (RuntimeException e) {
      log.error("study {}: could not assemble the validation report", id, e);
      assembled = null;
    }
    StudyReport report = assembled;
    saveModel(studyDir.resolve("model"), global.clone(), completedRounds).onComplete(ar -> {
      if (ar.failed()) {
        end(StudyStatus.FAILED, "could not save the final model: " + ar.cause().getMessage());
        return;
      }
      Path dir = ar.result();
      modelDir = dir.toString();
      String completed = "completed " + completedRounds + " rounds; model saved to " + modelDir;
      if (report == null) {
        end(StudyStatus.COMPLETED, completed + "; the validation report could not be made (see the coordinator log)");
        return;
      }
      // The report is not the model: a failure to write or store it is logged and named in the reason, and the
      // study still completes with its model saved.
      try {
        store.putReport(report);
      } catch (RuntimeException e) {
        log.error("study {}: could not store the validation report", id, e);
      }
      vertx.executeBlocking(() -> {
        ReportFiles.write(dir, report);
        return dir;
      }, false).onComplete(w -> {
        if (w.succeeded()) {
          end(StudyStatus.COMPLETED, completed);
        } else {
          log.error("study {}: could not write the validation report to {}", id, dir, w.cause());
          end(StudyStatus.COMPLETED, completed + "; the validation report could not be written: " + w.cause());
        }
      });
    });
  }

  private void recordEvaluation(String site, int version, Evaluation e) {
    if (version < 0 || version > completedRounds) return;
    Map<String, Evaluation> byVersion = evaluations.computeIfAbsent(version, v -> new TreeMap<>());
    byVersion.put(site, e);
    RoundRecord rec = roundRecords.get(version);
    if (rec == null && version == 0) {
      rec = new RoundRecord(0, 0, RoundStatus.INITIAL, startedAt, startedAt, 0, List.of(), Map.of(), Map.of(), Map.of(), null, null, Map.of(), null, List.of(), Map.of());
    }
    if (rec == null) return;
    Map<String, Metrics> bySite = new TreeMap<>();
    byVersion.forEach((k, v) -> bySite.put(k, Metrics.of(v)));
    rec = rec.withMetrics(Metrics.of(Evaluation.pooled(byVersion.values())), bySite);
    roundRecords.put(version, rec);
    store.put(id, rec);
  }

  private Future<Path> saveModel(Path dir, float[] params, int round) {
    ObjectNode metrics = StudyStore.JSON.createObjectNode();
    RoundRecord last = roundRecords.get(round);
    if (last != null && last.pooled() != null) metrics.set("validation", StudyStore.JSON.valueToTree(last.pooled()));
    metrics.put("round", round);
    metrics.put("parametersSha256", org.dure.crypto.Digests.modelSha256(params));
    ModelFiles.Metadata meta = new ModelFiles.Metadata(id, spec.name(), round, metrics);
    FeatureScaling sc = scaling;
    return vertx.executeBlocking(() -> {
      ModelFiles.write(dir, spec, sc, params, meta);
      return dir.toAbsolutePath();
    }, false).onFailure(e -> log.error("study {}: could not write model to {}: {}", id, dir, e.toString()));
  }

  private void end(StudyStatus terminal, String reason) {
    cancelTimer();
    offerTimers.values().forEach(vertx::cancelTimer);
    offerTimers.clear();
    if (phase instanceof Training t && t.secure != null) t.secure.cancel("study " + terminal.name().toLowerCase() + ": " + reason);
    phase = new Idle();
    endedAt = Instant.now();
    setStatus(terminal, reason);
    log.info("study {} {}: {}", id, terminal, reason);
    // No model digest when the study ended before its model was built (stopped before it started).
    ledger.studyEnded(id, terminal.name(), reason, completedRounds, global == null ? null : Digests.modelSha256(global), endedBy);
    for (SiteSession s : sites.sessions())
      if (participation.containsKey(s.siteId()) && !isState(s.siteId(), ParticipationState.WITHDRAWN)) // a withdrawn site was done already
        s.send(new CoordinatorMessage.StudyEnded(id, terminal.name(), reason));
    ready.clear();
    onEnded.run();
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private void cancelTimer() {
    long timer = -1;
    if (phase instanceof AwaitingSites a) timer = a.timer;
    else if (phase instanceof CollectingStatistics c) timer = c.timer;
    else if (phase instanceof Training t) timer = t.timer;
    else if (phase instanceof FinalEvaluation f) timer = f.timer;
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  /** The aborted earlier attempts of {@code round}, as recorded so far. */
  private List<RoundRecord.AbortedAttempt> abortedAttempts(int round) {
    RoundRecord r = roundRecords.get(round);
    return r == null ? List.of() : r.abortedAttempts();
  }

  private PrivacyPlan.SecureAggregation secureAggregation() {
    return spec.privacy().secureAggregation();
  }

  /** Sites a round needs: {@code minSites}; with secure aggregation also 2 and the study's threshold. */
  /**
   * Sites a round needs: the study's own figure, and with secure aggregation at least the largest {@code minSecureRoster}
   * an accepted site stated (a smaller roster is one that site refuses, so starting it would only abort).
   */
  private int sitesNeeded() {
    Strictest s = strictestRoster();
    return s == null ? spec.sitesNeeded() : s.sites();
  }

  /** Why {@link #sitesNeeded()} is what it is, naming the field (or the site whose policy) that sets it. */
  private String sitesNeededBecause() {
    Strictest s = strictestRoster();
    return s == null ? spec.sitesNeededBecause() : s.site() + "'s policy minSecureRoster " + s.sites();
  }

  /** The accepted site whose stated minSecureRoster is the largest, above the study's own figure. */
  private record Strictest(String site, int sites) {}

  private Strictest strictestRoster() {
    if (!spec.privacy().secureAggregation().enabled()) return null;
    Strictest most = null;
    for (Map.Entry<String, SiteParticipation> e : new java.util.TreeMap<>(participation).entrySet()) {
      SiteParticipation p = e.getValue();
      boolean takesPart = p.state() == ParticipationState.ACCEPTED || p.state() == ParticipationState.DROPPED;
      int floor = most == null ? spec.sitesNeeded() : most.sites();
      if (takesPart && p.minSecureRoster() != null && p.minSecureRoster() > floor) most = new Strictest(e.getKey(), p.minSecureRoster());
    }
    return most;
  }

  private Duration deadline() {
    return Duration.ofSeconds(spec.roundDeadlineSeconds());
  }

  private boolean isState(String site, ParticipationState state) {
    SiteParticipation p = participation.get(site);
    return p != null && state == p.state();
  }

  private void mark(String site, ParticipationState state, String reason) {
    SiteParticipation p = participation.get(site);
    participation.put(site, p == null ? new SiteParticipation(state, reason, 0, null) : p.with(state, reason));
    persist();
  }

  private void setStatus(StudyStatus s, String reason) {
    status = s;
    statusReason = reason;
    persist();
  }

  private void persist() {
    store.put(view());
  }

  private static JsonNode parseJson(String json) {
    try {
      return StudyStore.JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
