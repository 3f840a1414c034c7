package org.dure.protocol.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.metrics.ScoreHistogram;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.wire.SiteStatistics.NumericMoments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class WireJsonTest {
  private static final String STUDY = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

  static Stream<AgentMessage> agentMessages() {
    ScoreHistogram histogram = ScoreHistogram.of(new float[] {0.1f, 0.7f, 0.7f, 1.0f}, new float[] {0, 1, 0, 1});
    ScoreHistogram oneClass = ScoreHistogram.of(new float[] {0.2f, 0.9f}, new float[] {1, 1});
    SiteStatistics stats = new SiteStatistics(1200, 1100, 80, 20,
        Map.of("age", 3L, "lactate", 77L), Map.of("sex", 2L),
        List.of(new NumericMoments("age", 1097, 71_305.5, 4_870_000.25), new NumericMoments("lactate", 1023, 2_046, 5_115.75)));
    return Stream.of(
        new AgentMessage.Hello("0.1.0", 0L),
        new AgentMessage.StudyAccepted(STUDY, 1100, "c2lnbmF0dXJl"),
        new AgentMessage.StudyDeclined(STUDY, "column 'lactate' is missing"),
        new AgentMessage.StudyPending(STUDY, "awaiting approval by st-marys's data officer"),
        new AgentMessage.StudyWithdrawn(STUDY, "the ethics approval lapsed", "c2lnbmF0dXJl"),
        new AgentMessage.Statistics(STUDY, stats),
        new AgentMessage.EvaluationReport(STUDY, 4, new Evaluation(4, 2, 0.41, 0.75, histogram.auc(), histogram)),
        new AgentMessage.EvaluationReport(STUDY, 5, new Evaluation(2, 2, 0.2, 1.0, Double.NaN, oneClass)),
        new AgentMessage.RoundFailed(STUDY, 3, "out of memory"));
  }

  static Stream<CoordinatorMessage> coordinatorMessages() {
    FeatureScaling scaling = new FeatureScaling(new double[] {40.5, 0, 0, 2.1}, new double[] {8.25, 1, 1, 0.75},
        Map.of("age", 40.5, "lactate", 2.1));
    return Stream.of(
        new CoordinatorMessage.Welcome("st-marys", "0.1.0"),
        new CoordinatorMessage.Refused("unknown site certificate"),
        new CoordinatorMessage.StudyOffer(STUDY, "{\"name\":\"sepsis\",\"features\":[\"age\"]}"),
        new CoordinatorMessage.StatisticsRequest(STUDY),
        new CoordinatorMessage.TrainingSetup(STUDY, scaling),
        new CoordinatorMessage.StudyEnded(STUDY, "COMPLETED", "completed 10 rounds"));
  }

  @ParameterizedTest
  @MethodSource("agentMessages")
  void agentMessageRoundTrips(AgentMessage message) {
    // Execute
    AgentMessage again = WireJson.readAgent(WireJson.write(message));

    // Assert
    assertEquals(message, again);
  }

  @ParameterizedTest
  @MethodSource("coordinatorMessages")
  void coordinatorMessageRoundTrips(CoordinatorMessage message) {
    // Execute
    CoordinatorMessage again = WireJson.readCoordinator(WireJson.write(message));

    // Assert
    assertEquals(message, again);
  }

  @Test void messageIsTaggedWithItsType() {
    // Execute
    String json = WireJson.write(new AgentMessage.Hello("0.1.0", 0L));

    // Assert
    assertEquals("{\"type\":\"hello\",\"agentVersion\":\"0.1.0\",\"ledgerTreeSize\":0}", json);
  }

  @Test void evaluationWithNanAucRoundTripsAsNan() {
    // Prepare
    ScoreHistogram oneClass = ScoreHistogram.of(new float[] {0.2f}, new float[] {0});
    AgentMessage report = new AgentMessage.EvaluationReport(STUDY, 1, new Evaluation(1, 0, 0.22, 1.0, Double.NaN, oneClass));

    // Execute
    AgentMessage again = WireJson.readAgent(WireJson.write(report));

    // Assert
    assertTrue(Double.isNaN(((AgentMessage.EvaluationReport) again).evaluation().auc()));
    assertEquals(oneClass, ((AgentMessage.EvaluationReport) again).evaluation().histogram());
  }

  @Test void unknownAgentMessageTypeIsRejected() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WireJson.readAgent("{\"type\":\"goodbye\",\"siteId\":\"st-marys\"}"));

    // Assert
    assertTrue(e.getMessage().startsWith("malformed AgentMessage: Could not resolve type id 'goodbye'"), e.getMessage());
  }

  @Test void coordinatorMessageIsNotAcceptedAsAgentMessage() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WireJson.readAgent("{\"type\":\"welcome\",\"siteId\":\"st-marys\",\"coordinatorVersion\":\"0.1.0\"}"));

    // Assert
    assertTrue(e.getMessage().startsWith("malformed AgentMessage: Could not resolve type id 'welcome'"), e.getMessage());
  }

  @Test void unknownCoordinatorMessageTypeIsRejected() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WireJson.readCoordinator("{\"type\":\"shutdown\"}"));

    // Assert
    assertTrue(e.getMessage().startsWith("malformed CoordinatorMessage: Could not resolve type id 'shutdown'"), e.getMessage());
  }

  @Test void messageWithoutTypeIsRejected() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WireJson.readCoordinator("{\"reason\":\"no\"}"));

    // Assert
    assertTrue(e.getMessage().startsWith("malformed CoordinatorMessage: "), e.getMessage());
    assertTrue(e.getMessage().contains("missing type id property 'type'"), e.getMessage());
  }

  @Test void unknownFieldIsRejected() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WireJson.readAgent("{\"type\":\"hello\",\"agentVersion\":\"0.1.0\",\"admin\":true}"));

    // Assert
    assertTrue(e.getMessage().startsWith("malformed AgentMessage: Unrecognized field \"admin\""), e.getMessage());
  }

  @Test void helloCannotClaimASiteIdTheCertificateDecides() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WireJson.readAgent("{\"type\":\"hello\",\"siteId\":\"st-marys\",\"agentVersion\":\"0.1.0\"}"));

    assertTrue(e.getMessage().contains("Unrecognized field \"siteId\""), e.getMessage());
  }

  @Test void unknownFieldInNestedRecordIsRejected() {
    // Prepare
    String json = WireJson.write(new CoordinatorMessage.TrainingSetup(STUDY,
        new FeatureScaling(new double[] {1}, new double[] {2}, Map.of("age", 1.0))));
    String tampered = json.replace("\"means\"", "\"offsets\":[0],\"means\"");

    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WireJson.readCoordinator(tampered));

    // Assert
    assertTrue(e.getMessage().startsWith("malformed CoordinatorMessage: Unrecognized field \"offsets\""), e.getMessage());
  }

  @Test void missingPrimitiveFieldIsRejected() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WireJson.readAgent("{\"type\":\"study-accepted\",\"studyId\":\"" + STUDY + "\",\"rows\":null}"));

    // Assert
    assertTrue(e.getMessage().startsWith("malformed AgentMessage: "), e.getMessage());
  }

  @Test void malformedJsonIsRejected() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WireJson.readAgent("{\"type\":"));

    // Assert
    assertTrue(e.getMessage().startsWith("malformed AgentMessage: "), e.getMessage());
  }

  /** Found by AgentMessageFuzzTest: a record's constructor met null and the JDK's NullPointerException text was the message. */
  @Test void missingCollectionInANestedRecordIsRejectedByPath() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WireJson.readAgent(
        "{\"type\":\"statistics\",\"studyId\":\"" + STUDY + "\",\"statistics\":{\"rowsRead\":1,\"rowsUsed\":1,"
            + "\"rowsDroppedMissing\":0,\"rowsDroppedLabel\":0,\"missingByFeature\":{},\"unseenByFeature\":{\"sex\":null},"
            + "\"numeric\":[]}}"));

    // Assert
    assertEquals("malformed AgentMessage: statistics lacks a required value (a field is missing or null, or a list or map"
        + " holds null)", e.getMessage());
  }
}
