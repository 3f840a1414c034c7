package org.dure.coordinator.study;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a running study is in its protocol; each phase knows the sites it waits for and its own timer, and hears of a
 * site leaving it through the same three methods.
 */
sealed interface StudyPhase permits StudyPhase.Idle, AwaitingSites, StatisticsCollection, StudyPhase.Training,
    FinalEvaluation {

  /** Whether the phase still waits for something from {@code site}. */
  default boolean expects(String site) {
    return false;
  }

  /**
   * The participation reason of a site that disconnected while the phase {@link #expects} it, or null when the phase
   * does not count it as dropped.
   */
  default String droppedOnDisconnect() {
    return null;
  }

  /** The site left the phase (disconnected or withdrew, {@code why}); the roll of sites may have changed. */
  default void siteLeft(String site, String why) {}

  /** Stops the phase's timers (the study moves on or ends; {@code why} says which). */
  default void cancel(String why) {}

  /** Not started, between steps, or ended. */
  record Idle() implements StudyPhase {}

  /**
   * Attempt {@code number} of a training round; {@code globalSha256} is the model it trains from, {@code epsilon} the
   * ε each site said it has spent on the study so far (differential privacy).
   */
  record Training(RoundAttempt attempt, int number, String globalSha256, Map<String, Double> epsilon) implements StudyPhase {
    Training(RoundAttempt attempt, int number, String globalSha256) {
      this(attempt, number, globalSha256, new LinkedHashMap<>());
    }

    @Override public boolean expects(String site) {
      return attempt.takesPart(site);
    }

    @Override public String droppedOnDisconnect() {
      return "disconnected during round " + attempt.round();
    }

    @Override public void siteLeft(String site, String why) {
      attempt.siteLeft(site, why);
    }

    @Override public void cancel(String why) {
      attempt.cancel(why);
    }
  }
}
