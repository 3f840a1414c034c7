package org.dure.agent.study;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.dure.agent.identity.SiteIdentity;
import org.dure.crypto.Digests;
import org.dure.crypto.pki.CertificateChecks;
import org.dure.crypto.pki.SiteCertificateException;
import org.dure.crypto.pki.SiteKeys;
import org.dure.crypto.secagg.AdvertiseKeys;
import org.dure.crypto.secagg.MaskedInput;
import org.dure.crypto.secagg.Quantizer;
import org.dure.crypto.secagg.RoundContext;
import org.dure.crypto.secagg.SecAggSite;
import org.dure.crypto.secagg.SecAggVerifier;
import org.dure.crypto.secagg.ShareKeys;
import org.dure.crypto.secagg.UnmaskRequest;
import org.dure.crypto.secagg.UnmaskResponse;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SecAggWire;

/**
 * This site's part in one secure-aggregation attempt of one round: it checks the round the coordinator announced
 * against the study this site approved, advertises signed keys, checks every peer's certificate and signature,
 * and masks its weighted model change so that the coordinator learns only the sum over the surviving sites.
 * Used from the agent's training thread only.
 */
final class SecureContribution {
  private final UUID studyId;
  private final String siteId;
  private final SiteIdentity identity;
  private final RoundContext context;
  private final Quantizer quantizer;
  private final double weight;
  private final SecAggSite protocol;
  /** Peers' certificate keys, filled from the relayed certificates once they check out against the CA. */
  private final Map<String, PublicKey> peerKeys = new TreeMap<>();
  private float[] input;
  private int clipped;
  private byte[] lastSignature;
  /** SHA-256 of the global model this contribution was trained from. */
  private String globalSha256;
  /** Site-level noise this site adds to its clipped model change before masking (off for most studies). */
  private final PrivacyPlan.SiteLevelNoise noise;

  private SecureContribution(UUID studyId, SiteIdentity identity, RoundContext context, double clip, double weight,
                             PrivacyPlan.SiteLevelNoise noise) {
    this.noise = noise;
    this.studyId = studyId;
    this.siteId = identity.siteId();
    this.identity = identity;
    this.context = context;
    this.quantizer = new Quantizer(clip, context.size());
    this.weight = weight;
    String study = studyId.toString();
    int round = (int) context.round();
    this.protocol = new SecAggSite(context, siteId,
        message -> identity.sign(Purpose.SECAGG_KEYS, study, round, Digests.sha256(message)),
        SecAggVerifier.siteSignatures(peerKeys::get, study, round));
  }

  /**
   * Checks an announced round against what this site approved and builds its contribution.
   *
   * @throws IllegalArgumentException naming the rule the announcement breaks (the site then sits the round out)
   */
  static SecureContribution accept(UUID studyId, StudySpec spec, long trainRows, SiteIdentity identity,
                                   CoordinatorMessage.SecAggStart start) {
    PrivacyPlan.SecureAggregation plan = spec.privacy().secureAggregation();
    if (!plan.enabled()) throw new IllegalArgumentException("the study this site approved does not use secure aggregation");
    int n = start.roster().size();
    RoundContext context = new RoundContext(studyId.toString(), start.round(), start.attempt(), start.roster(),
        start.threshold(), start.neighbours());
    if (!context.contains(identity.siteId())) throw new IllegalArgumentException("this site is not in the round's roster");
    int needed = plan.thresholdFor(n, spec.minSites());
    if (start.threshold() < needed) {
      throw new IllegalArgumentException("the coordinator announced threshold " + start.threshold() + " for " + n
          + " sites, below the " + needed + " the approved study requires");
    }
    if (context.neighbours() < RoundContext.defaultNeighbours(n)) {
      throw new IllegalArgumentException("the coordinator announced " + context.neighbours() + " mask neighbours for "
          + n + " sites, fewer than the " + RoundContext.defaultNeighbours(n) + " this site requires");
    }
    if (Double.compare(start.clip(), plan.clip()) != 0) {
      throw new IllegalArgumentException("the coordinator announced clip " + start.clip() + ", the approved study says "
          + plan.clip());
    }
    if (start.totalSamples() < trainRows || trainRows < 1) {
      throw new IllegalArgumentException("the announced total of " + start.totalSamples()
          + " training rows is less than this site's " + trainRows + "; the weights would overflow");
    }
    PrivacyPlan.SiteLevelNoise noise = spec.privacy().siteLevelNoise();
    if (!noise.enabled()) {
      return new SecureContribution(studyId, identity, context, plan.clip(), trainRows / (double) start.totalSamples(), noise);
    }
    // Site-level noise: this site's share, sd z*S/sqrt(t), must survive the element clip of the encoding.
    double sd = noiseStandardDeviation(noise, start.threshold());
    if (noise.clipNorm() + 6 * sd > plan.clip()) {
      throw new IllegalArgumentException("site-level noise (clipNorm " + noise.clipNorm() + ", noise sd " + String.format(
          java.util.Locale.ROOT, "%.4g", sd) + " per element) would be cut by the study's secure-aggregation clip " + plan.clip()
          + "; the study must raise privacy.secureAggregation.clip above clipNorm + 6 sd");
    }
    // uniform weights: rows would tell the coordinator each site's size, and one site's influence must be bounded
    return new SecureContribution(studyId, identity, context, plan.clip(), 1.0 / n, noise);
  }

  /** The standard deviation of the noise each site adds: any t survivors together add sd z*S. */
  static double noiseStandardDeviation(PrivacyPlan.SiteLevelNoise noise, int threshold) {
    return org.dure.agent.chain.ClipNoiseFilter.noiseStandardDeviation(noise, threshold);
  }

  boolean isFor(SecAggWire.Addressed m) {
    return m.studyId().equals(studyId.toString()) && m.round() == context.round() && m.attempt() == context.attempt();
  }

  boolean isFor(int round) {
    return round == context.round();
  }

  int round() {
    return (int) context.round();
  }

  /** Stage 1: fresh signed keys. */
  AgentMessage.SecAggKeys keys() {
    AdvertiseKeys k = protocol.advertiseKeys();
    return new AgentMessage.SecAggKeys(studyId.toString(), round(), context.attempt(), k.cPublicKey(), k.sPublicKey(),
        k.signature());
  }

  /**
   * The locally trained model change and training loss, once training is done. With site-level noise the change
   * is clipped to L2 norm S, gets this site's share of the Gaussian noise, and the training loss is not sent.
   */
  void trained(float[] global, String globalSha256, float[] trainedParameters, double meanLoss,
               org.dure.agent.chain.PrivacyChain chain) {
    this.globalSha256 = globalSha256;
    float[] x = new float[global.length + 1];
    for (int i = 0; i < global.length; i++) x[i] = trainedParameters[i] - global[i];
    if (noise.enabled()) {
      chain.addSiteNoise(studyId.toString(), round(), x, global.length, noise, context.threshold());
      meanLoss = 0;
    }
    int over = 0;
    double clip = quantizer.clip();
    for (int i = 0; i < global.length; i++) if (Math.abs(x[i]) > clip) over++;
    x[global.length] = (float) meanLoss;
    clipped = over;
    input = x;
  }

  boolean hasInput() {
    return input != null;
  }

  /** Model-change elements beyond the clip (they are clipped before encoding). */
  int clippedElements() {
    return clipped;
  }

  /**
   * Stage 2: checks each peer's certificate against the consortium CA (it must name that peer) so its key
   * signature can be verified, then encrypts this site's shares for its neighbours.
   *
   * @throws IllegalArgumentException when a relayed certificate does not check out
   */
  AgentMessage.SecAggShares shares(CoordinatorMessage.SecAggPeers peers) {
    List<AdvertiseKeys> ads = new ArrayList<>();
    Instant now = Instant.now();
    for (SecAggWire.PeerKeys p : peers.peers()) {
      X509Certificate cert;
      try {
        cert = SiteKeys.readCertificate(p.certificate());
        String named = CertificateChecks.validatePeer(cert, identity.caCertificate(), now);
        if (!named.equals(p.siteId())) {
          throw new IllegalArgumentException("the certificate relayed for " + p.siteId() + " names " + named);
        }
      } catch (SiteCertificateException | RuntimeException e) {
        throw new IllegalArgumentException("the certificate relayed for site " + p.siteId() + " does not check out: "
            + e.getMessage(), e);
      }
      peerKeys.put(p.siteId(), cert.getPublicKey());
      ads.add(new AdvertiseKeys(p.siteId(), p.cPublicKey(), p.sPublicKey(), p.signature()));
    }
    ShareKeys shares = protocol.shareKeys(ads);
    return new AgentMessage.SecAggShares(studyId.toString(), round(), context.attempt(),
        shares.shares().stream().map(SecAggWire.Share::of).toList());
  }

  /** Stage 3: the signed masked-input frame. */
  byte[] maskedFrame(CoordinatorMessage.SecAggInbox inbox) {
    int[] encoded = quantizer.encodeWithWeight(input, weight);
    MaskedInput masked = protocol.maskedInput(inbox.shares().stream().map(SecAggWire.Share::toShare).toList(), encoded);
    byte[] frame = Frames.encodeMasked(studyId, round(), round() - 1, context.attempt(), masked.masked());
    byte[] signature = identity.sign(Purpose.CONTRIBUTION, studyId.toString(), round(), Frames.signedDigest(frame));
    lastSignature = signature;
    input = null;
    return Frames.withSignature(frame, signature);
  }

  /** SHA-256 of the global model this contribution was trained from (null before training). */
  String globalSha256() {
    return globalSha256;
  }

  /** The contribution signature of the masked frame this site sent (null before). */
  byte[] signature() {
    return lastSignature == null ? null : lastSignature.clone();
  }

  /** Stage 4: this site's shares for the unmask request (refused if unsafe). */
  AgentMessage.SecAggReveal reveal(CoordinatorMessage.SecAggUnmask request) {
    UnmaskResponse r = protocol.unmask(new UnmaskRequest(request.survivors(), request.dropped()));
    return new AgentMessage.SecAggReveal(studyId.toString(), round(), context.attempt(),
        r.shares().stream().map(SecAggWire.Revealed::of).toList());
  }
}
