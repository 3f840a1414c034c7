package org.dure.coordinator.study;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where a running study is in its protocol; each phase knows the sites it waits for and its own timer. */
sealed interface StudyPhase permits StudyPhase.Idle, StudyPhase.AwaitingSites, StudyPhase.Training,
    StatisticsCollection, FinalEvaluation {

  /** Not started, between steps, or ended. */
  record Idle() implements StudyPhase {}

  /**
   * Waiting for enough sites to accept, at most until {@code until}; {@code context} says why when it is not the
   * start of the study (a round aborted, too few sites ready).
   */
  record AwaitingSites(long timer, String context, Instant until) implements StudyPhase {}

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
