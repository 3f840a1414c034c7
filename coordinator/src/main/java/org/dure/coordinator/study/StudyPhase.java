package org.dure.coordinator.study;

import java.util.LinkedHashMap;
import java.util.Map;

/** Where a running study is in its protocol; each phase knows the sites it waits for and its own timer. */
sealed interface StudyPhase permits StudyPhase.Idle, AwaitingSites, StatisticsCollection, StudyPhase.Training,
    FinalEvaluation {

  /** Not started, between steps, or ended. */
  record Idle() implements StudyPhase {}

  /**
   * A training round's attempt; {@code globalSha256} is the model it trains from, {@code epsilon} the ε each site said
   * it has spent on the study so far (differential privacy).
   */
  record Training(RoundAttempt attempt, String globalSha256, Map<String, Double> epsilon) implements StudyPhase {
    Training(RoundAttempt attempt, String globalSha256) {
      this(attempt, globalSha256, new LinkedHashMap<>());
    }
  }
}
