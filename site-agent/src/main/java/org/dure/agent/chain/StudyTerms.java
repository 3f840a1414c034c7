package org.dure.agent.chain;

import org.dure.agent.privacy.PrivacyBudget;
import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.study.StudySpec;

/**
 * What this site approved of one study's privacy, the terms every filter checks that study's messages against.
 *
 * @param studyId the study
 * @param spec the study definition this site approved
 * @param mechanism this site's DP-SGD mechanism for the study (its sampling rate, σ and δ), or null without DP-SGD
 * @param stepsPerRound DP-SGD steps this site takes per round (0 without DP-SGD)
 */
public record StudyTerms(String studyId, StudySpec spec, PrivacyBudget.Mechanism mechanism, long stepsPerRound) {
  public StudyTerms {
    java.util.Objects.requireNonNull(studyId, "studyId");
    java.util.Objects.requireNonNull(spec, "spec");
  }

  PrivacyPlan privacy() {
    return spec.privacy();
  }

  boolean secure() {
    return spec.privacy().secureAggregation().enabled();
  }

  boolean siteLevelNoise() {
    return secure() && spec.privacy().siteLevelNoise().enabled();
  }
}
