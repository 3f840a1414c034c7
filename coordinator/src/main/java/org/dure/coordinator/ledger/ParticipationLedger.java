package org.dure.coordinator.ledger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import org.dure.crypto.pki.SiteKeys;
import org.dure.ledger.EventType;
import org.dure.ledger.TransparencyLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's participation ledger: one signed, append-only entry per event of consequence — who submitted
 * which study under which privacy plan, which site approved, refused, contributed or dropped out in which round,
 * which model each round committed, which credentials and sites were issued and revoked — in an RFC 6962
 * transparency log under {@code <data-dir>/ledger}, signed with the coordinator's TLS key.
 *
 * <p>Each method returns when the entry is on disk (fsync, group commit) so callers can acknowledge what depends
 * on it afterwards. Data, pseudonymisation keys and model parameters never appear: only ids, counts, hashes,
 * signatures and reasons.
 */
public final class ParticipationLedger implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ParticipationLedger.class);
  static final ObjectMapper JSON = new ObjectMapper();
  private final TransparencyLog log_;
  private final PublicKey publicKey;
  private final Path dir;
  private volatile org.dure.coordinator.metrics.CoordinatorMetrics metrics = org.dure.coordinator.metrics.CoordinatorMetrics.NONE;
  private static final Logger security = LoggerFactory.getLogger(org.dure.protocol.logging.LogFields.SECURITY_LOGGER);
  /** The ledger events that are also logged as security events, with their stable event names. */
  private static final Map<EventType, String> SECURITY_EVENTS = Map.ofEntries(
      Map.entry(EventType.STUDY_SUBMITTED, "study.submitted"), Map.entry(EventType.SITE_APPROVED, "study.site.approved"),
      Map.entry(EventType.SITE_REFUSED, "study.site.declined"), Map.entry(EventType.SITE_WITHDREW, "study.site.withdrew"),
      Map.entry(EventType.STUDY_ENDED, "study.ended"), Map.entry(EventType.CREDENTIAL_ISSUED, "credential.issued"),
      Map.entry(EventType.CREDENTIAL_REVOKED, "credential.revoked"), Map.entry(EventType.SITE_ENROLLED, "site.enrolled"),
      Map.entry(EventType.SITE_REVOKED, "site.revoked"));

  private ParticipationLedger(TransparencyLog log, PublicKey publicKey, Path dir) {
    this.log_ = log;
    this.publicKey = publicKey;
    this.dir = dir;
  }

  /** Opens (or creates) the ledger in {@code dir}, signing with the coordinator key in the PKI directory. */
  public static ParticipationLedger open(Path dir, Path keyPem, Path certPem) throws IOException {
    PrivateKey key = SiteKeys.readPrivateKey(Files.readString(keyPem));
    X509Certificate cert = SiteKeys.readCertificate(Files.readString(certPem));
    org.dure.crypto.SecureFiles.createOwnerOnlyDirectories(dir);
    return new ParticipationLedger(TransparencyLog.open(dir, key, cert.getPublicKey()), cert.getPublicKey(), dir);
  }

  /** Counts appends and their latency, and exposes the ledger's size ({@code dure_ledger_*}). */
  public void metrics(org.dure.coordinator.metrics.CoordinatorMetrics m) {
    this.metrics = m;
    m.ledger(log_, TransparencyLog::size);
  }

  /** Whether the ledger accepts appends (open, its writer running, no write failure): for readiness. */
  public boolean writable() {
    return log_.writable();
  }

  public TransparencyLog log() {
    return log_;
  }

  public Path directory() {
    return dir;
  }

  /** Publishes (signs, stores, syncs) a tree head covering every entry appended so far. */
  public Future<org.dure.ledger.SignedTreeHead> publishTreeHead() {
    io.vertx.core.Context ctx = io.vertx.core.Vertx.currentContext();
    var stage = log_.publishTreeHead();
    return ctx == null ? Future.fromCompletionStage(stage) : Future.fromCompletionStage(stage, ctx);
  }

  /**
   * The receipt for contribution entry {@code index}: a freshly published tree head, the entry's inclusion proof in
   * it, and a consistency proof from the head of size {@code siteTreeSize} the site accepted last.
   */
  public Future<org.dure.protocol.wire.CoordinatorMessage.LedgerReceipt> receipt(String studyId, int round, long index,
                                                                              long siteTreeSize) {
    return publishTreeHead().map(head -> {
      long from = siteTreeSize > 0 && siteTreeSize <= head.size() ? siteTreeSize : 0;
      return new org.dure.protocol.wire.CoordinatorMessage.LedgerReceipt(studyId, round, index, log_.entry(index).toJson(),
          log_.inclusionProof(index, head.size()), head.toJson(), from,
          from == 0 || from == head.size() ? java.util.List.of() : log_.consistencyProof(from, head.size()));
    });
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  // ------------------------------------------------------------------------------------------------ events

  /** A study was submitted by user {@code owner} with credential {@code ownerCredential} (which owns it). */
  public Future<Long> studySubmitted(String studyId, String owner, String ownerCredential, String name, String specSha256,
                                     ObjectNode privacy) {
    ObjectNode d = JSON.createObjectNode().put("name", name).put("specSha256", specSha256);
    if (ownerCredential != null) d.put("ownerCredential", ownerCredential);
    d.set("privacy", privacy);
    return append(EventType.STUDY_SUBMITTED, studyId, null, owner, d, null);
  }

  public Future<Long> siteApproved(String studyId, String site, long rows, String specSha256, String signature) {
    return append(EventType.SITE_APPROVED, studyId, site, site,
        JSON.createObjectNode().put("rows", rows).put("specSha256", specSha256), signature);
  }

  public Future<Long> siteRefused(String studyId, String site, String reason) {
    return append(EventType.SITE_REFUSED, studyId, site, site, JSON.createObjectNode().put("reason", reason), null);
  }

  /** A site's data officer withdrew it from the study: the reason and the site's signature over it. */
  public Future<Long> siteWithdrew(String studyId, String site, String reason, String signature) {
    return append(EventType.SITE_WITHDREW, studyId, site, site, JSON.createObjectNode().put("reason", reason), signature);
  }

  public Future<Long> roundStarted(String studyId, int round, int attempt, Collection<String> participants,
                                   String globalModelSha256, boolean secure, int threshold) {
    ObjectNode d = JSON.createObjectNode().put("round", round).put("attempt", attempt)
        .put("globalModelSha256", globalModelSha256).put("secureAggregation", secure);
    if (secure) d.put("threshold", threshold);
    ArrayNode p = d.putArray("participants");
    participants.forEach(p::add);
    return append(EventType.ROUND_STARTED, studyId, null, null, d, null);
  }

  /** A site's signed contribution: what it sent (hash of the signed frame body) and its signature over it. */
  public Future<Long> contribution(String studyId, String site, int round, int attempt, String modelSha256,
                                   byte[] contentSha256, byte[] signature, String kind) {
    ObjectNode d = JSON.createObjectNode().put("round", round).put("attempt", attempt)
        .put("globalModelSha256", modelSha256).put("contentSha256", HexFormat.of().formatHex(contentSha256))
        .put("kind", kind);
    return append(EventType.CONTRIBUTION_RECEIVED, studyId, site, site, d,
        java.util.Base64.getEncoder().encodeToString(signature));
  }

  public Future<Long> siteDropped(String studyId, String site, int round, String reason) {
    return append(EventType.SITE_DROPPED, studyId, site, null,
        JSON.createObjectNode().put("round", round).put("reason", reason), null);
  }

  public Future<Long> roundAborted(String studyId, int round, int attempt, String reason) {
    return append(EventType.ROUND_ABORTED, studyId, null, null,
        JSON.createObjectNode().put("round", round).put("attempt", attempt).put("reason", reason), null);
  }

  public Future<Long> aggregateCommitted(String studyId, int round, String newModelSha256, Collection<String> contributors,
                                         long samples, boolean secure, Map<String, Double> epsilonBySite) {
    ObjectNode d = JSON.createObjectNode().put("round", round).put("modelSha256", newModelSha256).put("samples", samples)
        .put("secureAggregation", secure);
    ArrayNode c = d.putArray("contributors");
    contributors.forEach(c::add);
    ObjectNode eps = d.putObject("epsilonSpent");
    epsilonBySite.forEach(eps::put);
    return append(EventType.AGGREGATE_COMMITTED, studyId, null, null, d, null);
  }

  /**
   * A study ended; {@code actor} is the user who stopped it (an administrator or its owner, or the administrator who
   * revoked the owner's credential), null when the protocol ended it.
   */
  public Future<Long> studyEnded(String studyId, String status, String reason, int rounds, String modelSha256, String actor) {
    ObjectNode d = JSON.createObjectNode().put("status", status).put("reason", reason).put("completedRounds", rounds);
    if (modelSha256 != null) d.put("modelSha256", modelSha256);
    return append(EventType.STUDY_ENDED, studyId, null, actor, d, null);
  }

  public Future<Long> credentialIssued(String name, String credential, String role, String actor) {
    return append(EventType.CREDENTIAL_ISSUED, null, null, actor,
        JSON.createObjectNode().put("name", name).put("credential", credential).put("role", role), null);
  }

  public Future<Long> credentialRevoked(String name, String credential, String actor) {
    return append(EventType.CREDENTIAL_REVOKED, null, null, actor,
        JSON.createObjectNode().put("name", name).put("credential", credential), null);
  }

  public Future<Long> siteEnrolled(String site, String serial) {
    return append(EventType.SITE_ENROLLED, null, site, null, JSON.createObjectNode().put("serial", serial), null);
  }

  public Future<Long> siteRevoked(String site, String reason) {
    return append(EventType.SITE_REVOKED, null, site, null, JSON.createObjectNode().put("reason", reason), null);
  }

  /**
   * Brings the ledger in line with the site register (which {@code dure admin enrol-site} / {@code revoke-site}
   * write): every certificate serial issued to a site and every revocation not yet recorded is appended. Blocking
   * (reads the log); call off the event loop. Returns the number of entries appended.
   */
  public int syncRegister(org.dure.coordinator.security.EnrolledSites register) {
    java.util.Set<String> enrolled = new java.util.HashSet<>();
    java.util.Set<String> revoked = new java.util.HashSet<>();
    for (org.dure.ledger.LedgerEntry e : log_.entries(new org.dure.ledger.EntryFilter(null, null, EventType.SITE_ENROLLED, null, null)))
      enrolled.add(e.siteId() + "/" + e.details().path("serial").asText());
    for (org.dure.ledger.LedgerEntry e : log_.entries(new org.dure.ledger.EntryFilter(null, null, EventType.SITE_REVOKED, null, null)))
      revoked.add(e.siteId());
    int added = 0;
    java.util.List<java.util.concurrent.CompletableFuture<?>> pending = new java.util.ArrayList<>();
    for (org.dure.coordinator.security.EnrolledSites.Site site : register.sites()) {
      for (String serial : site.serials()) {
        if (enrolled.add(site.siteId() + "/" + serial)) {
          securityEvent(EventType.SITE_ENROLLED, null, site.siteId(), "administrator");
          pending.add(log_.append(EventType.SITE_ENROLLED, null, site.siteId(), "administrator",
              JSON.createObjectNode().put("serial", serial).put("enrolledAt", String.valueOf(site.enrolledAt())), null));
          added++;
        }
      }
      if (site.revokedAt() != null && revoked.add(site.siteId())) {
        securityEvent(EventType.SITE_REVOKED, null, site.siteId(), "administrator");
        pending.add(log_.append(EventType.SITE_REVOKED, null, site.siteId(), "administrator", JSON.createObjectNode()
            .put("revokedAt", site.revokedAt().toString()).put("reason", String.valueOf(site.revokedReason())), null));
        added++;
      }
    }
    java.util.concurrent.CompletableFuture.allOf(pending.toArray(java.util.concurrent.CompletableFuture[]::new)).join();
    if (added > 0) log.info("ledger: recorded {} site register change(s)", added);
    return added;
  }

  private Future<Long> append(EventType type, String studyId, String siteId, String actor, ObjectNode details,
                              String siteSignature) {
    // Complete on the caller's event loop (the study runner's), never on the ledger's writer thread.
    io.vertx.core.Context ctx = io.vertx.core.Vertx.currentContext();
    long t0 = System.nanoTime();
    org.dure.coordinator.metrics.CoordinatorMetrics m = metrics;
    var stage = log_.append(type, studyId, siteId, actor, details, siteSignature)
        .whenComplete((a, e) -> { if (e == null) m.ledgerAppended(System.nanoTime() - t0); });
    securityEvent(type, studyId, siteId, actor);
    Future<org.dure.ledger.Appended> f = ctx == null ? Future.fromCompletionStage(stage)
        : Future.fromCompletionStage(stage, ctx);
    return f.map(a -> a.index())
        .onFailure(e -> log.error("ledger: could not record {} for study {} site {}: {}", type, studyId, siteId, e.toString()));
  }

  /** Logs a ledger event that is security-relevant under its stable name (ids only, never the details). */
  private static void securityEvent(EventType type, String studyId, String siteId, String actor) {
    String event = SECURITY_EVENTS.get(type);
    if (event == null) return;
    org.dure.protocol.logging.LogFields.security(security, org.slf4j.event.Level.INFO, event, studyId, siteId,
        "{}: study {} site {} by {}", type, studyId == null ? "-" : studyId, siteId == null ? "-" : siteId,
        actor == null ? "the protocol" : actor);
  }

  @Override public void close() {
    try {
      log_.close();
    } catch (Exception e) {
      log.warn("ledger: while closing: {}", e.toString());
    }
  }
}
