package org.dure.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.dure.agent.data.CsvSource;
import org.dure.agent.data.LocalData;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.ledger.ReceiptChecker;
import org.dure.agent.policy.LocalPolicy;
import org.dure.agent.policy.StudyDecisions;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.agent.study.StudyWork;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.security.CoordinatorPki;
import org.dure.crypto.pki.SiteKeys;
import org.dure.crypto.secagg.AdvertiseKeys;
import org.dure.crypto.secagg.EncryptedShare;
import org.dure.crypto.secagg.MaskedInput;
import org.dure.crypto.secagg.Quantizer;
import org.dure.crypto.secagg.RoundContext;
import org.dure.crypto.secagg.SecAggCoordinator;
import org.dure.crypto.secagg.SecAggVerifier;
import org.dure.crypto.secagg.ShareKeys;
import org.dure.crypto.secagg.Step;
import org.dure.crypto.secagg.UnmaskRequest;
import org.dure.crypto.secagg.UnmaskResponse;
import org.dure.crypto.secagg.UnmaskedSum;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SecAggWire;
import org.dure.protocol.wire.SiteStatistics;
import org.dure.testing.LocalConsortium;
import org.dure.testing.TestConsortium;

/**
 * A malicious coordinator, scripted by a test, against real site agents' study work ({@link StudyWork}: real site
 * identities from a real consortium PKI, real ND4J training, real secure-aggregation cryptography, a real participation
 * ledger signed with the coordinator's key for receipts). It speaks the protocol message by message, so a test can
 * deviate from it wherever an attacker would: rerun a round, send a crafted model, a crafted scaling, withhold receipts.
 */
final class HostileCoordinator implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(60);

  final Path dir;
  final LocalConsortium pki;
  final ParticipationLedger ledger;
  final String studyId = UUID.randomUUID().toString();
  final UUID uuid = UUID.fromString(studyId);
  final String specJson;
  final StudySpec spec;
  final Map<String, Site> sites = new LinkedHashMap<>();
  final Map<String, Path> csv = new LinkedHashMap<>();
  /** Whether contributions get their ledger receipts (an honest coordinator's behaviour). */
  boolean sendReceipts = true;
  /** Sites whose masked input the coordinator ignores, to claim at unmasking that they dropped out. */
  final java.util.Set<String> ignoreMaskedFrom = new java.util.HashSet<>();

  /** One site: its study work and everything it sent. */
  final class Site {
    final String id;
    final SiteIdentity identity;
    final ReceiptChecker receipts;
    final LinkedBlockingQueue<Object> sent = new LinkedBlockingQueue<>();
    final List<Object> all = new java.util.concurrent.CopyOnWriteArrayList<>();
    StudyWork work;
    long rows;

    Site(String id, LocalPolicy policy) throws Exception {
      this.id = id;
      Path tls = pki.siteTls().get(id);
      this.identity = SiteIdentity.load(tls, id);
      Path work = dir.resolve("agents").resolve(id);
      Files.createDirectories(work);
      this.receipts = new ReceiptChecker(id, work);
      PublicKey coordinatorKey = ledger.publicKey();
      LocalData data = LocalData.open(new CsvSource(csv.get(id)), pseudonymisation(id), work);
      this.work = new StudyWork(identity, data, receipts, () -> coordinatorKey, policy, new StudyDecisions(work),
          PrivacyBudget.open(work, policy.caps()), work, new StudyWork.Outbox() {
        @Override public boolean send(AgentMessage m) {
          sent.add(m);
          all.add(m);
          return true;
        }

        @Override public boolean sendBinary(byte[] frame) {
          Frames.Frame f = Frames.decode(frame);
          sent.add(f);
          all.add(f);
          return true;
        }
      });
    }

    void handle(CoordinatorMessage m) {
      work.handle(m);
    }

    /** The next message of this type this site sends (others before it are kept for later), or null after the wait. */
    <T> T next(Class<T> type, Duration wait) throws InterruptedException {
      return next(type, x -> true, wait);
    }

    <T> T next(Class<T> type, Predicate<T> which, Duration wait) throws InterruptedException {
      long deadline = System.nanoTime() + wait.toNanos();
      List<Object> skipped = new ArrayList<>();
      try {
        while (true) {
          long left = deadline - System.nanoTime();
          if (left <= 0) return null;
          Object o = sent.poll(left, TimeUnit.NANOSECONDS);
          if (o == null) return null;
          if (type.isInstance(o) && which.test(type.cast(o))) return type.cast(o);
          skipped.add(o);
        }
      } finally {
        // keep what was skipped, in order, ahead of anything newer
        List<Object> rest = new ArrayList<>(skipped);
        sent.drainTo(rest);
        sent.addAll(rest);
      }
    }

    /** Everything of this type the site sent so far. */
    <T> List<T> sentOf(Class<T> type) {
      return all.stream().filter(type::isInstance).map(type::cast).toList();
    }
  }

  HostileCoordinator(Path dir, List<String> siteIds, String specJson, int patientsPerSite) throws Exception {
    this(dir, siteIds, specJson, patientsPerSite, LocalPolicy.rehearsal());
  }

  HostileCoordinator(Path dir, List<String> siteIds, String specJson, int patientsPerSite, LocalPolicy policy)
      throws Exception {
    this.dir = dir;
    this.specJson = specJson;
    this.spec = StudySpecParser.parse(specJson);
    this.pki = LocalConsortium.provision(dir, siteIds);
    this.ledger = ParticipationLedger.open(dir.resolve("ledger"), pki.coordinatorPki().resolve(CoordinatorPki.TLS_KEY),
        pki.coordinatorPki().resolve(CoordinatorPki.TLS_CERT));
    List<Path> files = TestConsortium.cohorts(dir, siteIds.size(), patientsPerSite, 7);
    for (int i = 0; i < siteIds.size(); i++) csv.put(siteIds.get(i), files.get(i));
    for (String id : siteIds) sites.put(id, new Site(id, policy));
  }

  private org.dure.pseudonymisation.PseudonymisationConfig pseudonymisation(String site) throws Exception {
    Path secret = dir.resolve("secrets").resolve(site).resolve("pseudonym.key");
    return org.dure.pseudonymisation.PseudonymisationConfig.parse(
        org.dure.cohort.CohortGenerator.pseudonymisationJson(secret.toString()), dir);
  }

  /** Restarts a site's agent work from its work directory (what it remembers on disk is all it keeps). */
  void restart(String id, LocalPolicy policy) throws Exception {
    sites.get(id).work.close();
    sites.put(id, new Site(id, policy));
  }

  Site site(String id) {
    return sites.get(id);
  }

  /** Offers the study to every site; returns the reason of each site that declined (empty: all accepted). */
  Map<String, String> offer() throws Exception {
    Map<String, String> declined = new TreeMap<>();
    for (Site s : sites.values()) s.handle(new CoordinatorMessage.StudyOffer(studyId, specJson));
    for (Site s : sites.values()) {
      AgentMessage m = s.next(AgentMessage.class, x -> x instanceof AgentMessage.StudyAccepted
          || x instanceof AgentMessage.StudyDeclined, WAIT);
      if (m instanceof AgentMessage.StudyAccepted a) s.rows = a.rows();
      else if (m instanceof AgentMessage.StudyDeclined d) declined.put(s.id, d.reason());
      else throw new AssertionError(s.id + " did not answer the offer");
    }
    return declined;
  }

  /** Collects the statistics and sends the honest pooled scaling; returns it. */
  FeatureScaling setUp() throws Exception {
    for (Site s : sites.values()) s.handle(new CoordinatorMessage.StatisticsRequest(studyId));
    Map<String, SiteStatistics.NumericMoments> pooled = new LinkedHashMap<>();
    for (Site s : sites.values()) {
      AgentMessage.Statistics st = s.next(AgentMessage.Statistics.class, WAIT);
      if (st == null) throw new AssertionError(s.id + " sent no statistics");
      for (SiteStatistics.NumericMoments m : st.statistics().numeric()) pooled.merge(m.feature(), m, SiteStatistics.NumericMoments::plus);
    }
    FeatureScaling scaling = FeatureScaling.fromMoments(spec, List.copyOf(pooled.values()));
    setUp(scaling);
    return scaling;
  }

  void setUp(FeatureScaling scaling) {
    for (Site s : sites.values()) s.handle(new CoordinatorMessage.TrainingSetup(studyId, scaling));
  }

  long totalRows(List<String> roster) {
    return roster.stream().mapToLong(id -> sites.get(id).rows).sum();
  }

  /** What one secure-aggregation attempt gave the coordinator. */
  record SecureResult(Map<String, String> refused, float[] meanChange, List<String> survivors, String abortReason) {
    boolean completed() {
      return meanChange != null;
    }
  }

  /**
   * Runs one secure-aggregation attempt as the real coordinator would, with the given roster and global model, and
   * returns what the coordinator learns: the survivors' weighted mean model change, or which sites refused and why.
   */
  SecureResult secureRound(int round, int attempt, List<String> roster, float[] global) throws Exception {
    int threshold = spec.privacy().secureAggregation().thresholdFor(roster.size(), spec.minSites());
    RoundContext context = RoundContext.of(studyId, round, attempt, roster).withThreshold(threshold);
    long total = Math.max(1, totalRows(roster));
    double clip = spec.privacy().secureAggregation().clip();
    Map<String, String> refused = new TreeMap<>();
    Map<String, X509Certificate> certs = new TreeMap<>();
    for (String id : roster) certs.put(id, sites.get(id).identity.certificate());
    SecAggCoordinator protocol = new SecAggCoordinator(context, global.length + 2,
        SecAggVerifier.siteSignatures(id -> certs.get(id).getPublicKey(), studyId, round));
    byte[] frame = Frames.encode(Frames.Kind.GLOBAL_TRAIN, uuid, round, round - 1, 0, Float.NaN, global);
    for (String id : roster) {
      Site s = sites.get(id);
      s.handle(new CoordinatorMessage.SecAggStart(studyId, round, attempt, roster, threshold, context.neighbours(), total, clip));
      s.work.handle(Frames.decodeModel(frame));
    }
    // stage 1: keys (or a refusal)
    List<String> u1 = new ArrayList<>();
    for (String id : roster) {
      Site s = sites.get(id);
      AgentMessage m = s.next(AgentMessage.class, x -> x instanceof AgentMessage.SecAggKeys k && k.attempt() == attempt
          && k.round() == round || x instanceof AgentMessage.RoundFailed f && f.round() == round, WAIT);
      if (m instanceof AgentMessage.SecAggKeys k) {
        protocol.acceptKeys(new AdvertiseKeys(id, k.cPublicKey(), k.sPublicKey(), k.signature()));
        u1.add(id);
      } else {
        refused.put(id, m == null ? "no answer" : ((AgentMessage.RoundFailed) m).reason());
        // and the global model that followed the refused announcement is refused too: take that answer now
        s.next(AgentMessage.RoundFailed.class, f -> f.round() == round, WAIT);
      }
    }
    Step<List<AdvertiseKeys>> keys = protocol.closeKeyAdvertisement();
    if (!(keys instanceof Step.Proceed<List<AdvertiseKeys>> pk)) return aborted(refused, keys, roster, attempt, round);
    List<SecAggWire.PeerKeys> peers = new ArrayList<>();
    for (AdvertiseKeys k : pk.value()) {
      peers.add(new SecAggWire.PeerKeys(k.siteId(), SiteKeys.certificatePem(certs.get(k.siteId())), k.cPublicKey(),
          k.sPublicKey(), k.signature()));
    }
    for (String id : u1) sites.get(id).handle(new CoordinatorMessage.SecAggPeers(studyId, round, attempt, peers));
    for (String id : u1) {
      AgentMessage m = sites.get(id).next(AgentMessage.class, x -> x instanceof AgentMessage.SecAggShares sh
          && sh.round() == round && sh.attempt() == attempt || x instanceof AgentMessage.RoundFailed f && f.round() == round, WAIT);
      if (m instanceof AgentMessage.SecAggShares sh) {
        protocol.acceptShares(new ShareKeys(id, sh.shares().stream().map(SecAggWire.Share::toShare).toList()));
      } else {
        refused.put(id, m == null ? "no shares" : ((AgentMessage.RoundFailed) m).reason());
      }
    }
    Step<Map<String, List<EncryptedShare>>> shares = protocol.closeShareExchange();
    if (!(shares instanceof Step.Proceed<Map<String, List<EncryptedShare>>> ps)) return aborted(refused, shares, roster, attempt, round);
    ps.value().forEach((id, inbox) -> sites.get(id).handle(new CoordinatorMessage.SecAggInbox(studyId, round, attempt,
        inbox.stream().map(SecAggWire.Share::of).toList())));
    // stage 3: masked inputs, each recorded in the ledger and receipted (unless the test withholds receipts)
    for (String id : ps.value().keySet()) {
      Site s = sites.get(id);
      Object m = s.next(Object.class, x -> x instanceof Frames.MaskedFrame mf && mf.round() == round
          || x instanceof AgentMessage.RoundFailed f && f.round() == round, WAIT);
      if (m instanceof Frames.MaskedFrame f && ignoreMaskedFrom.contains(id)) {
        refused.put(id, "its masked input was ignored by the coordinator");
      } else if (m instanceof Frames.MaskedFrame f) {
        protocol.acceptMaskedInput(new MaskedInput(id, f.masked()));
        if (sendReceipts) {
          long index = ledger.contribution(studyId, id, round, attempt, org.dure.crypto.Digests.modelSha256(global),
              f.signedDigest(), f.signature(), "masked-input").toCompletionStage().toCompletableFuture().get();
          s.handle(ledger.receipt(studyId, round, index, 0).toCompletionStage().toCompletableFuture().get());
        }
      } else {
        refused.put(id, m == null ? "no masked input" : ((AgentMessage.RoundFailed) m).reason());
      }
    }
    Step<UnmaskRequest> masked = protocol.closeMaskedInputs();
    if (!(masked instanceof Step.Proceed<UnmaskRequest> pm)) return aborted(refused, masked, roster, attempt, round);
    UnmaskRequest req = pm.value();
    for (String id : req.survivors()) {
      sites.get(id).handle(new CoordinatorMessage.SecAggUnmask(studyId, round, attempt, req.survivors(), req.dropped()));
    }
    for (String id : req.survivors()) {
      AgentMessage m = sites.get(id).next(AgentMessage.class, x -> x instanceof AgentMessage.SecAggReveal
          || x instanceof AgentMessage.RoundFailed f && f.round() == round, WAIT);
      if (m instanceof AgentMessage.SecAggReveal r) {
        protocol.acceptUnmaskResponse(new UnmaskResponse(id, r.shares().stream().map(SecAggWire.Revealed::toShare).toList()));
      } else {
        refused.put(id, m == null ? "no reveal" : ((AgentMessage.RoundFailed) m).reason());
      }
    }
    Step<UnmaskedSum> sum = protocol.closeUnmasking();
    if (!(sum instanceof Step.Proceed<UnmaskedSum> su)) return aborted(refused, sum, roster, attempt, round);
    Quantizer.WeightedSum ws = new Quantizer(clip, context.size()).decodeWithWeight(su.value().sum());
    return new SecureResult(refused, java.util.Arrays.copyOf(ws.mean(), global.length), su.value().survivors(), null);
  }

  private SecureResult aborted(Map<String, String> refused, Step<?> step, List<String> roster, int attempt, int round) {
    String reason = step instanceof Step.Abort<?> a ? a.reason() : "aborted";
    for (String id : roster) sites.get(id).handle(new CoordinatorMessage.SecAggAbort(studyId, round, attempt, reason));
    return new SecureResult(refused, null, List.of(), reason);
  }

  /** Sends a model for evaluation ({@code GLOBAL_EVALUATE}) as version {@code version}; returns the site's answer or null. */
  AgentMessage.EvaluationReport evaluate(String id, int version, float[] model, Duration wait) throws Exception {
    Site s = sites.get(id);
    s.work.handle(Frames.decodeModel(Frames.encode(Frames.Kind.GLOBAL_EVALUATE, uuid, version, version, 0, Float.NaN, model)));
    return s.next(AgentMessage.EvaluationReport.class, e -> e.modelVersion() == version, wait);
  }

  @Override public void close() {
    for (Site s : sites.values()) s.work.close();
    ledger.close();
  }
}
