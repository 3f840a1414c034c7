package org.dure.coordinator.study;

import io.vertx.core.Vertx;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
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
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.crypto.sign.SiteSignatures;
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
final class SecureRound {
  private static final Logger log = LoggerFactory.getLogger(SecureRound.class);

  /** What the attempt ended with. */
  sealed interface Outcome permits Completed, Aborted {}

  /**
   * @param meanDelta the survivors' sample-weighted mean of (trained - global)
   * @param meanLoss their sample-weighted mean training loss
   * @param survivorSamples their total training rows (from the masked weights)
   */
  record Completed(float[] meanDelta, double meanLoss, long survivorSamples, List<String> survivors,
                   Map<String, String> dropped) implements Outcome {}

  record Aborted(String stage, String reason, Map<String, String> dropped) implements Outcome {}

  private final Vertx vertx;
  private final SiteRegistry sites;
  private final RoundContext context;
  private final String studyId;
  private final int round;
  private final int parameters;
  private final long totalSamples;
  private final Quantizer quantizer;
  private final Duration deadline;
  private final java.util.function.Consumer<Outcome> done;
  private final java.util.function.BiConsumer<String, Frames.MaskedFrame> accepted;
  private final SecAggCoordinator protocol;
  /** Certificates of the sites in the roster, as presented on their connections when the round started. */
  private final Map<String, X509Certificate> certificates = new TreeMap<>();
  private final Map<String, String> dropped = new LinkedHashMap<>();
  private final Set<String> pending = new LinkedHashSet<>();
  /** Sites that left the attempt (disconnected, failed, withdrew): no later stage waits for them. */
  private final Map<String, String> left = new LinkedHashMap<>();
  private long timer = -1;
  private boolean finished;
  /** The stage open now (its metric label) and when it opened, for {@code dure_secagg_stage_duration_seconds}. */
  private String stageLabel;
  private long stageOpened;
  private final org.dure.coordinator.metrics.CoordinatorMetrics metrics;

  SecureRound(Vertx vertx, SiteRegistry sites, RoundContext context, int parameters, long totalSamples, double clip,
              Duration deadline, java.util.function.Consumer<Outcome> done,
              java.util.function.BiConsumer<String, Frames.MaskedFrame> accepted) {
    this.accepted = accepted;
    this.vertx = vertx;
    this.sites = sites;
    this.context = context;
    this.studyId = context.studyId();
    this.round = (int) context.round();
    this.parameters = parameters;
    this.totalSamples = totalSamples;
    this.quantizer = new Quantizer(clip, context.size());
    this.deadline = deadline;
    this.done = done;
    this.metrics = sites.metrics();
    for (String s : context.roster()) sites.session(s).ifPresent(x -> certificates.put(s, x.certificate()));
    SecAggVerifier verifier = SecAggVerifier.siteSignatures(this::keyOf, studyId, round);
    this.protocol = new SecAggCoordinator(context, parameters + 2, verifier);
  }

  RoundContext context() {
    return context;
  }

  /** Announces the round and sends the global model to every roster site; opens stage 1 (keys). */
  void start(byte[] globalFrame, double clip) {
    CoordinatorMessage.SecAggStart start = new CoordinatorMessage.SecAggStart(studyId, round, context.attempt(),
        context.roster(), context.threshold(), context.neighbours(), totalSamples, clip);
    for (String s : context.roster()) {
      sites.session(s).ifPresent(x -> {
        x.send(start);
        x.sendBinary(globalFrame);
      });
    }
    open(context.roster(), "keys");
  }

  // ------------------------------------------------------------------------------------------------ site input

  void message(SiteSession s, AgentMessage m) {
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

  void masked(SiteSession s, Frames.MaskedFrame f) {
    if (finished) return;
    String site = s.siteId();
    if (f.round() != round || f.attempt() != context.attempt() || !pending.contains(site)) {
      log.info("study {}: ignoring a late or unexpected masked input from {} (round {} attempt {})", studyId, site,
          f.round(), f.attempt());
      return;
    }
    if (protocol.stage() != SecAggCoordinator.Stage.COLLECTING_MASKED_INPUTS) return;
    try {
      SiteSignatures.verify(s.publicKey(), Purpose.CONTRIBUTION, site, studyId, round, f.signedDigest(), f.signature());
      if (f.modelVersion() != round - 1) {
        throw new IllegalArgumentException("masked input trained from model version " + f.modelVersion() + ", expected "
            + (round - 1));
      }
      protocol.acceptMaskedInput(new MaskedInput(site, f.masked()));
      accepted.accept(site, f);
    } catch (SiteSignatures.SignatureRejected | SecAggException | IllegalArgumentException e) {
      refuse(s, e.getMessage());
      return;
    }
    answered(site);
  }

  /** A site disconnected or failed its training: it answers no further stage. */
  void siteLeft(String site, String reason) {
    left.putIfAbsent(site, reason);
    if (finished || !pending.remove(site)) return;
    dropped.putIfAbsent(site, reason + " (" + stageName() + " stage)");
    maybeClose();
  }

  /** Stops the attempt (study stopped); the sites are told to forget it. */
  void cancel(String reason) {
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
          for (String s : u1) sites.session(s).ifPresent(x -> x.send(msg));
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
          for (String s : req.survivors()) sites.session(s).ifPresent(x -> x.send(msg));
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
      stageClosed(ar.succeeded() && ar.result() instanceof Step.Proceed);
      if (ar.failed()) {
        done.accept(new Aborted("unmasking", "unmasking failed: " + ar.cause().getMessage(), Map.copyOf(dropped)));
        return;
      }
      Step<UnmaskedSum> step = ar.result();
      if (step instanceof Step.Abort<UnmaskedSum> a) {
        tellAll(new CoordinatorMessage.SecAggAbort(studyId, round, context.attempt(), a.reason()));
        done.accept(new Aborted("unmasking", a.reason(), Map.copyOf(dropped)));
        return;
      }
      UnmaskedSum sum = ((Step.Proceed<UnmaskedSum>) step).value();
      Quantizer.WeightedSum ws = quantizer.decodeWithWeight(sum.sum());
      float[] mean = ws.mean();
      float[] delta = java.util.Arrays.copyOf(mean, parameters);
      long samples = Math.round(ws.totalWeight() * totalSamples);
      for (String s : sum.dropped()) dropped.putIfAbsent(s, "dropped before sending its masked input");
      done.accept(new Completed(delta, mean[parameters], samples, sum.survivors(), Map.copyOf(dropped)));
    });
  }

  private void abort(Step<?> step) {
    Step.Abort<?> a = (Step.Abort<?>) step;
    stageClosed(false);
    finished = true;
    if (timer >= 0) vertx.cancelTimer(timer);
    tellAll(new CoordinatorMessage.SecAggAbort(studyId, round, context.attempt(), a.reason()));
    done.accept(new Aborted(a.stage().name(), a.reason(), Map.copyOf(dropped)));
  }

  private void tellAll(CoordinatorMessage m) {
    for (String s : context.roster()) sites.session(s).ifPresent(x -> x.send(m));
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
