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
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.sites.SiteSession;
import org.dure.crypto.Digests;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.crypto.sign.SiteSignatures;
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.model.ModelFiles;
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
 *       with a reason. The study waits until {@code minSites} sites have accepted and every online site
 *       has answered (or one round deadline has passed).</li>
 *   <li><b>Prepare</b>: accepted sites send aggregate statistics (counts, sums, sums of squares, missing
 *       and unseen-category counts) of their training split; the coordinator pools them into one
 *       {@link FeatureScaling} and sends it back, so every site and the exported model scale identically.</li>
 *   <li><b>Rounds</b>: the global model goes to every ready site as a binary frame; each site reports how
 *       that model does on its validation split, trains from it, and returns its parameters and sample
 *       count. Updates are summed as they arrive. The round closes when every participant has answered,
 *       or at the deadline with whoever answered; with fewer than {@code minSites} answers it is aborted
 *       and retried when enough sites are online (at most {@value #MAX_ATTEMPTS} attempts).</li>
 *   <li><b>Final evaluation</b>: the last model is evaluated at every ready site, then saved.</li>
 * </ol>
 * A checkpoint of the global model is written to disk after every round.
 */
public final class StudyRunner {
  private static final Logger log = LoggerFactory.getLogger(StudyRunner.class);
  static final int MAX_ATTEMPTS = 3;

  private final Vertx vertx;
  private final SiteRegistry sites;
  private final StudyStore store;
  private final Path studyDir;
  private final StudySpec spec;
  private final JsonNode specJson;
  /** SHA-256 of the study definition offered to sites: what their approval signatures cover. */
  private final byte[] specSha256;
  private final String id;
  private final UUID uuid;
  private final int parameters;
  private final AggregationStrategy strategy;

  // persistent view
  private StudyStatus status;
  private String statusReason;
  private final Instant createdAt;
  private final String owner;
  private Instant startedAt, endedAt;
  private int completedRounds;
  private int currentRound;
  private final Map<String, SiteParticipation> participation = new TreeMap<>();
  private FeatureScaling scaling;
  private String modelDir;

  // live state
  private float[] global;
  private final Set<String> ready = new LinkedHashSet<>();
  private final Map<Integer, RoundRecord> roundRecords = new TreeMap<>();
  private final Map<Integer, Map<String, Evaluation>> evaluations = new HashMap<>();
  private int attempt;
  private Phase phase = new Idle();
  private Runnable onEnded = () -> {};

  /** Protocol phases of a running study; each knows its own pending sites and timer. */
  private sealed interface Phase permits Idle, AwaitingSites, CollectingStatistics, Training, FinalEvaluation {}

  private record Idle() implements Phase {}

  private static final class AwaitingSites implements Phase {
    final long timer;
    boolean graceOver;
    AwaitingSites(long timer) { this.timer = timer; }
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
    final Map<String, String> dropped = new LinkedHashMap<>();
    final Instant started = Instant.now();
    final long timer;
    Training(int round, List<String> participants, int parameters, long timer) {
      this.round = round;
      this.participants = List.copyOf(participants);
      this.pending = new LinkedHashSet<>(participants);
      this.accumulator = new RoundAccumulator(parameters);
      this.timer = timer;
    }
  }

  private static final class FinalEvaluation implements Phase {
    final Set<String> pending;
    final long timer;
    FinalEvaluation(Set<String> pending, long timer) { this.pending = pending; this.timer = timer; }
  }

  StudyRunner(Vertx vertx, SiteRegistry sites, StudyStore store, Path dataDir, String id, StudySpec spec, Instant createdAt,
              String owner) {
    this.owner = owner;
    this.vertx = vertx;
    this.sites = sites;
    this.store = store;
    this.id = id;
    this.uuid = UUID.fromString(id);
    this.spec = spec;
    this.specJson = parseJson(spec.toJson());
    this.specSha256 = Digests.sha256(spec.toJson().getBytes(StandardCharsets.UTF_8));
    this.studyDir = dataDir.resolve("studies").resolve(id);
    this.parameters = spec.model().parameterCount(spec.inputWidth());
    this.strategy = AggregationStrategy.of(spec.aggregation(), parameters);
    this.createdAt = createdAt;
    this.status = StudyStatus.SUBMITTED;
    this.global = InitialModel.of(spec);
  }

  /** Rebuilds a runner from its stored view and latest checkpoint after a coordinator restart. */
  static StudyRunner restore(Vertx vertx, SiteRegistry sites, StudyStore store, Path dataDir, StudyView v, StudySpec spec,
                             List<RoundRecord> rounds) {
    StudyRunner r = new StudyRunner(vertx, sites, store, dataDir, v.id(), spec, v.createdAt(), v.owner());
    r.status = v.status();
    r.statusReason = v.statusReason();
    r.startedAt = v.startedAt();
    r.endedAt = v.endedAt();
    r.scaling = v.scaling();
    r.modelDir = v.modelDir();
    r.participation.putAll(v.sites());
    rounds.forEach(rr -> r.roundRecords.put(rr.round(), rr));
    if (v.modelDir() != null) {
      try {
        r.global = ModelFiles.readParameters(Path.of(v.modelDir()));
        r.completedRounds = v.completedRounds();
      } catch (java.io.IOException | RuntimeException e) {
        log.error("study {}: cannot read checkpoint {} ({}); restarting from the initial model", v.id(), v.modelDir(), e.toString());
      }
    }
    return r;
  }

  public String id() {
    return id;
  }

  void onEnded(Runnable r) {
    this.onEnded = r;
  }

  public String owner() {
    return owner;
  }

  public StudyStatus status() {
    return status;
  }

  public StudyView view() {
    return new StudyView(id, spec.name(), owner, status, statusReason, createdAt, startedAt, endedAt, spec.training().rounds(),
        completedRounds, currentRound, participation, scaling, modelDir, specJson);
  }

  public List<RoundRecord> rounds() {
    return List.copyOf(roundRecords.values());
  }

  // ---------------------------------------------------------------------------------------------- commands

  /** Starts (or, after a restart, resumes) the study. */
  void start() {
    if (status.terminal()) throw new IllegalStateException("study " + id + " is " + status + " and cannot be started again");
    if (status == StudyStatus.SUBMITTED || startedAt == null) startedAt = Instant.now();
    log.info("study {} ({}) starting: {} rounds, model {}, at least {} sites", id, spec.name(), spec.training().rounds(), spec.model(), spec.minSites());
    for (SiteSession s : sites.sessions()) offer(s);
    awaitSites("waiting for at least " + spec.minSites() + " sites to accept");
  }

  void stop(String reason) {
    if (status.terminal()) return;
    end(StudyStatus.STOPPED, reason);
  }

  // ---------------------------------------------------------------------------------------------- site events

  void siteConnected(SiteSession s) {
    if (status.active()) offer(s);
  }

  void siteDisconnected(SiteSession s) {
    String site = s.siteId();
    boolean wasReady = ready.remove(site);
    if (phase instanceof CollectingStatistics c && c.pending.remove(site)) {
      mark(site, "DROPPED", "disconnected while the study was being prepared");
      maybeFinishStatistics();
    } else if (phase instanceof Training t && t.pending.remove(site)) {
      t.dropped.put(site, "disconnected during round " + t.round);
      mark(site, "DROPPED", "disconnected during round " + t.round);
      maybeFinishRound();
    } else if (phase instanceof FinalEvaluation f && f.pending.remove(site)) {
      maybeFinishEvaluation();
    } else if (wasReady) {
      mark(site, "DROPPED", "disconnected");
    }
  }

  void message(SiteSession s, AgentMessage m) {
    String site = s.siteId();
    if (m instanceof AgentMessage.StudyAccepted a) {
      if (!status.active()) return;
      try {
        SiteSignatures.verify(s.publicKey(), Purpose.STUDY_APPROVAL, site, id, 0, specSha256, decode(a.signature()));
      } catch (SiteSignatures.SignatureRejected e) {
        log.warn("study {}: refusing the approval of site {}: {}", id, site, e.getMessage());
        participation.put(site, new SiteParticipation("REFUSED", "approval not accepted: " + e.getMessage(), 0, null));
        s.send(new CoordinatorMessage.Refused("study " + id + ": approval not accepted: " + e.getMessage()));
        persist();
        return;
      }
      SiteParticipation old = participation.get(site);
      participation.put(site, new SiteParticipation("ACCEPTED", null, a.rows(), old == null ? null : old.statistics()));
      log.info("study {}: site {} accepted ({} rows)", id, site, a.rows());
      if (scaling != null) makeReady(s);
      persist();
      if (phase instanceof AwaitingSites) tryLeaveAwaiting();
    } else if (m instanceof AgentMessage.StudyDeclined d) {
      participation.put(site, new SiteParticipation("DECLINED", d.reason(), 0, null));
      log.info("study {}: site {} declined: {}", id, site, d.reason());
      persist();
      if (phase instanceof AwaitingSites) tryLeaveAwaiting();
    } else if (m instanceof AgentMessage.Statistics st) {
      if (phase instanceof CollectingStatistics c && c.pending.remove(site)) {
        c.received.put(site, st.statistics());
        participation.put(site, new SiteParticipation("ACCEPTED", null, st.statistics().rowsUsed(), st.statistics()));
        maybeFinishStatistics();
      }
    } else if (m instanceof AgentMessage.EvaluationReport e) {
      recordEvaluation(site, e.modelVersion(), e.evaluation());
      if (phase instanceof FinalEvaluation f && e.modelVersion() == completedRounds && f.pending.remove(site)) maybeFinishEvaluation();
    } else if (m instanceof AgentMessage.RoundFailed f) {
      if (phase instanceof Training t && t.round == f.round() && t.pending.remove(site)) {
        log.warn("study {}: site {} failed round {}: {}", id, site, f.round(), f.reason());
        t.dropped.put(site, "training failed: " + f.reason());
        maybeFinishRound();
      }
    } else if (m instanceof AgentMessage.Hello) {
      // handled by the registry
    }
  }

  void frame(SiteSession s, Frames.ModelFrame f) {
    String site = s.siteId();
    if (f.kind() != Frames.Kind.SITE_UPDATE) {
      s.send(new CoordinatorMessage.Refused("sites may only send SITE_UPDATE frames"));
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
      t.trainLoss.put(site, (double) f.trainLoss());
      if (isState(site, "DROPPED")) mark(site, "ACCEPTED", null);
    } catch (IllegalArgumentException e) {
      log.warn("study {}: rejected update from {}: {}", id, site, e.getMessage());
      s.send(new CoordinatorMessage.Refused("update rejected: " + e.getMessage()));
      t.dropped.put(site, "update rejected: " + e.getMessage());
    }
    t.pending.remove(site);
    maybeFinishRound();
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
    if (p == null || !"ACCEPTED".equals(p.state())) participation.put(s.siteId(), new SiteParticipation("OFFERED", null, 0, p == null ? null : p.statistics()));
    s.send(new CoordinatorMessage.StudyOffer(id, spec.toJson()));
    persist();
  }

  private void makeReady(SiteSession s) {
    s.send(new CoordinatorMessage.TrainingSetup(id, scaling));
    ready.add(s.siteId());
  }

  private void awaitSites(String reason) {
    cancelTimer();
    long timer = vertx.setTimer(deadline().toMillis(), x -> {
      if (phase instanceof AwaitingSites a) {
        a.graceOver = true;
        tryLeaveAwaiting();
      }
    });
    phase = new AwaitingSites(timer);
    setStatus(StudyStatus.WAITING_FOR_SITES, reason);
    tryLeaveAwaiting();
  }

  private void tryLeaveAwaiting() {
    if (!(phase instanceof AwaitingSites a)) return;
    List<String> online = sites.sessions().stream().map(SiteSession::siteId).toList();
    List<String> accepted = online.stream().filter(s -> isState(s, "ACCEPTED")).toList();
    boolean allAnswered = online.stream().noneMatch(s -> isState(s, "OFFERED"));
    if (accepted.size() < spec.minSites() || !(allAnswered || a.graceOver)) {
      long declined = participation.values().stream().filter(p -> "DECLINED".equals(p.state())).count();
      setStatus(StudyStatus.WAITING_FOR_SITES, accepted.size() + " of at least " + spec.minSites() + " sites accepted"
          + (declined > 0 ? ", " + declined + " declined" : ""));
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
        for (String s : c.pending) mark(s, "DROPPED", "sent no statistics before the deadline");
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
    List<String> participants = sites.sessions().stream().map(SiteSession::siteId).filter(ready::contains).toList();
    if (participants.size() < spec.minSites()) {
      awaitSites("only " + participants.size() + " of at least " + spec.minSites() + " sites are ready for round " + round);
      return;
    }
    if (round > spec.training().rounds()) {
      finalEvaluation();
      return;
    }
    attempt++;
    currentRound = round;
    long timer = vertx.setTimer(deadline().toMillis(), x -> {
      if (phase instanceof Training t && t.round == round) {
        for (String s : t.pending) {
          t.dropped.put(s, "no update before the " + spec.roundDeadlineSeconds() + " s deadline");
          mark(s, "DROPPED", "no update in round " + round + " before the deadline; offered the next round again");
        }
        t.pending.clear();
        maybeFinishRound();
      }
    });
    Training t = new Training(round, participants, parameters, timer);
    phase = t;
    setStatus(StudyStatus.TRAINING, "round " + round + " of " + spec.training().rounds() + " with " + participants.size() + " sites");
    roundRecords.put(round, new RoundRecord(round, attempt, "RUNNING", t.started, null, 0, participants, Map.of(), Map.of(), Map.of(), null, null, Map.of()));
    byte[] frame = Frames.encode(Frames.Kind.GLOBAL_TRAIN, uuid, round, round - 1, 0, Float.NaN, global);
    for (String s : participants) sites.session(s).ifPresent(x -> x.sendBinary(frame));
    log.info("study {}: round {} started with {}", id, round, participants);
  }

  private void maybeFinishRound() {
    if (!(phase instanceof Training t) || !t.pending.isEmpty()) return;
    vertx.cancelTimer(t.timer);
    Instant now = Instant.now();
    double seconds = Duration.between(t.started, now).toNanos() / 1e9;
    RoundRecord prev = roundRecords.get(t.round);
    if (t.accumulator.contributors() < spec.minSites()) {
      String why = "only " + t.accumulator.contributors() + " of at least " + spec.minSites() + " sites sent an update";
      log.warn("study {}: round {} aborted: {}", id, t.round, why);
      RoundRecord rec = new RoundRecord(t.round, attempt, "ABORTED", t.started, now, seconds, t.participants,
          t.accumulator.samplesBySite(), t.trainLoss, t.dropped, why, null, Map.of());
      store.put(id, rec);
      if (attempt >= MAX_ATTEMPTS) {
        end(StudyStatus.FAILED, "round " + t.round + " failed " + attempt + " times: " + why);
      } else {
        phase = new Idle();
        awaitSites("round " + t.round + " aborted (" + why + "); retrying when enough sites are ready");
      }
      return;
    }
    global = strategy.nextGlobal(global, t.accumulator.weightedMean());
    completedRounds = t.round;
    attempt = 0;
    RoundRecord rec = new RoundRecord(t.round, prev.attempt(), "COMPLETED", t.started, now, seconds, t.participants,
        t.accumulator.samplesBySite(), t.trainLoss, t.dropped, null, null, Map.of());
    roundRecords.put(t.round, rec);
    store.put(id, rec);
    log.info("study {}: round {} aggregated from {} sites ({} samples) in {} s", id, t.round, t.accumulator.contributors(),
        t.accumulator.totalSamples(), String.format("%.2f", seconds));
    phase = new Idle();
    float[] snapshot = global.clone();
    int round = t.round;
    saveModel(studyDir.resolve("checkpoints").resolve(String.format("round-%04d", round)), snapshot, round)
        .onComplete(ar -> {
          if (ar.succeeded()) {
            modelDir = ar.result().toString();
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
        maybeFinishEvaluation();
      }
    });
    phase = new FinalEvaluation(pending, timer);
    currentRound = completedRounds;
    setStatus(StudyStatus.EVALUATING, "evaluating the final model at " + pending.size() + " sites");
    byte[] frame = Frames.encode(Frames.Kind.GLOBAL_EVALUATE, uuid, completedRounds, completedRounds, 0, Float.NaN, global);
    for (String s : pending) sites.session(s).ifPresent(x -> x.sendBinary(frame));
    maybeFinishEvaluation();
  }

  private void maybeFinishEvaluation() {
    if (!(phase instanceof FinalEvaluation f) || !f.pending.isEmpty()) return;
    vertx.cancelTimer(f.timer);
    phase = new Idle();
    saveModel(studyDir.resolve("model"), global.clone(), completedRounds).onComplete(ar -> {
      if (ar.succeeded()) {
        modelDir = ar.result().toString();
        end(StudyStatus.COMPLETED, "completed " + completedRounds + " rounds; model saved to " + modelDir);
      } else {
        end(StudyStatus.FAILED, "could not save the final model: " + ar.cause().getMessage());
      }
    });
  }

  private void recordEvaluation(String site, int version, Evaluation e) {
    if (version < 0 || version > completedRounds) return;
    Map<String, Evaluation> byVersion = evaluations.computeIfAbsent(version, v -> new TreeMap<>());
    byVersion.put(site, e);
    RoundRecord rec = roundRecords.get(version);
    if (rec == null && version == 0) {
      rec = new RoundRecord(0, 0, "INITIAL", startedAt, startedAt, 0, List.of(), Map.of(), Map.of(), Map.of(), null, null, Map.of());
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
    phase = new Idle();
    endedAt = Instant.now();
    setStatus(terminal, reason);
    log.info("study {} {}: {}", id, terminal, reason);
    for (SiteSession s : sites.sessions())
      if (participation.containsKey(s.siteId())) s.send(new CoordinatorMessage.StudyEnded(id, terminal.name(), reason));
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

  private Duration deadline() {
    return Duration.ofSeconds(spec.roundDeadlineSeconds());
  }

  private boolean isState(String site, String state) {
    SiteParticipation p = participation.get(site);
    return p != null && state.equals(p.state());
  }

  private void mark(String site, String state, String reason) {
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
