package org.dure.agent.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dure.protocol.study.PrivacyPlan;
import org.junit.jupiter.api.Test;

/** Issue 20: a DP target no noise reaches is a decline with the reason, not an exception that leaves no answer. */
class DifferentialPrivacyDeclineTest {
  private static PrivacyPlan.DifferentialPrivacy target(double epsilon, double delta) {
    return new PrivacyPlan.DifferentialPrivacy(true, 0, 1.0, epsilon, delta);
  }

  @Test void aTargetBelowWhatUnlimitedNoiseGivesIsDeclinedNamingTheTargetDeltaRoundsAndTheReachableBound() {
    Decline d = assertThrows(Decline.class, () -> StudyParticipation.noiseFor(target(1e-9, 1e-5), 0.1, 100, 10, "hospital-a"));

    assertTrue(d.getMessage().startsWith("hospital-a declines: the study's differential-privacy target"
        + " (privacy.differentialPrivacy.targetEpsilon) ε = 1.0E-9 at δ = 1.0E-5 over 10 rounds cannot be reached: even"
        + " unlimited noise gives ε = "), d.getMessage());
    assertTrue(d.getMessage().matches(".* gives ε = ([0-9.]+) at that δ; set targetEpsilon above \\1 \\(1 to 10 is usual\\) or"
        + " raise delta"), d.getMessage());
  }

  @Test void aReachableTargetGivesTheNoiseMultiplier() throws Decline {
    double sigma = StudyParticipation.noiseFor(target(3, 1e-5), 0.1, 100, 10, "hospital-a");
    assertTrue(sigma > 0.5 && sigma < 5, "σ = " + sigma);
    assertEquals(sigma, StudyParticipation.noiseFor(target(3, 1e-5), 0.1, 100, 10, "hospital-b"));
  }
}
