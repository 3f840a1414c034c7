package org.dure.coordinator.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dure.protocol.study.AggregationPlan;
import org.junit.jupiter.api.Test;

class AggregationTest {
  @Test void fedAvgIsTheSampleWeightedMeanOfTheSiteModels() {
    RoundAccumulator acc = new RoundAccumulator(2);
    acc.add("a", 100, new float[] {1, 10});
    acc.add("b", 300, new float[] {5, 2});
    float[] global = {2, -1};
    assertArrayEquals(new double[] {2, 5}, acc.weightedMeanDelta(global));
    float[] next = AggregationStrategy.of(AggregationPlan.fedAvg(), 2).nextGlobal(global, acc.weightedMeanDelta(global));
    assertArrayEquals(new float[] {4, 4}, next);
    assertEquals(400, acc.totalSamples());
    assertEquals(2, acc.contributors());
  }

  @Test void fedAdamTakesAServerAdamStepAlongTheMeanSiteChange() {
    AggregationPlan plan = new AggregationPlan(AggregationPlan.Strategy.FEDADAM, 0, 0.1, 0.9, 0.99, 1e-3);
    AggregationStrategy adam = AggregationStrategy.of(plan, 1);
    // delta = 2: m = 0.2, v = 0.04, step = 0.1 * 0.2 / (0.2 + 0.001)
    float[] next = adam.nextGlobal(new float[] {1}, new double[] {2});
    assertEquals(1 + 0.1 * 0.2 / (0.2 + 0.001), next[0], 1e-6);
    // second step with delta 0 decays m: m = 0.18, v = 0.0396
    float[] after = adam.nextGlobal(next, new double[] {0});
    assertEquals(next[0] + 0.1 * 0.18 / (Math.sqrt(0.0396) + 0.001), after[0], 1e-6);
  }

  @Test void anUpdateOfTheWrongSizeIsRejectedNamingTheSiteAndBothSizes() {
    RoundAccumulator acc = new RoundAccumulator(3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> acc.add("hospital-a", 10, new float[2]));
    assertEquals("site hospital-a sent 2 parameters but the model has 3; check that the site runs the same study definition", e.getMessage());
  }

  @Test void aSiteCannotContributeTwiceToOneRound() {
    RoundAccumulator acc = new RoundAccumulator(1);
    acc.add("a", 1, new float[] {1});
    assertThrows(IllegalArgumentException.class, () -> acc.add("a", 1, new float[] {1}));
    assertEquals(1, acc.contributors());
  }

  @Test void nonFiniteOrUnweightedUpdatesAreRejectedAndLeaveTheSumUntouched() {
    RoundAccumulator acc = new RoundAccumulator(2);
    assertThrows(IllegalArgumentException.class, () -> acc.add("a", 5, new float[] {1, Float.NaN}));
    assertThrows(IllegalArgumentException.class, () -> acc.add("b", 0, new float[] {1, 1}));
    acc.add("c", 1, new float[] {2, 3});
    assertArrayEquals(new double[] {2, 3}, acc.weightedMean());
  }
}
