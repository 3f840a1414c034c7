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
    @JsonSubTypes.Type(value = CoordinatorMessage.StudyEnded.class, name = "study-ended")
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

  /** The study is over (completed, stopped or failed); the site can free its resources. */
  record StudyEnded(String studyId, String status, String reason) implements CoordinatorMessage {}
}
