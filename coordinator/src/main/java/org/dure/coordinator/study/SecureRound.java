package org.dure.coordinator.study;

import io.vertx.core.Vertx;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.sites.SiteSession;
import org.dure.crypto.pki.SiteKeys;
import org.dure.crypto.secagg.AdvertiseKeys;
import org.dure.crypto.secagg.EncryptedShare;
import org.dure.crypto.secagg.MaskedInput;
import org.dure.crypto.secagg.Quantizer;
import org.dure.crypto.secagg.RoundContext;
import org.dure.crypto.secagg.SecAggCoordinator;
import org.dure.crypto.secagg.SecAggException;
import org.dure.crypto.secagg.SecAggVerifier;
import org.dure.crypto.secagg.ShareKeys;
import org.dure.crypto.secagg.Step;
import org.dure.crypto.secagg.UnmaskRequest;
import org.dure.crypto.secagg.UnmaskResponse;
import org.dure.crypto.secagg.UnmaskedSum;
import org.dure.protocol.privacy.RdpAccountant;
import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SecAggWire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One secure-aggregation attempt of a training round over the agent channel, on the coordinator's event loop.
 * It relays keys and encrypted shares, sums masked inputs as they arrive ({@link SecAggCoordinator}: memory
 * O(model size)) and unmasks the sum on a worker thread. Each stage closes when every site expected at it has
 * answered, left, or been refused, or when the stage deadline passes; fewer than {@code t} survivors abort the
 * attempt without revealing anything.
 *
 * <p>Sites encode {@code [trained - global, training loss]} weighted by {@code trainRows / totalSamples}, plus
 * the weight itself as the last element, so the result is the survivors' sample-weighted mean model change and
 * training loss, and their total sample count — never any one site's.
 */
final class SecureRound implements RoundAttempt {
  private static final Logger log = LoggerFactory.getLogger(SecureRound.class);

  private final Vertx vertx;
  private final SiteRegistry sites;
  private final RoundContext context;
  private final String studyId;
  private final int round;
  private final int parameters;
  private final long totalSamples;
  private final Quantizer quantizer;
  private final Duration deadline;
  private final double clip;
  private final PrivacyPlan privacy;
  private final Listener listener;
  private final Instant startedAt = Instant.now();
  private final SecAggCoordinator protocol;
  /** Certificates of the sites in the roster, as presented on their connections when the round started. */
  private final Map<String, X509Certificate> certificates = new TreeMap<>();
  private final Map<String, String> dropped = new LinkedHashMap<>();
  private final Set<String> pending = new LinkedHashSet<>();
  /** Sites that left the attempt (disconnected, failed, withdrew): no later stage waits for them. */
  private final Map<String, String> left = new LinkedHashMap<>();
  private long timer = -1;
  private boolean finished;
  /** The study ended: an unmasking still running on a worker thread reports nothing. */
  private boolean cancelled;
  /** The stage open now (its metric label) and when it opened, for {@code dure_secagg_stage_duration_seconds}. */
  private String stageLabel;
  private long stageOpened;
  private final org.dure.coordinator.metrics.CoordinatorMetrics metrics;

  /**
   * {@code totalSamples} (the participants' accepted rows) scales the sites' weights; {@code privacy} says what the
   * aggregate may reveal (no rows or loss with site-level noise, no loss with DP-SGD).
   */
  SecureRound(Vertx vertx, SiteRegistry sites, RoundContext context, int parameters, long totalSamples, double clip,
              Duration deadline, PrivacyPlan privacy, Listener listener) {
    this.listener = listener;
    this.clip = clip;
    this.privacy = privacy;
    this.vertx = vertx;
    this.sites = sites;
    this.context = context;
    this.studyId = context.studyId();
    this.round = (int) context.round();
    this.parameters = parameters;
    this.totalSamples = totalSamples;
    this.quantizer = new Quantizer(clip, context.size());
    this.deadline = deadline;
    this.metrics = sites.metrics();
    for (String s : context.roster()) sites.session(s).ifPresent(x -> certificates.put(s, x.certificate()));
    SecAggVerifier verifier = SecAggVerifier.siteSignatures(this::keyOf, studyId, round);
    this.protocol = new SecAggCoordinator(context, parameters + 2, verifier);
  }

  RoundContext context() {
    return context;
  }

  @Override public int round() { return round; }

  @Override public List<String> participants() { return context.roster(); }

  @Override public Instant startedAt() { return startedAt; }

  @Override public RoundRecord.SecureAggregation secureAggregation() {
    return new RoundRecord.SecureAggregation(context.threshold(), context.neighbours(), List.of(), 0, Double.NaN);
  }

  @Override public boolean takesPart(String site) {
    return context.roster().contains(site) && !left.containsKey(site);
  }

  /** Announces the round and sends the global model to every roster site; opens stage 1 (keys). */
  @Override public void start(byte[] globalFrame) {
    CoordinatorMessage.SecAggStart start = new CoordinatorMessage.SecAggStart(studyId, round, context.attempt(),
        context.roster(), context.threshold(), context.neighbours(), totalSamples, clip);
    String startJson = org.dure.protocol.wire.WireJson.write(start);
    for (String s : context.roster()) {
      sites.session(s).ifPresent(x -> {
        x.sendJson(startJson);
        x.sendBinary(globalFrame);
      });
    }
    open(context.roster(), "keys");
  }

  // ------------------------------------------------------------------------------------------------ site input

  @Override public void message(SiteSession s, AgentMessage m) {
    if (finished || !(m instanceof SecAggWire.Addressed a)) return;
    String site = s.siteId();
    if (a.round() != round || a.attempt() != context.attempt()) {
      log.debug("study {}: ignoring a secure-aggregation message from {} for round {} attempt {}", studyId, site,
          a.round(), a.attempt());
      return;
    }
    if (!pending.contains(site)) return;
    try {
      if (m instanceof AgentMessage.SecAggKeys k) {
        protocol.acceptKeys(new AdvertiseKeys(site, k.cPublicKey(), k.sPublicKey(), k.signature()));
      } else if (m instanceof AgentMessage.SecAggShares sh) {
        List<EncryptedShare> shares = sh.shares().stream().map(SecAggWire.Share::toShare).toList();
        protocol.acceptShares(new ShareKeys(site, shares));
      } else if (m instanceof AgentMessage.SecAggReveal r) {
        protocol.acceptUnmaskResponse(new UnmaskResponse(site, r.shares().stream().map(SecAggWire.Revealed::toShare).toList()));
      } else {
        return;
      }
    } catch (SecAggException | IllegalArgumentException | IllegalStateException | NullPointerException e) {
      refuse(s, e.getMessage());
      return;
    }
    answered(site);
  }

  @Override public void frame(SiteSession s, Frames.Frame frame) {
    String site = s.siteId();
    if (!(frame instanceof Frames.MaskedFrame f)) {
      s.send(new CoordinatorMessage.Refused("study " + studyId + " uses secure aggregation: a plain update is refused and discarded"));
      siteLeft(site, "sent a plain update to a secure round");
      return;
    }
    if (finished) return;
    if (f.round() != round || f.attempt() != context.attempt() || !pending.contains(site)) {
      log.info("study {}: ignoring a late or unexpected masked input from {} (round {} attempt {})", studyId, site,
          f.round(), f.attempt());
      return;
    }
    if (protocol.stage() != SecAggCoordinator.Stage.COLLECTING_MASKED_INPUTS) return;
    try {
      String problem = SiteStatements.contributionProblem(s, studyId, f);
      if (problem != null) throw new IllegalArgumentException(problem);
      if (f.modelVersion() != round - 1) {
        throw new IllegalArgumentException("masked input trained from model version " + f.modelVersion() + ", expected "
            + (round - 1));
      }
      protocol.acceptMaskedInput(new MaskedInput(site, f.masked()));
      listener.contributed(s, f, "masked-input");
    } catch (SecAggException | IllegalArgumentException e) {
      refuse(s, e.getMessage());
      return;
    }
    answered(site);
  }

  /** A site disconnected, withdrew or failed its training: it answers no further stage. */
  @Override public void siteLeft(String site, String reason) {
    left.putIfAbsent(site, reason);
    if (finished || !pending.remove(site)) return;
    dropped.putIfAbsent(site, reason + " (" + stageName() + " stage)");
    maybeClose();
  }

  /** Stops the attempt (study stopped); the sites are told to forget it. */
  @Override public void cancel(String reason) {
    cancelled = true;
    if (finished) return;
    stageLabel = null; // a stopped study's stage is not a measurement
    finished = true;
    if (timer >= 0) vertx.cancelTimer(timer);
    tellAll(new CoordinatorMessage.SecAggAbort(studyId, round, context.attempt(), reason));
  }

  // ------------------------------------------------------------------------------------------------ stages

  private void open(java.util.Collection<String> expected, String what) {
    stageClosed(true);
    stageLabel = what.replace(' ', '_');
    stageOpened = System.nanoTime();
    pending.clear();
    for (String s : expected) {
      if (left.containsKey(s)) dropped.putIfAbsent(s, left.get(s) + " (before the " + what + " stage)");
      else if (sites.session(s).isPresent()) pending.add(s);
      else dropped.putIfAbsent(s, "offline at the " + what + " stage");
    }
    if (timer >= 0) vertx.cancelTimer(timer);
    timer = vertx.setTimer(deadline.toMillis(), x -> {
      timer = -1;
      for (String s : pending) dropped.putIfAbsent(s, "no answer before the " + deadline.toSeconds() + " s deadline ("
          + stageName() + " stage)");
      pending.clear();
      maybeClose();
    });
    maybeClose();
  }

  /** Records the stage that was open, if any, as proceeded or aborted. */
  private void stageClosed(boolean proceeded) {
    if (stageLabel != null) metrics.secAggStage(stageLabel, proceeded, System.nanoTime() - stageOpened);
    stageLabel = null;
  }

  private void answered(String site) {
    pending.remove(site);
    maybeClose();
  }

  private void refuse(SiteSession s, String why) {
    String site = s.siteId();
    log.warn("study {}: round {} attempt {}: refused {}'s {} input: {}", studyId, round, context.attempt(), site,
        stageName(), why);
    s.send(new CoordinatorMessage.Refused("secure aggregation input refused: " + why));
    dropped.putIfAbsent(site, "input refused at the " + stageName() + " stage: " + why);
    pending.remove(site);
    maybeClose();
  }

  private void maybeClose() {
    if (finished || !pending.isEmpty()) return;
    switch (protocol.stage()) {
      case COLLECTING_KEYS -> {
        Step<List<AdvertiseKeys>> step = protocol.closeKeyAdvertisement();
        if (step instanceof Step.Proceed<List<AdvertiseKeys>> p) {
          List<SecAggWire.PeerKeys> peers = new ArrayList<>();
          List<String> u1 = new ArrayList<>();
          for (AdvertiseKeys k : p.value()) {
            u1.add(k.siteId());
            peers.add(new SecAggWire.PeerKeys(k.siteId(), SiteKeys.certificatePem(certificates.get(k.siteId())),
                k.cPublicKey(), k.sPublicKey(), k.signature()));
          }
          CoordinatorMessage.SecAggPeers msg = new CoordinatorMessage.SecAggPeers(studyId, round, context.attempt(), peers);
          String json = org.dure.protocol.wire.WireJson.write(msg); // O(n) long: written once, not once per site
          for (String s : u1) sites.session(s).ifPresent(x -> x.sendJson(json));
          open(u1, "shares");
        } else {
          abort(step);
        }
      }
      case COLLECTING_SHARES -> {
        Step<Map<String, List<EncryptedShare>>> step = protocol.closeShareExchange();
        if (step instanceof Step.Proceed<Map<String, List<EncryptedShare>>> p) {
          p.value().forEach((site, inbox) -> sites.session(site).ifPresent(x -> x.send(new CoordinatorMessage.SecAggInbox(
              studyId, round, context.attempt(), inbox.stream().map(SecAggWire.Share::of).toList()))));
          open(p.value().keySet(), "masked input");
        } else {
          abort(step);
        }
      }
      case COLLECTING_MASKED_INPUTS -> {
        Step<UnmaskRequest> step = protocol.closeMaskedInputs();
        if (step instanceof Step.Proceed<UnmaskRequest> p) {
          UnmaskRequest req = p.value();
          CoordinatorMessage.SecAggUnmask msg = new CoordinatorMessage.SecAggUnmask(studyId, round, context.attempt(),
              req.survivors(), req.dropped());
          String json = org.dure.protocol.wire.WireJson.write(msg);
          for (String s : req.survivors()) sites.session(s).ifPresent(x -> x.sendJson(json));
          open(req.survivors(), "unmasking");
        } else {
          abort(step);
        }
      }
      case COLLECTING_UNMASK_RESPONSES -> unmask();
      default -> { }
    }
  }

  /** Stage 4 closed: removes the masks on a worker thread (it expands one AES-CTR stream per remaining mask). */
  private void unmask() {
    if (timer >= 0) vertx.cancelTimer(timer);
    timer = -1;
    finished = true;
    vertx.executeBlocking(protocol::closeUnmasking, false).onComplete(ar -> {
      if (cancelled) return;
      stageClosed(ar.succeeded() && ar.result() instanceof Step.Proceed);
      if (ar.failed()) {
        aborted("unmasking failed: " + ar.cause().getMessage());
        return;
      }
      Step<UnmaskedSum> step = ar.result();
      if (step instanceof Step.Abort<UnmaskedSum> a) {
        tellAll(new CoordinatorMessage.SecAggAbort(studyId, round, context.attempt(), a.reason()));
        aborted(a.reason());
        return;
      }
      UnmaskedSum sum = ((Step.Proceed<UnmaskedSum>) step).value();
      Quantizer.WeightedSum ws = quantizer.decodeWithWeight(sum.sum());
      float[] mean = ws.mean();
      double[] delta = new double[parameters];
      for (int i = 0; i < parameters; i++) delta[i] = mean[i];
      for (String s : sum.dropped()) dropped.putIfAbsent(s, "dropped before sending its masked input");
      // With site-level noise sites weigh uniformly and send no loss; with DP-SGD they send no loss (it would leave
      // un-noised): then the decoded weights are not rows and the decoded loss is not a loss.
      PrivacyPlan.SiteLevelNoise noise = privacy.siteLevelNoise();
      long samples = noise.enabled() ? 0 : Math.round(ws.totalWeight() * totalSamples);
      double loss = noise.enabled() || privacy.differentialPrivacy().enabled() ? Double.NaN : mean[parameters];
      Double siteLevelEpsilon = noise.enabled()
          ? RdpAccountant.opacusDefaults().privacySpent(1.0, noise.noiseMultiplier(), round, noise.delta()).epsilon() : null;
      listener.ended(new RoundOutcome.Completed(delta, sum.survivors(), samples, Map.of(), Map.of(), dropped,
          new RoundRecord.SecureAggregation(context.threshold(), context.neighbours(), sum.survivors(), samples, loss,
              siteLevelEpsilon)));
    });
  }

  private void aborted(String reason) {
    listener.ended(new RoundOutcome.Aborted(reason, dropped, Map.of(), Map.of(), secureAggregation()));
  }

  private void abort(Step<?> step) {
    Step.Abort<?> a = (Step.Abort<?>) step;
    stageClosed(false);
    finished = true;
    if (timer >= 0) vertx.cancelTimer(timer);
    tellAll(new CoordinatorMessage.SecAggAbort(studyId, round, context.attempt(), a.reason()));
    aborted(a.reason());
  }

  private void tellAll(CoordinatorMessage m) {
    String json = org.dure.protocol.wire.WireJson.write(m);
    for (String s : context.roster()) sites.session(s).ifPresent(x -> x.sendJson(json));
  }

  private String stageName() {
    return switch (protocol.stage()) {
      case COLLECTING_KEYS -> "key advertisement";
      case COLLECTING_SHARES -> "share exchange";
      case COLLECTING_MASKED_INPUTS -> "masked input";
      case COLLECTING_UNMASK_RESPONSES -> "unmasking";
      case COMPLETED, ABORTED -> "closed";
    };
  }

  private PublicKey keyOf(String site) {
    X509Certificate c = certificates.get(site);
    return c == null ? null : c.getPublicKey();
  }
}
