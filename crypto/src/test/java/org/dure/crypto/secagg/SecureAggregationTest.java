package org.dure.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecureAggregationTest {
  private static final int D = 1000;

  private static Map<String, int[]> quantisedInputs(RoundContext ctx, int length, long seed) {
    Random random = new Random(seed);
    Quantizer q = new Quantizer(1.0, ctx.size());
    Map<String, int[]> inputs = new HashMap<>();
    for (String site : ctx.roster()) {
      float[] update = new float[length];
      for (int i = 0; i < length; i++) update[i] = (float) (random.nextGaussian() * 0.5);
      inputs.put(site, q.encode(update, 1.0 / ctx.size()));
    }
    return inputs;
  }

  private static UnmaskedSum completed(Step<UnmaskedSum> step) {
    assertInstanceOf(Step.Proceed.class, step, () -> "round aborted: " + ((Step.Abort<UnmaskedSum>) step).reason());
    return step.orElseThrow();
  }

  @ParameterizedTest(name = "n = {0}")
  @ValueSource(ints = {2, 3, 5, 10, 30, 100})
  void unmaskedSumEqualsPlainSumOfQuantisedInputsBitForBit(int n) {
    RoundContext ctx = RoundContext.of("study-exact", 1, 0, InProcessRound.roster(n));
    assertEquals(n > RoundContext.SPARSE_ABOVE, ctx.sparse());
    Map<String, int[]> inputs = quantisedInputs(ctx, D, n);
    UnmaskedSum sum = completed(new InProcessRound(ctx, D).run(inputs));
    assertEquals(ctx.roster(), sum.survivors());
    assertEquals(List.of(), sum.dropped());
    assertArrayEquals(InProcessRound.plainSum(inputs, ctx.roster(), D), sum.sum());
  }

  @Test void sparseMaskingWithSmallNeighbourhoodsIsExactWithDropouts() {
    RoundContext ctx = RoundContext.of("study-sparse", 3, 0, InProcessRound.roster(20)).withNeighbours(6);
    assertTrue(ctx.sparse());
    assertEquals(4, ctx.shareThreshold());
    Map<String, int[]> inputs = quantisedInputs(ctx, 333, 7);
    InProcessRound round = new InProcessRound(ctx, 333);
    round.dropBeforeMaskedInput.add("hospital-004");
    round.dropBeforeUnmask.add("hospital-011");
    UnmaskedSum sum = completed(round.run(inputs));
    List<String> survivors = new ArrayList<>(ctx.roster());
    survivors.remove("hospital-004");
    assertEquals(survivors, sum.survivors());
    assertArrayEquals(InProcessRound.plainSum(inputs, survivors, 333), sum.sum());
  }

  @Test void fullyRandomInputsWrapModulo2To32AndStillSumExactly() {
    RoundContext ctx = RoundContext.of("study-wrap", 1, 0, InProcessRound.roster(4));
    Random random = new Random(1);
    Map<String, int[]> inputs = new HashMap<>();
    for (String s : ctx.roster()) inputs.put(s, random.ints(777).toArray());
    UnmaskedSum sum = completed(new InProcessRound(ctx, 777).run(inputs));
    assertArrayEquals(InProcessRound.plainSum(inputs, ctx.roster(), 777), sum.sum());
  }

  /** n = 10, t = 6: up to four sites may drop in total. */
  private static void assertExactWithDropouts(Consumer<InProcessRound> drop, Set<String> dropped) {
    RoundContext ctx = RoundContext.of("study-dropout", 2, 0, InProcessRound.roster(10));
    Map<String, int[]> inputs = quantisedInputs(ctx, D, 99);
    InProcessRound round = new InProcessRound(ctx, D);
    drop.accept(round);
    UnmaskedSum sum = completed(round.run(inputs));
    List<String> survivors = ctx.roster().stream().filter(s -> !dropped.contains(s)).toList();
    assertEquals(survivors, sum.survivors());
    assertArrayEquals(InProcessRound.plainSum(inputs, survivors, D), sum.sum());
  }

  @Test void sitesDroppingBeforeKeyAdvertisementAreLeftOutOfTheExactSum() {
    assertExactWithDropouts(r -> r.dropBeforeKeys.addAll(Set.of("hospital-001", "hospital-007")),
        Set.of("hospital-001", "hospital-007"));
  }

  @Test void sitesDroppingBeforeShareExchangeAreLeftOutOfTheExactSum() {
    assertExactWithDropouts(r -> r.dropBeforeShares.addAll(Set.of("hospital-000", "hospital-009", "hospital-005")),
        Set.of("hospital-000", "hospital-009", "hospital-005"));
  }

  @Test void sitesDroppingAfterShareExchangeHaveTheirPairwiseMasksRemoved() {
    assertExactWithDropouts(r -> r.dropBeforeMaskedInput.addAll(Set.of("hospital-002", "hospital-008")),
        Set.of("hospital-002", "hospital-008"));
  }

  @Test void sitesDroppingAfterMaskedInputAreStillInTheExactSum() {
    assertExactWithDropouts(r -> r.dropBeforeUnmask.addAll(Set.of("hospital-003", "hospital-004", "hospital-006")),
        Set.of());
  }

  @Test void dropoutsAtEveryStageTogetherStillGiveTheSurvivorsExactSum() {
    assertExactWithDropouts(r -> {
      r.dropBeforeKeys.add("hospital-000");
      r.dropBeforeShares.add("hospital-001");
      r.dropBeforeMaskedInput.add("hospital-002");
      r.dropBeforeUnmask.add("hospital-003");
    }, Set.of("hospital-000", "hospital-001", "hospital-002"));
  }

  private static Step.Abort<UnmaskedSum> aborted(Consumer<InProcessRound> drop) {
    RoundContext ctx = RoundContext.of("study-abort", 4, 1, InProcessRound.roster(6));
    InProcessRound round = new InProcessRound(ctx, 50);
    drop.accept(round);
    Step<UnmaskedSum> step = round.run(quantisedInputs(ctx, 50, 3));
    assertInstanceOf(Step.Abort.class, step);
    assertEquals(SecAggCoordinator.Stage.ABORTED, round.coordinator.stage());
    assertTrue(round.coordinator.abortReason().isPresent());
    return (Step.Abort<UnmaskedSum>) step;
  }

  @Test void tooFewKeyAdvertisementsAbortTheRoundWithItsReason() {
    Step.Abort<UnmaskedSum> a = aborted(r -> r.dropBeforeKeys.addAll(Set.of("hospital-000", "hospital-001", "hospital-002")));
    assertEquals(SecAggCoordinator.Stage.COLLECTING_KEYS, a.stage());
    assertTrue(a.reason().contains("only 3 of 6 sites advertised keys"), a.reason());
    assertTrue(a.reason().contains("threshold is 4"), a.reason());
  }

  @Test void tooFewShareMessagesAbortTheRound() {
    Step.Abort<UnmaskedSum> a = aborted(r -> r.dropBeforeShares.addAll(Set.of("hospital-003", "hospital-004", "hospital-005")));
    assertEquals(SecAggCoordinator.Stage.COLLECTING_SHARES, a.stage());
  }

  @Test void tooFewMaskedInputsAbortTheRoundBeforeAnyShareIsRevealed() {
    InProcessRound[] holder = new InProcessRound[1];
    Step.Abort<UnmaskedSum> a = aborted(r -> {
      holder[0] = r;
      r.dropBeforeKeys.add("hospital-000");
      r.dropBeforeMaskedInput.addAll(Set.of("hospital-001", "hospital-002"));
    });
    assertEquals(SecAggCoordinator.Stage.COLLECTING_MASKED_INPUTS, a.stage());
    assertTrue(holder[0].received.stream().noneMatch(m -> m instanceof UnmaskResponse));
    assertEquals(null, holder[0].unmaskRequest);
  }

  @Test void tooFewUnmaskResponsesAbortTheRoundWithoutASum() {
    Step.Abort<UnmaskedSum> a = aborted(r -> r.dropBeforeUnmask.addAll(Set.of("hospital-001", "hospital-002", "hospital-005")));
    assertEquals(SecAggCoordinator.Stage.COLLECTING_UNMASK_RESPONSES, a.stage());
    assertTrue(a.reason().contains("survivors answered the unmask request"), a.reason());
  }

  @Test void abortedStepThrowsItsReasonWhenForced() {
    Step.Abort<UnmaskedSum> a = aborted(r -> r.dropBeforeKeys.addAll(Set.of("hospital-000", "hospital-001", "hospital-002")));
    SecAggException e = assertThrows(SecAggException.class, a::orElseThrow);
    assertEquals(SecAggException.Reason.TOO_FEW_SURVIVORS, e.reason());
  }

  @Test void stageMethodsOutOfOrderNameTheExpectedStage() {
    RoundContext ctx = RoundContext.of("study-order", 1, 0, InProcessRound.roster(3));
    InProcessRound round = new InProcessRound(ctx, 10);
    SecAggSite site = round.sites.get("hospital-000");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> site.maskedInput(List.of(), new int[10]));
    assertEquals("site hospital-000 cannot send masked input in stage NEW; expected stage SHARES_SENT "
        + "(study study-order round 1 attempt 0)", e.getMessage());
    IllegalStateException c = assertThrows(IllegalStateException.class, round.coordinator::closeMaskedInputs);
    assertTrue(c.getMessage().contains("expected stage COLLECTING_MASKED_INPUTS"), c.getMessage());
    site.advertiseKeys();
    assertThrows(IllegalStateException.class, site::advertiseKeys);
  }

  @Test void maskedInputOfTheWrongLengthIsRefusedAndTheRoundGoesOn() {
    RoundContext ctx = RoundContext.of("study-length", 1, 0, InProcessRound.roster(3));
    SecAggCoordinator coordinator = new SecAggCoordinator(ctx, 10, InProcessRound.verifier());
    Map<String, SecAggSite> sites = new InProcessRound(ctx, 10).sites;
    sites.values().forEach(s -> coordinator.acceptKeys(s.advertiseKeys()));
    List<AdvertiseKeys> ads = coordinator.closeKeyAdvertisement().orElseThrow();
    sites.values().forEach(s -> coordinator.acceptShares(s.shareKeys(ads)));
    Map<String, List<EncryptedShare>> routed = coordinator.closeShareExchange().orElseThrow();
    MaskedInput wrong = sites.get("hospital-000").maskedInput(routed.get("hospital-000"), new int[9]);
    SecAggException e = assertThrows(SecAggException.class, () -> coordinator.acceptMaskedInput(wrong));
    assertEquals(SecAggException.Reason.MALFORMED_MESSAGE, e.reason());
    assertEquals(SecAggCoordinator.Stage.COLLECTING_MASKED_INPUTS, coordinator.stage());
  }

  @Test void maskExpansionInParallelRangesEqualsOneSequentialPass() {
    Random random = new Random(5);
    List<Masks.Job> jobs = new ArrayList<>();
    for (int j = 0; j < 5; j++) {
      byte[] key = new byte[32];
      random.nextBytes(key);
      jobs.add(new Masks.Job(key, j % 2 == 1));
    }
    int length = 3 * Masks.CHUNK_INTS * 4 + 13;
    int[] sequential = new int[length];
    Masks.apply(sequential, jobs, 0, length);
    int[] parallel = new int[length];
    Masks.applyParallel(parallel, jobs, 3);
    assertArrayEquals(sequential, parallel);
    int[] pieces = new int[length];
    Masks.apply(pieces, jobs, 0, 4 * 1001);
    Masks.apply(pieces, jobs, 4 * 1001, length);
    assertArrayEquals(sequential, pieces);
    assertFalse(java.util.Arrays.stream(sequential).allMatch(v -> v == 0));
  }
}
