package org.dure.agent.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivacyBudgetTest {
  @TempDir Path dir;
  private static final PrivacyBudget.Mechanism DP = new PrivacyBudget.Mechanism(0.01, 1.1, 1e-5);

  @Test void withoutCapsEveryStudyIsAllowedEvenWithoutDifferentialPrivacy() throws Exception {
    PrivacyBudget b = PrivacyBudget.open(dir, PrivacyBudget.Caps.none());

    assertNull(b.wouldExceed("s1", null, 100));
    assertNull(b.wouldExceed("s1", DP, 1_000_000));
  }

  @Test void withACapAStudyWithoutDifferentialPrivacyIsRefusedNamingTheRule() throws Exception {
    PrivacyBudget b = PrivacyBudget.open(dir, new PrivacyBudget.Caps(8.0, null));

    String why = b.wouldExceed("s1", null, 1);

    assertTrue(why.contains("no differential privacy") && why.contains("per study 8.0"), why);
  }

  @Test void aRoundThatWouldPassThePerStudyCapIsRefusedAndOneWithinItIsAllowed() throws Exception {
    PrivacyBudget b = PrivacyBudget.open(dir, new PrivacyBudget.Caps(1.0, null));
    long within = 100, beyond = 100_000;

    assertNull(b.wouldExceed("s1", DP, within), "ε after 100 steps is " + b.epsilon(DP, within));
    String why = b.wouldExceed("s1", DP, beyond);
    assertTrue(why != null && why.contains("above its per-study cap of 1.000"), why);
  }

  @Test void spentBudgetSurvivesARestartAndCountsTowardTheTotalCap() throws Exception {
    PrivacyBudget b = PrivacyBudget.open(dir, new PrivacyBudget.Caps(null, 3.0));
    double eps = b.record("s1", DP, 2_000);

    PrivacyBudget again = PrivacyBudget.open(dir, new PrivacyBudget.Caps(null, 3.0));

    assertEquals(eps, again.spent("s1"), 1e-12);
    assertEquals(eps, again.total(), 1e-12);
    assertTrue(eps > 0.5 && eps < 3, "ε after 2000 steps at q=0.01, σ=1.1: " + eps);
    String why = again.wouldExceed("s2", DP, 2_000 * 4);
    assertTrue(why != null && why.contains("total ε would reach"), String.valueOf(why));
  }

  @Test void aStudyWhoseMechanismChangedAfterSpendingIsNotTrainedFurtherEvenWithoutCaps() throws Exception {
    PrivacyBudget b = PrivacyBudget.open(dir, PrivacyBudget.Caps.none());
    b.record("s1", DP, 100);
    double spent = b.spent("s1");
    assertEquals(b.epsilon(DP, 150), b.epsilonAfter("s1", DP, 50), 1e-12);
    PrivacyBudget.Mechanism lessNoise = new PrivacyBudget.Mechanism(0.01, 0.5, 1e-5);
    String why = b.wouldExceed("s1", lessNoise, 10);
    org.junit.jupiter.api.Assertions.assertNotNull(why);
    org.junit.jupiter.api.Assertions.assertTrue(why.contains("mechanism") && why.contains("changed"), why);
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> b.record("s1", lessNoise, 10));
    assertEquals(spent, b.spent("s1"), "nothing was recorded at the new mechanism");
    org.junit.jupiter.api.Assertions.assertNull(b.wouldExceed("s2", lessNoise, 10), "another study is unaffected");
  }
}
