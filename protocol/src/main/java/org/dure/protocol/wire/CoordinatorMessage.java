package org.dure.protocol.wire;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.dure.protocol.model.FeatureScaling;

/** JSON text messages the coordinator sends to a site agent. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = CoordinatorMessage.Welcome.class, name = "welcome"),
    @JsonSubTypes.Type(value = CoordinatorMessage.Refused.class, name = "refused"),
    @JsonSubTypes.Type(value = CoordinatorMessage.StudyOffer.class, name = "study-offer"),
    @JsonSubTypes.Type(value = CoordinatorMessage.StatisticsRequest.class, name = "statistics-request"),
    @JsonSubTypes.Type(value = CoordinatorMessage.TrainingSetup.class, name = "training-setup"),
    @JsonSubTypes.Type(value = CoordinatorMessage.StudyEnded.class, name = "study-ended"),
    @JsonSubTypes.Type(value = CoordinatorMessage.SecAggStart.class, name = "secagg-start"),
    @JsonSubTypes.Type(value = CoordinatorMessage.SecAggPeers.class, name = "secagg-peers"),
    @JsonSubTypes.Type(value = CoordinatorMessage.SecAggInbox.class, name = "secagg-inbox"),
    @JsonSubTypes.Type(value = CoordinatorMessage.SecAggUnmask.class, name = "secagg-unmask"),
    @JsonSubTypes.Type(value = CoordinatorMessage.SecAggAbort.class, name = "secagg-abort"),
    @JsonSubTypes.Type(value = CoordinatorMessage.LedgerReceipt.class, name = "ledger-receipt"),
    @JsonSubTypes.Type(value = CoordinatorMessage.ReportRequest.class, name = "report-request")
})
public sealed interface CoordinatorMessage {
  /** The coordinator accepted the connection. */
  record Welcome(String siteId, String coordinatorVersion) implements CoordinatorMessage {}

  /** The coordinator refuses the connection or a message; the agent logs the reason. */
  record Refused(String reason) implements CoordinatorMessage {}

  /** A study the site may join; {@code spec} is the study's canonical JSON. */
  record StudyOffer(String studyId, String spec) implements CoordinatorMessage {}

  /** Send {@link AgentMessage.Statistics} for this study. */
  record StatisticsRequest(String studyId) implements CoordinatorMessage {}

  /** The federated scaling every site applies before training. */
  record TrainingSetup(String studyId, FeatureScaling scaling) implements CoordinatorMessage {}

  /**
   * After the last round: send {@link AgentMessage.ValidationReport} for final model {@code modelVersion} (the model of
   * the {@code GLOBAL_EVALUATE} frame sent just before).
   */
  record ReportRequest(String studyId, int modelVersion) implements CoordinatorMessage {}

  /** The study is over (completed, stopped or failed); the site can free its resources. */
  record StudyEnded(String studyId, String status, String reason) implements CoordinatorMessage {}

  /**
   * A secure round begins (sent just before the round's {@code GLOBAL_TRAIN} frame): the public round context
   * every site binds into its keys, signatures and ciphertexts, and the sample count the sites' weights are
   * fractions of ({@code weight = own training rows / totalSamples}).
   *
   * @param roster the round's sites; {@code threshold} of them must survive every stage
   * @param neighbours masking-graph degree ({@code roster.size() - 1} = full masking; fewer = SecAgg+)
   * @param clip the study's update clip (see {@code PrivacyPlan.SecureAggregation})
   */
  record SecAggStart(String studyId, int round, int attempt, java.util.List<String> roster, int threshold,
                     int neighbours, long totalSamples, double clip) implements CoordinatorMessage, SecAggWire.Addressed {}

  /** Stage 1 closed: every key advertisement of the round, each with its site's certificate to check it by. */
  record SecAggPeers(String studyId, int round, int attempt, java.util.List<SecAggWire.PeerKeys> peers)
      implements CoordinatorMessage, SecAggWire.Addressed {}

  /** Stage 2 closed: the encrypted shares addressed to this site; the site now sends its masked input. */
  record SecAggInbox(String studyId, int round, int attempt, java.util.List<SecAggWire.Share> shares)
      implements CoordinatorMessage, SecAggWire.Addressed {}

  /** Stage 3 closed: reveal self-mask seed shares of {@code survivors} and mask-key shares of {@code dropped}. */
  record SecAggUnmask(String studyId, int round, int attempt, java.util.List<String> survivors,
                      java.util.List<String> dropped) implements CoordinatorMessage, SecAggWire.Addressed {}

  /** The round attempt aborted (too few sites survived a stage); sites forget its secrets. */
  record SecAggAbort(String studyId, int round, int attempt, String reason) implements CoordinatorMessage, SecAggWire.Addressed {}

  /**
   * The site's receipt for a contribution: its participation-ledger entry (canonical JSON), the entry's inclusion
   * proof in the signed tree head {@code treeHead} (canonical JSON), and a consistency proof from the last tree head
   * this site accepted (size {@code consistencyFrom}; 0 = none) to this one. The site checks all three itself.
   */
  record LedgerReceipt(String studyId, int round, long index, String entry, java.util.List<byte[]> inclusionProof,
                       String treeHead, long consistencyFrom, java.util.List<byte[]> consistencyProof)
      implements CoordinatorMessage {}
}
