package org.dure.coordinator.study;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dure.coordinator.aggregation.RoundAccumulator;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.sites.SiteSession;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A round aggregated in the clear: each participant's signed update is summed as it arrives ({@link RoundAccumulator},
 * memory O(model size)); the round ends when every participant answered or left, or at the deadline.
 */
final class PlainRound implements RoundAttempt {
  private static final Logger log = LoggerFactory.getLogger(PlainRound.class);

  private final Vertx vertx;
  private final SiteRegistry sites;
  private final String studyId;
  private final int round;
  private final int minSites;
  private final float[] global;
  private final Duration deadline;
  private final Listener listener;
  private final List<String> participants;
  private final Set<String> pending;
  private final RoundAccumulator accumulator;
  private final Map<String, Double> trainLoss = new LinkedHashMap<>();
  private final Map<String, String> dropped = new LinkedHashMap<>();
  private final Instant startedAt = Instant.now();
  private long timer = -1;
  private boolean finished;

  /** {@code global} is the model the round trains from; the attempt keeps it unchanged until it ends. */
  PlainRound(Vertx vertx, SiteRegistry sites, String studyId, int round, List<String> participants, float[] global,
             int minSites, Duration deadline, Listener listener) {
    this.vertx = vertx;
    this.sites = sites;
    this.studyId = studyId;
    this.round = round;
    this.participants = List.copyOf(participants);
    this.pending = new LinkedHashSet<>(participants);
    this.global = global;
    this.minSites = minSites;
    this.deadline = deadline;
    this.listener = listener;
    this.accumulator = new RoundAccumulator(global.length);
  }

  @Override public int round() { return round; }

  @Override public List<String> participants() { return participants; }

  @Override public Instant startedAt() { return startedAt; }

  @Override public RoundRecord.SecureAggregation secureAggregation() { return null; }

  @Override public boolean takesPart(String site) { return !finished && pending.contains(site); }

  @Override public void start(byte[] globalFrame) {
    timer = vertx.setTimer(deadline.toMillis(), x -> {
      timer = -1;
      for (String s : pending) dropped.put(s, "no update before the " + deadline.toSeconds() + " s deadline");
      pending.clear();
      maybeFinish();
    });
    for (String s : participants) sites.session(s).ifPresent(x -> x.sendBinary(globalFrame));
  }

  @Override public void siteLeft(String site, String reason) {
    if (finished || !pending.remove(site)) return;
    dropped.put(site, reason);
    maybeFinish();
  }

  @Override public void message(SiteSession site, AgentMessage message) {
    log.debug("study {}: ignoring a secure-aggregation message from {} in a plain round", studyId, site.siteId());
  }

  @Override public void frame(SiteSession s, Frames.Frame frame) {
    String site = s.siteId();
    if (!(frame instanceof Frames.ModelFrame f)) {
      log.info("study {}: ignoring a masked input from {} outside a secure round", studyId, site);
      return;
    }
    if (finished || f.round() != round || !pending.contains(site)) {
      log.info("study {}: ignoring late or unexpected update from {} for round {}", studyId, site, f.round());
      return;
    }
    String problem = SiteStatements.contributionProblem(s, studyId, f);
    if (problem == null && f.modelVersion() != round - 1) {
      dropped.put(site, "update trained from model version " + f.modelVersion() + ", expected " + (round - 1));
    } else if (problem != null) {
      log.warn("study {}: rejected the round {} update from {}: {}", studyId, round, site, problem);
      s.send(new CoordinatorMessage.Refused("update rejected: " + problem));
      dropped.put(site, "update rejected: " + problem);
    } else {
      try {
        accumulator.add(site, f.samples(), f.valuesUnsafe());
        if (Float.isFinite(f.trainLoss())) trainLoss.put(site, (double) f.trainLoss()); // DP sites send none
        listener.contributed(s, f, "plain-update");
      } catch (IllegalArgumentException e) {
        log.warn("study {}: rejected update from {}: {}", studyId, site, e.getMessage());
        s.send(new CoordinatorMessage.Refused("update rejected: " + e.getMessage()));
        dropped.put(site, "update rejected: " + e.getMessage());
      }
    }
    pending.remove(site);
    maybeFinish();
  }

  @Override public void cancel(String reason) {
    finished = true;
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  private void maybeFinish() {
    if (finished || !pending.isEmpty()) return;
    finished = true;
    if (timer >= 0) vertx.cancelTimer(timer);
    if (accumulator.contributors() < minSites) {
      listener.ended(new RoundOutcome.Aborted("only " + accumulator.contributors() + " of at least " + minSites
          + " sites sent an update", dropped, accumulator.samplesBySite(), trainLoss, null));
      return;
    }
    Map<String, Long> samplesBySite = accumulator.samplesBySite();
    listener.ended(new RoundOutcome.Completed(accumulator.weightedMeanDelta(global), List.copyOf(samplesBySite.keySet()),
        accumulator.totalSamples(), samplesBySite, trainLoss, dropped, null));
  }
}
