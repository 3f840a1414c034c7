package org.dure.coordinator.study;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.dure.coordinator.aggregation.AggregationStrategy;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.sites.SiteSession;
import org.dure.crypto.Digests;
import org.dure.crypto.secagg.RoundContext;
import org.dure.ledger.SignedTreeHead;
import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The study's global model and its training rounds: starts each attempt — plain or secure, as the privacy plan says —
 * and applies its outcome to the ledger, the round history and the roster; a completed round steps the model through
 * the aggregation strategy.
 */
final class Rounds {
  private static final Logger log = LoggerFactory.getLogger(Rounds.class);
  static final int MAX_ATTEMPTS = 3;

  /** What the study does next after an attempt's outcome. */
  sealed interface Next permits Retry, Failed, Stepped {}

  /** The attempt aborted and the round is retried once enough sites are ready. */
  record Retry(String why) implements Next {}

  /** The round failed {@value #MAX_ATTEMPTS} times. */
  record Failed(String why) implements Next {}

  /** The round completed: the model stepped; {@code committed} is its aggregate's ledger entry being written. */
  record Stepped(int round, Future<Long> committed) implements Next {}

  private final Vertx vertx;
  private final SiteRegistry sites;
  private final ParticipationLedger ledger;
  private final SiteRoster roster;
  private final RoundHistory history;
  private final StudySpec spec;
  private final String id;
  private final UUID uuid;
  private final int parameters;
  private float[] global;
  private AggregationStrategy strategy;
  /** The attempt of the current round (0 before its first). */
  private int attempt;

  Rounds(Vertx vertx, SiteRegistry sites, ParticipationLedger ledger, SiteRoster roster, RoundHistory history,
         StudySpec spec, String id, int parameters) {
    this.vertx = vertx;
    this.sites = sites;
    this.ledger = ledger;
    this.roster = roster;
    this.history = history;
    this.spec = spec;
    this.id = id;
    this.uuid = UUID.fromString(id);
    this.parameters = parameters;
  }

  /** The model to train from (built on a worker thread when the study starts) and the strategy that steps it. */
  void model(float[] model, AggregationStrategy aggregation) {
    this.global = model;
    this.strategy = aggregation;
  }

  /** The global model, or null before the study has started. */
  float[] global() {
    return global;
  }

  /**
   * Starts the next attempt of {@code round} with {@code participants}; {@code ended} hears its outcome, with the
   * phase it was reported for (the study ignores an outcome of a phase it has left).
   */
  StudyPhase.Training start(int round, List<String> participants, Duration deadline,
                            java.util.function.BiConsumer<Integer, RoundOutcome> ended) {
    int number = ++attempt;
    String globalSha256 = Digests.modelSha256(global);
    RoundAttempt.Listener listener = new RoundAttempt.Listener() {
      @Override public void contributed(SiteSession site, Frames.Frame f, String kind) {
        receipt(site, round, ledger.contribution(id, site.siteId(), round, number, globalSha256, f.signedDigest(),
            f.signature(), kind));
        roster.contributed(site.siteId());
      }

      @Override public void ended(RoundOutcome outcome) {
        ended.accept(number, outcome);
      }
    };
    PrivacyPlan.SecureAggregation plan = spec.privacy().secureAggregation();
    RoundAttempt a;
    int threshold = 0;
    if (plan.enabled()) {
      // The threshold is a strict majority of the round's sites, at least minSites and the study's own threshold.
      threshold = plan.thresholdFor(participants.size(), spec.minSites());
      RoundContext context = RoundContext.of(id, round, number, participants).withThreshold(threshold);
      a = new SecureRound(vertx, sites, context, parameters, Math.max(1, roster.rows(participants)), plan.clip(), deadline,
          spec.privacy(), listener);
    } else {
      a = new PlainRound(vertx, sites, id, round, participants, global, spec.minSites(), deadline, listener);
    }
    ledger.roundStarted(id, round, number, participants, globalSha256, plan.enabled(), threshold);
    history.running(a, number);
    log.info("study {}: {} round {} attempt {} started with {}", id, plan.enabled() ? "secure" : "plain", round, number, participants);
    return new StudyPhase.Training(a, number, globalSha256);
  }

  /** Sends the round's global model to its sites (after the study has taken the phase as current). */
  void send(StudyPhase.Training t) {
    int round = t.attempt().round();
    t.attempt().start(Frames.encode(Frames.Kind.GLOBAL_TRAIN, uuid, round, round - 1, 0, Float.NaN, global));
  }

  /** Applies the attempt's outcome: records it, and steps the model (or says the round is retried or has failed). */
  Next apply(StudyPhase.Training t, RoundOutcome outcome) {
    RoundAttempt a = t.attempt();
    Instant now = Instant.now();
    roster.dropped(outcome.dropped());
    outcome.dropped().forEach((site, reason) -> ledger.siteDropped(id, site, a.round(), reason));
    if (outcome instanceof RoundOutcome.Aborted o) {
      log.warn("study {}: round {} aborted: {}", id, a.round(), o.reason());
      ledger.roundAborted(id, a.round(), t.number(), o.reason());
      history.aborted(a, t.number(), o, t.epsilon(), now);
      if (t.number() >= MAX_ATTEMPTS) return new Failed("round " + a.round() + " failed " + t.number() + " times: " + o.reason());
      roster.sitOut(o.dropped().keySet());
      return new Retry("round " + a.round() + " aborted (" + o.reason() + "); its retry waits for enough sites");
    }
    RoundOutcome.Completed done = (RoundOutcome.Completed) outcome;
    done.contributors().forEach(roster::contributed);
    global = strategy.nextGlobal(global, done.meanDelta());
    Future<Long> committed = ledger.aggregateCommitted(id, a.round(), Digests.modelSha256(global), done.contributors(),
        done.samples(), done.secureAggregation() != null, t.epsilon());
    attempt = 0;
    roster.roundCompleted();
    RoundRecord rec = history.completed(a, done, t.epsilon(), now);
    log.info("study {}: round {} aggregated from {} sites ({} samples{}) in {} s", id, a.round(), done.contributors().size(),
        done.samples(), done.secureAggregation() == null ? "" : ", secure", String.format("%.2f", rec.seconds()));
    return new Stepped(a.round(), committed);
  }

  /** Once a contribution is in the ledger, sends the site its receipt (entry, inclusion and consistency proofs). */
  private void receipt(SiteSession s, int round, Future<Long> recorded) {
    recorded.compose(index -> ledger.receipt(id, round, index, s.ledgerTreeSize())).onSuccess(r -> {
      s.send(r);
      s.ledgerTreeSize(SignedTreeHead.parse(r.treeHead()).size());
    }).onFailure(e -> log.warn("study {}: no ledger receipt for {} round {}: {}", id, s.siteId(), round, e.toString()));
  }
}
