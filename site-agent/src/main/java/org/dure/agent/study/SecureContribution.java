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
  /** Where this contribution is in its attempt; each state holds what that stage has (nothing is null). */
  private State state = new Announced();
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
   * Builds this site's contribution to an announced attempt, which the privacy chain already checked against the
   * approved study ({@link org.dure.agent.chain.PrivacyChain#secureRoundRefusal}).
   *
   * @throws IllegalArgumentException when the announcement does not make a round (the site then sits it out)
   */
  static SecureContribution accept(UUID studyId, StudySpec spec, long trainRows, SiteIdentity identity,
                                   CoordinatorMessage.SecAggStart start) {
    PrivacyPlan.SecureAggregation plan = spec.privacy().secureAggregation();
    RoundContext context = new RoundContext(studyId.toString(), start.round(), start.attempt(), start.roster(),
        start.threshold(), start.neighbours());
    PrivacyPlan.SiteLevelNoise noise = spec.privacy().siteLevelNoise();
    // With site-level noise, uniform weights: rows would tell the coordinator each site's size, and one site's
    // influence must be bounded.
    double weight = noise.enabled() ? 1.0 / start.roster().size() : trainRows / (double) start.totalSamples();
    return new SecureContribution(studyId, identity, context, plan.clip(), weight, noise);
  }

  /** The stages of one contribution, in order: keys advertised, trained, masked input sent, shares revealed. */
  enum Stage { ANNOUNCED, TRAINED, MASKED, REVEALED }

  /** What the contribution holds at each {@link Stage}. */
  private sealed interface State permits Announced, Trained, Masked, Revealed {
    Stage stage();
  }

  /** Keys advertised; waiting for the locally trained model change. */
  private record Announced() implements State {
    @Override public Stage stage() {
      return Stage.ANNOUNCED;
    }
  }

  /**
   * Trained: the input to mask (the model change, then the loss) and how many of its elements exceed the clip.
   *
   * @param globalSha256 SHA-256 of the global model this contribution was trained from
   */
  private record Trained(float[] input, int clipped, String globalSha256) implements State {
    @Override public Stage stage() {
      return Stage.TRAINED;
    }
  }

  /** The masked input was sent, under this contribution signature; the input itself is gone. */
  private record Masked(String globalSha256, byte[] signature) implements State {
    @Override public Stage stage() {
      return Stage.MASKED;
    }
  }

  /** This site's shares for the unmask request were given out: the attempt is over for this site. */
  private record Revealed(String globalSha256, byte[] signature) implements State {
    @Override public Stage stage() {
      return Stage.REVEALED;
    }
  }

  Stage stage() {
    return state.stage();
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
    state = new Trained(x, over, globalSha256);
  }

  boolean hasInput() {
    return state instanceof Trained;
  }

  /** Model-change elements beyond the clip (they are clipped before encoding); 0 before training. */
  int clippedElements() {
    return state instanceof Trained t ? t.clipped() : 0;
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
    if (!(state instanceof Trained t)) throw new IllegalStateException("no trained update to mask (" + stage() + ")");
    int[] encoded = quantizer.encodeWithWeight(t.input(), weight);
    MaskedInput masked = protocol.maskedInput(inbox.shares().stream().map(SecAggWire.Share::toShare).toList(), encoded);
    byte[] frame = Frames.encodeMasked(studyId, round(), round() - 1, context.attempt(), masked.masked());
    byte[] signature = identity.sign(Purpose.CONTRIBUTION, studyId.toString(), round(), Frames.signedDigest(frame));
    state = new Masked(t.globalSha256(), signature);
    return Frames.withSignature(frame, signature);
  }

  /** SHA-256 of the global model this contribution was trained from (null before training). */
  String globalSha256() {
    return state instanceof Trained t ? t.globalSha256() : state instanceof Masked m ? m.globalSha256()
        : state instanceof Revealed r ? r.globalSha256() : null;
  }

  /** The contribution signature of the masked frame this site sent (null before). */
  byte[] signature() {
    return state instanceof Masked m ? m.signature().clone() : state instanceof Revealed r ? r.signature().clone() : null;
  }

  /** Stage 4: this site's shares for the unmask request (refused if unsafe). */
  AgentMessage.SecAggReveal reveal(CoordinatorMessage.SecAggUnmask request) {
    UnmaskResponse r = protocol.unmask(new UnmaskRequest(request.survivors(), request.dropped()));
    if (state instanceof Masked m) state = new Revealed(m.globalSha256(), m.signature());
    return new AgentMessage.SecAggReveal(studyId.toString(), round(), context.attempt(),
        r.shares().stream().map(SecAggWire.Revealed::of).toList());
  }
}
