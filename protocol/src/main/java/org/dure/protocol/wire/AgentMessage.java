package org.dure.protocol.wire;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.metrics.ValidationCounts;

/**
 * JSON text messages a site agent sends to the coordinator. Model parameters never travel here: they go
 * in binary {@link Frames}. Each message is a small immutable record tagged with {@code "type"}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = AgentMessage.Hello.class, name = "hello"),
    @JsonSubTypes.Type(value = AgentMessage.StudyAccepted.class, name = "study-accepted"),
    @JsonSubTypes.Type(value = AgentMessage.StudyDeclined.class, name = "study-declined"),
    @JsonSubTypes.Type(value = AgentMessage.StudyPending.class, name = "study-pending"),
    @JsonSubTypes.Type(value = AgentMessage.StudyWithdrawn.class, name = "study-withdrawn"),
    @JsonSubTypes.Type(value = AgentMessage.Statistics.class, name = "statistics"),
    @JsonSubTypes.Type(value = AgentMessage.EvaluationReport.class, name = "evaluation"),
    @JsonSubTypes.Type(value = AgentMessage.RoundFailed.class, name = "round-failed"),
    @JsonSubTypes.Type(value = AgentMessage.SecAggKeys.class, name = "secagg-keys"),
    @JsonSubTypes.Type(value = AgentMessage.SecAggShares.class, name = "secagg-shares"),
    @JsonSubTypes.Type(value = AgentMessage.SecAggReveal.class, name = "secagg-reveal"),
    @JsonSubTypes.Type(value = AgentMessage.PrivacySpent.class, name = "privacy-spent"),
    @JsonSubTypes.Type(value = AgentMessage.ValidationReport.class, name = "validation-report")
})
public sealed interface AgentMessage {
  /** The study a message is about, or null for the hello (the only message that names none). */
  static String studyIdOf(AgentMessage m) {
    if (m instanceof SecAggWire.Addressed a) return a.studyId();
    if (m instanceof StudyAccepted x) return x.studyId();
    if (m instanceof StudyDeclined x) return x.studyId();
    if (m instanceof StudyPending x) return x.studyId();
    if (m instanceof StudyWithdrawn x) return x.studyId();
    if (m instanceof Statistics x) return x.studyId();
    if (m instanceof EvaluationReport x) return x.studyId();
    if (m instanceof PrivacySpent x) return x.studyId();
    if (m instanceof RoundFailed x) return x.studyId();
    if (m instanceof ValidationReport x) return x.studyId();
    return null;
  }

  /**
   * First message on a connection. It names no site: the coordinator takes the site id from the client
   * certificate the agent presented in the TLS handshake, never from a message field. {@code ledgerTreeSize} is
   * the size of the last participation-ledger tree head the site accepted (0 if none): the coordinator proves
   * its next tree head consistent with it.
   */
  record Hello(String agentVersion, Long ledgerTreeSize) implements AgentMessage {
    /** The tree size, 0 when the agent sent none (an agent that predates the ledger). */
    public long treeSize() {
      return ledgerTreeSize == null ? 0 : Math.max(0, ledgerTreeSize);
    }
  }

  /**
   * The site takes part in the study; {@code rows} is its usable row count. {@code signature} (base64 DER
   * ECDSA) is the site's {@code study-approval} signature over the SHA-256 of the exact study definition it
   * was offered (round 0), made with its certificate key. {@code minSecureRoster} is the least number of sites this
   * site's policy lets a securely aggregated round have (null from agents before the field): the coordinator waits for
   * that many before it starts a secure round, instead of starting one the site must refuse.
   */
  record StudyAccepted(String studyId, long rows, String signature, Integer minSecureRoster) implements AgentMessage {
    public StudyAccepted(String studyId, long rows, String signature) {
      this(studyId, rows, signature, null);
    }
  }

  /** The site does not take part; the reason is shown to the researcher. */
  record StudyDeclined(String studyId, String reason) implements AgentMessage {}

  /**
   * The study passes the site's local policy and waits for its data officer's decision; the site sends nothing
   * else for it until then ({@code study-accepted} or {@code study-declined} follows, possibly days later).
   */
  record StudyPending(String studyId, String reason) implements AgentMessage {}

  /**
   * The site's data officer withdrew the site from the study: it sends nothing more for it. {@code signature}
   * (base64 DER ECDSA) is the site's {@code study-withdrawal} signature over the SHA-256 of {@code reason} (UTF-8),
   * round 0, made with its certificate key.
   */
  record StudyWithdrawn(String studyId, String reason, String signature) implements AgentMessage {}

  /** Aggregate statistics of the site's training split, for federated scaling. */
  record Statistics(String studyId, SiteStatistics statistics) implements AgentMessage {}

  /** How global model {@code modelVersion} performs on the site's validation split. */
  record EvaluationReport(String studyId, int modelVersion, Evaluation evaluation) implements AgentMessage {}

  /**
   * The differential privacy this site has spent on the study after its round {@code round} contribution:
   * ({@code epsilon}, {@code delta}) over all its DP-SGD steps so far, with the noise multiplier and sampling rate
   * it trained with. Public by design (it depends on the study's settings and the site's row count only).
   */
  record PrivacySpent(String studyId, int round, double epsilon, double delta, double noiseMultiplier,
                      double samplingRate, long steps) implements AgentMessage {}

  /**
   * The site's part of the validation report, answering {@code report-request}: aggregate counts (never rows or
   * predictions) of model {@code modelVersion} on its validation split, overall and per subgroup. A subgroup with fewer
   * validation rows than the site's {@code minCellSize} is sent {@code suppressed}, without counts.
   *
   * @param status {@code OK}; {@code WITHHELD} (the site's policy keeps its own metrics in the hospital: no counts);
   *     {@code UNAVAILABLE} (no validation rows, or not the model asked for: no counts, {@code reason} says why)
   */
  record ValidationReport(String studyId, int modelVersion, String status, String reason, int minCellSize,
                          ValidationCounts overall, java.util.List<SubgroupCounts> subgroups) implements AgentMessage {
    public static final String OK = "OK", WITHHELD = "WITHHELD", UNAVAILABLE = "UNAVAILABLE";

    public ValidationReport {
      subgroups = subgroups == null ? java.util.List.of() : java.util.List.copyOf(subgroups);
    }

    /** A report without counts ({@link #WITHHELD} or {@link #UNAVAILABLE}). */
    public static ValidationReport without(String studyId, int modelVersion, String status, String reason, int minCellSize) {
      return new ValidationReport(studyId, modelVersion, status, reason, minCellSize, null, java.util.List.of());
    }
  }

  /**
   * One subgroup level at a site ({@code column} = {@code level}, e.g. {@code sex} = {@code F}, {@code age} =
   * {@code 40-<60}); {@code counts} is null when {@code suppressed}, or when the site lacks the column
   * ({@code level} = {@code "(column absent)"}).
   */
  record SubgroupCounts(String column, String level, boolean suppressed, ValidationCounts counts) {
    /** The level of a subgroup column the site's data lacks. */
    public static final String COLUMN_ABSENT = "(column absent)";
  }

  /** Local training failed in this round; the site sends no update. */
  record RoundFailed(String studyId, int round, String reason) implements AgentMessage {}

  /**
   * Secure aggregation stage 1: the site's two fresh X25519 public keys for this round attempt, signed
   * ({@code secagg-keys} purpose) with its certificate key. The coordinator takes the site id from the TLS session.
   */
  record SecAggKeys(String studyId, int round, int attempt, byte[] cPublicKey, byte[] sPublicKey, byte[] signature)
      implements AgentMessage, SecAggWire.Addressed {}

  /** Stage 2: the site's Shamir shares, one AES-GCM ciphertext per neighbour, for the coordinator to route. */
  record SecAggShares(String studyId, int round, int attempt, java.util.List<SecAggWire.Share> shares)
      implements AgentMessage, SecAggWire.Addressed {}

  /** Stage 4: the shares the coordinator asked for (self-mask seeds of survivors, mask keys of dropped sites). */
  record SecAggReveal(String studyId, int round, int attempt, java.util.List<SecAggWire.Revealed> shares)
      implements AgentMessage, SecAggWire.Addressed {}
}
