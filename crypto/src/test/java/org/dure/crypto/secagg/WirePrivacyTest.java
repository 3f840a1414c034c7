package org.dure.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WirePrivacyTest {
  private static final int D = 4096;
  /** Chi-squared with 255 degrees of freedom exceeds this with probability about 1e-6. */
  private static final double CHI2_255_P1E6 = 377;

  private static Map<String, int[]> inputs(RoundContext ctx) {
    Random random = new Random(11);
    Quantizer q = new Quantizer(1.0, ctx.size());
    Map<String, int[]> inputs = new HashMap<>();
    for (String site : ctx.roster()) {
      float[] update = new float[D];
      for (int i = 0; i < D; i++) update[i] = (float) (random.nextGaussian() * 0.5);
      inputs.put(site, q.encode(update, 1.0 / ctx.size()));
    }
    return inputs;
  }

  @Test void nothingTheCoordinatorReceivesContainsAnySitesQuantisedInput() {
    RoundContext ctx = RoundContext.of("study-wire", 5, 0, InProcessRound.roster(10));
    Map<String, int[]> inputs = inputs(ctx);
    InProcessRound round = new InProcessRound(ctx, D);
    round.dropBeforeMaskedInput.add("hospital-006");
    UnmaskedSum sum = round.run(inputs).orElseThrow();
    assertEquals(9, sum.survivors().size());

    byte[] wire = serialise(round.received);
    Set<String> windows = new HashSet<>();
    for (int[] x : inputs.values()) {
      for (int i = 0; i + 4 <= x.length; i++) windows.add(key(x, i));
    }
    int found = 0;
    ByteBuffer b = ByteBuffer.wrap(wire).order(ByteOrder.LITTLE_ENDIAN);
    for (int off = 0; off + 16 <= wire.length; off++) {
      if (windows.contains(b.getInt(off) + "," + b.getInt(off + 4) + "," + b.getInt(off + 8) + "," + b.getInt(off + 12))) {
        found++;
      }
    }
    assertEquals(0, found, "a 16-byte run of some site's quantised input appears in what the coordinator received");
    for (SecAggMessage m : round.received) {
      if (!(m instanceof MaskedInput masked)) continue;
      int[] y = masked.masked(), x = inputs.get(masked.siteId());
      int equal = 0;
      for (int i = 0; i < D; i++) if (y[i] == x[i]) equal++;
      assertTrue(equal <= 1, masked.siteId() + "'s masked input equals its input at " + equal + " positions");
    }
    // The sanity check behind the search: the plain inputs themselves would be found.
    assertTrue(windows.contains(key(inputs.get("hospital-000"), 17)));
  }

  @Test void maskedVectorsLookUniformButAQuantisedVectorDoesNot() {
    RoundContext ctx = RoundContext.of("study-uniform", 6, 0, InProcessRound.roster(8));
    Map<String, int[]> inputs = inputs(ctx);
    InProcessRound round = new InProcessRound(ctx, D);
    round.run(inputs).orElseThrow();
    int maskedCount = 0;
    for (SecAggMessage m : round.received) {
      if (!(m instanceof MaskedInput masked)) continue;
      maskedCount++;
      double chi2 = byteChiSquared(masked.masked());
      assertTrue(chi2 < CHI2_255_P1E6, masked.siteId() + "'s masked vector fails the uniformity test: chi2 = " + chi2);
    }
    assertEquals(8, maskedCount);
    double plain = byteChiSquared(inputs.get("hospital-000"));
    assertTrue(plain > CHI2_255_P1E6, "the test has no power: an unmasked quantised vector passes with chi2 = " + plain);
  }

  @Test void everySiteRefusesARequestForBothSharesOfOnePeer() {
    RoundContext ctx = RoundContext.of("study-both", 7, 0, InProcessRound.roster(6));
    InProcessRound round = new InProcessRound(ctx, 16);
    Map<String, List<EncryptedShare>> routed = exchangeShares(round);
    routed.forEach((site, shares) -> round.sites.get(site).maskedInput(shares, new int[16]));
    UnmaskRequest greedy = new UnmaskRequest(ctx.roster(), List.of("hospital-003"));
    for (SecAggSite site : round.sites.values()) {
      SecAggException e = assertThrows(SecAggException.class, () -> site.unmask(greedy));
      assertEquals(SecAggException.Reason.UNSAFE_UNMASK_REQUEST, e.reason());
      assertTrue(e.getMessage().contains("both the self-mask seed share and the mask-key share of site hospital-003"),
          e.getMessage());
      assertEquals(SecAggSite.Stage.ABORTED, site.stage());
      UnmaskRequest honest = new UnmaskRequest(ctx.roster(), List.of());
      assertThrows(IllegalStateException.class, () -> site.unmask(honest), "an aborted site must not answer again");
    }
  }

  @Test void aSiteAnswersOnlyOneUnmaskRequestPerRound() {
    RoundContext ctx = RoundContext.of("study-once", 7, 0, InProcessRound.roster(4));
    InProcessRound round = new InProcessRound(ctx, 16);
    Map<String, List<EncryptedShare>> routed = exchangeShares(round);
    routed.forEach((site, shares) -> round.sites.get(site).maskedInput(shares, new int[16]));
    SecAggSite site = round.sites.get("hospital-000");
    UnmaskResponse first = site.unmask(new UnmaskRequest(ctx.roster(), List.of()));
    assertTrue(first.shares().stream().allMatch(s -> s.kind() == RevealedShare.Kind.SELF_MASK_SEED));
    List<String> three = ctx.roster().subList(0, 3);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> site.unmask(new UnmaskRequest(three, List.of("hospital-003"))));
    assertTrue(e.getMessage().contains("in stage DONE"), e.getMessage());
  }

  @Test void aSiteRefusesToRevealTheSeedShareOfAPeerItConsidersDropped() {
    RoundContext ctx = RoundContext.of("study-view", 7, 0, InProcessRound.roster(5));
    InProcessRound round = new InProcessRound(ctx, 16);
    Map<String, List<EncryptedShare>> routed = exchangeShares(round);
    SecAggSite site = round.sites.get("hospital-000");
    List<EncryptedShare> withoutOne = routed.get("hospital-000").stream()
        .filter(s -> !s.sender().equals("hospital-004")).toList();
    site.maskedInput(withoutOne, new int[16]);
    SecAggException e = assertThrows(SecAggException.class,
        () -> site.unmask(new UnmaskRequest(ctx.roster(), List.of())));
    assertEquals(SecAggException.Reason.UNSAFE_UNMASK_REQUEST, e.reason());
    assertTrue(e.getMessage().contains("hospital-004 is named as a survivor, but its shares never reached this site"),
        e.getMessage());
  }

  @Test void aTamperedShareCiphertextIsRejectedWithAClearError() {
    RoundContext ctx = RoundContext.of("study-tamper", 8, 0, InProcessRound.roster(4));
    InProcessRound round = new InProcessRound(ctx, 16);
    Map<String, List<EncryptedShare>> routed = exchangeShares(round);
    List<EncryptedShare> inbox = new ArrayList<>(routed.get("hospital-002"));
    EncryptedShare original = inbox.get(0);
    byte[] ct = original.ciphertext();
    ct[5] ^= 0x01;
    inbox.set(0, new EncryptedShare(original.sender(), original.recipient(), original.nonce(), ct));
    SecAggException e = assertThrows(SecAggException.class,
        () -> round.sites.get("hospital-002").maskedInput(inbox, new int[16]));
    assertEquals(SecAggException.Reason.SHARE_REJECTED, e.reason());
    assertEquals("site hospital-002 (study study-tamper round 8 attempt 0): the encrypted share from "
        + original.sender() + " to hospital-002 failed authentication: it was altered in transit, or was made for "
        + "another study, round, attempt or recipient (a replay); discard it and check the route", e.getMessage());
    assertEquals(SecAggSite.Stage.ABORTED, round.sites.get("hospital-002").stage());
  }

  @Test void aShareReplayedIntoAnotherRoundIsRejected() {
    List<String> roster = InProcessRound.roster(4);
    InProcessRound roundA = new InProcessRound(RoundContext.of("study-replay", 1, 0, roster), 16);
    InProcessRound roundB = new InProcessRound(RoundContext.of("study-replay", 2, 0, roster), 16);
    Map<String, List<EncryptedShare>> oldShares = exchangeShares(roundA);
    Map<String, List<EncryptedShare>> newShares = exchangeShares(roundB);
    List<EncryptedShare> inbox = new ArrayList<>(newShares.get("hospital-001"));
    EncryptedShare replayed = oldShares.get("hospital-001").get(0);
    inbox.removeIf(s -> s.sender().equals(replayed.sender()));
    inbox.add(replayed);
    SecAggException e = assertThrows(SecAggException.class,
        () -> roundB.sites.get("hospital-001").maskedInput(inbox, new int[16]));
    assertEquals(SecAggException.Reason.SHARE_REJECTED, e.reason());
    assertTrue(e.getMessage().contains("made for another study, round, attempt or recipient"), e.getMessage());
  }

  @Test void aShareReplayedToAnotherRecipientIsRejected() {
    RoundContext ctx = RoundContext.of("study-redirect", 3, 0, InProcessRound.roster(4));
    InProcessRound round = new InProcessRound(ctx, 16);
    Map<String, List<EncryptedShare>> routed = exchangeShares(round);
    EncryptedShare forOne = routed.get("hospital-001").stream()
        .filter(s -> s.sender().equals("hospital-000")).findFirst().orElseThrow();
    List<EncryptedShare> inbox = new ArrayList<>(routed.get("hospital-002"));
    inbox.removeIf(s -> s.sender().equals("hospital-000"));
    inbox.add(new EncryptedShare("hospital-000", "hospital-002", forOne.nonce(), forOne.ciphertext()));
    SecAggException relabelled = assertThrows(SecAggException.class,
        () -> round.sites.get("hospital-002").maskedInput(inbox, new int[16]));
    assertEquals(SecAggException.Reason.SHARE_REJECTED, relabelled.reason());

    List<EncryptedShare> misrouted = new ArrayList<>(routed.get("hospital-003"));
    misrouted.add(forOne);
    SecAggException e = assertThrows(SecAggException.class,
        () -> round.sites.get("hospital-003").maskedInput(misrouted, new int[16]));
    assertEquals(SecAggException.Reason.NOT_IN_ROUND, e.reason());
    assertTrue(e.getMessage().contains("a share addressed to hospital-001 was delivered to this site"), e.getMessage());
  }

  @Test void aRepeatedShareIsRejected() {
    RoundContext ctx = RoundContext.of("study-dup", 3, 0, InProcessRound.roster(3));
    InProcessRound round = new InProcessRound(ctx, 16);
    Map<String, List<EncryptedShare>> routed = exchangeShares(round);
    List<EncryptedShare> inbox = new ArrayList<>(routed.get("hospital-000"));
    inbox.add(inbox.get(0));
    SecAggException e = assertThrows(SecAggException.class,
        () -> round.sites.get("hospital-000").maskedInput(inbox, new int[16]));
    assertEquals(SecAggException.Reason.DUPLICATE_MESSAGE, e.reason());
  }

  @Test void aKeyAdvertisementWithABadSignatureIsRejectedByCoordinatorAndSites() {
    RoundContext ctx = RoundContext.of("study-sig", 9, 0, InProcessRound.roster(4));
    InProcessRound round = new InProcessRound(ctx, 16);
    List<AdvertiseKeys> ads = new ArrayList<>();
    round.sites.values().forEach(s -> ads.add(s.advertiseKeys()));
    AdvertiseKeys honest = ads.get(1);
    byte[] otherKey = ads.get(2).sPublicKey();
    AdvertiseKeys substituted = new AdvertiseKeys(honest.siteId(), honest.cPublicKey(), otherKey, honest.signature());
    SecAggException atCoordinator = assertThrows(SecAggException.class, () -> round.coordinator.acceptKeys(substituted));
    assertEquals(SecAggException.Reason.BAD_SIGNATURE, atCoordinator.reason());
    assertTrue(atCoordinator.getMessage().contains("the key advertisement of site hospital-001 does not carry a valid "
        + "signature by that site's long-term key"), atCoordinator.getMessage());

    AdvertiseKeys signedByAnother = new AdvertiseKeys(honest.siteId(), honest.cPublicKey(), honest.sPublicKey(),
        ads.get(3).signature());
    assertThrows(SecAggException.class, () -> round.coordinator.acceptKeys(signedByAnother));

    List<AdvertiseKeys> forged = new ArrayList<>(ads);
    forged.set(1, substituted);
    SecAggException atSite = assertThrows(SecAggException.class, () -> round.sites.get("hospital-000").shareKeys(forged));
    assertEquals(SecAggException.Reason.BAD_SIGNATURE, atSite.reason());
  }

  @Test void aKeyAdvertisementSignedForAnotherRoundIsRejected() {
    List<String> roster = InProcessRound.roster(3);
    InProcessRound old = new InProcessRound(RoundContext.of("study-sig", 1, 0, roster), 16);
    InProcessRound now = new InProcessRound(RoundContext.of("study-sig", 1, 1, roster), 16);
    AdvertiseKeys stale = old.sites.get("hospital-002").advertiseKeys();
    SecAggException e = assertThrows(SecAggException.class, () -> now.coordinator.acceptKeys(stale));
    assertEquals(SecAggException.Reason.BAD_SIGNATURE, e.reason());
  }

  @Test void sitesOutsideTheRosterAreRefused() {
    RoundContext ctx = RoundContext.of("study-roster", 1, 0, InProcessRound.roster(3));
    InProcessRound round = new InProcessRound(ctx, 16);
    RoundContext other = RoundContext.of("study-roster", 1, 0, List.of("hospital-000", "intruder", "hospital-002"));
    AdvertiseKeys intruder = new SecAggSite(other, "intruder", SecAggSigner.ecdsa(InProcessRound.longTerm("intruder")
        .getPrivate()), InProcessRound.verifier()).advertiseKeys();
    SecAggException e = assertThrows(SecAggException.class, () -> round.coordinator.acceptKeys(intruder));
    assertEquals(SecAggException.Reason.NOT_IN_ROUND, e.reason());
    assertThrows(IllegalArgumentException.class,
        () -> new SecAggSite(ctx, "intruder", m -> new byte[0], InProcessRound.verifier()));
  }

  @Test void revealedMaskKeyMustMatchTheAdvertisedKey() {
    RoundContext ctx = RoundContext.of("study-lie", 1, 0, InProcessRound.roster(3));
    InProcessRound round = new InProcessRound(ctx, 16);
    Map<String, List<EncryptedShare>> routed = exchangeShares(round);
    for (String s : List.of("hospital-000", "hospital-001")) {
      round.coordinator.acceptMaskedInput(round.sites.get(s).maskedInput(routed.get(s), new int[16]));
    }
    UnmaskRequest request = round.coordinator.closeMaskedInputs().orElseThrow();
    assertEquals(List.of("hospital-002"), request.dropped());
    for (String s : request.survivors()) {
      UnmaskResponse r = round.sites.get(s).unmask(request);
      List<RevealedShare> lied = new ArrayList<>();
      for (RevealedShare share : r.shares()) {
        byte[] v = share.share();
        if (share.kind() == RevealedShare.Kind.MASK_KEY) v[32] ^= 1;
        lied.add(new RevealedShare(share.owner(), share.kind(), v));
      }
      round.coordinator.acceptUnmaskResponse(new UnmaskResponse(s, lied));
    }
    Step<UnmaskedSum> step = round.coordinator.closeUnmasking();
    assertTrue(step.aborted());
    assertTrue(((Step.Abort<UnmaskedSum>) step).reason().contains("does not match its advertised key"));
  }

  private static Map<String, List<EncryptedShare>> exchangeShares(InProcessRound round) {
    round.sites.values().forEach(s -> round.coordinator.acceptKeys(s.advertiseKeys()));
    List<AdvertiseKeys> ads = round.coordinator.closeKeyAdvertisement().orElseThrow();
    round.sites.values().forEach(s -> round.coordinator.acceptShares(s.shareKeys(ads)));
    return round.coordinator.closeShareExchange().orElseThrow();
  }

  private static String key(int[] x, int i) {
    return x[i] + "," + x[i + 1] + "," + x[i + 2] + "," + x[i + 3];
  }

  private static double byteChiSquared(int[] values) {
    long[] counts = new long[256];
    for (int v : values) {
      counts[v & 0xff]++;
      counts[(v >>> 8) & 0xff]++;
      counts[(v >>> 16) & 0xff]++;
      counts[v >>> 24]++;
    }
    double expected = values.length * 4 / 256.0, chi2 = 0;
    for (long c : counts) chi2 += (c - expected) * (c - expected) / expected;
    return chi2;
  }

  /** Everything the coordinator received, as bytes: ids, keys, signatures, ciphertexts, masked ints, shares. */
  private static byte[] serialise(List<SecAggMessage> messages) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (SecAggMessage m : messages) {
      if (m instanceof AdvertiseKeys a) {
        out.writeBytes(a.siteId().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(a.cPublicKey());
        out.writeBytes(a.sPublicKey());
        out.writeBytes(a.signature());
      } else if (m instanceof ShareKeys s) {
        for (EncryptedShare e : s.shares()) {
          out.writeBytes(e.nonce());
          out.writeBytes(e.ciphertext());
        }
      } else if (m instanceof MaskedInput mi) {
        ByteBuffer b = ByteBuffer.allocate(4 * mi.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(mi.masked());
        out.writeBytes(b.array());
      } else if (m instanceof UnmaskResponse r) {
        for (RevealedShare s : r.shares()) out.writeBytes(s.share());
      }
    }
    byte[] bytes = out.toByteArray();
    assertFalse(bytes.length < 4 * D);
    return bytes;
  }
}
