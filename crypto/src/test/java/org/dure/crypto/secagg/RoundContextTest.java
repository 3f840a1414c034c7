package org.dure.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoundContextTest {
  @Test void rosterIsSortedAndIndicesAreOneBased() {
    RoundContext ctx = RoundContext.of("s", 1, 0, List.of("c", "a", "b"));
    assertEquals(List.of("a", "b", "c"), ctx.roster());
    assertEquals(1, ctx.indexOf("a"));
    assertEquals(3, ctx.indexOf("c"));
    assertEquals(2, ctx.threshold());
    assertFalse(ctx.sparse());
  }

  @Test void thresholdMustBeAStrictMajority() {
    RoundContext ctx = RoundContext.of("s", 1, 0, InProcessRound.roster(10));
    assertEquals(6, ctx.threshold());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ctx.withThreshold(5));
    assertEquals("threshold must be a strict majority of the 10 sites, in 6..10, was 5", e.getMessage());
    assertEquals(10, ctx.withThreshold(10).threshold());
    assertThrows(IllegalArgumentException.class, () -> ctx.withThreshold(11));
  }

  @Test void duplicateSitesAndTinyRostersAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> RoundContext.of("s", 1, 0, List.of("a", "a", "b")));
    assertThrows(IllegalArgumentException.class, () -> RoundContext.of("s", 1, 0, List.of("a")));
    assertThrows(IllegalArgumentException.class, () -> RoundContext.of("s", 1, 0, InProcessRound.roster(10)).withNeighbours(3));
  }

  @Test void largeRostersUseSparseMaskingWithLogarithmicNeighbourhoods() {
    assertEquals(29, RoundContext.defaultNeighbours(30));
    assertEquals(20, RoundContext.defaultNeighbours(31));
    assertEquals(28, RoundContext.defaultNeighbours(100));
    assertEquals(36, RoundContext.defaultNeighbours(500));
    RoundContext ctx = RoundContext.of("s", 1, 0, InProcessRound.roster(100));
    assertTrue(ctx.sparse());
    assertEquals(15, ctx.shareThreshold());
  }

  @Test void sparseGraphIsRegularSymmetricAndTheSameForEveryone() {
    RoundContext ctx = RoundContext.of("s", 4, 0, InProcessRound.roster(60));
    NeighbourGraph g = NeighbourGraph.of(ctx), again = NeighbourGraph.of(ctx);
    for (String a : ctx.roster()) {
      List<String> n = g.neighboursOf(a);
      assertEquals(ctx.neighbours(), n.size());
      assertEquals(n, again.neighboursOf(a));
      assertFalse(n.contains(a));
      for (String b : n) assertTrue(g.adjacent(b, a), a + " - " + b + " is not symmetric");
    }
    NeighbourGraph otherRound = NeighbourGraph.of(new RoundContext("s", 5, 0, ctx.roster(), ctx.threshold(), ctx.neighbours()));
    assertNotEquals(g.neighboursOf("hospital-000"), otherRound.neighboursOf("hospital-000"));
  }

  @Test void digestBindsEveryField() {
    RoundContext ctx = RoundContext.of("s", 1, 0, InProcessRound.roster(5));
    assertFalse(Arrays.equals(ctx.digest(), RoundContext.of("s", 1, 1, InProcessRound.roster(5)).digest()));
    assertFalse(Arrays.equals(ctx.digest(), RoundContext.of("t", 1, 0, InProcessRound.roster(5)).digest()));
    assertFalse(Arrays.equals(ctx.digest(), ctx.withThreshold(4).digest()));
    assertTrue(Arrays.equals(ctx.digest(), RoundContext.of("s", 1, 0, InProcessRound.roster(5)).digest()));
  }
}
