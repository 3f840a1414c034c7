package org.dure.crypto.secagg;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Drives one round in-process: real sites (with EC P-256 long-term keys and SHA256withECDSA signatures) and a real
 * coordinator, with sites dropping out before chosen stages. Records every message the coordinator receives.
 */
final class InProcessRound {
  private static final Map<String, KeyPair> LONG_TERM = new ConcurrentHashMap<>();

  final RoundContext context;
  final Map<String, SecAggSite> sites = new LinkedHashMap<>();
  final SecAggCoordinator coordinator;
  final List<SecAggMessage> received = new ArrayList<>();
  final Set<String> dropBeforeKeys = new HashSet<>();
  final Set<String> dropBeforeShares = new HashSet<>();
  final Set<String> dropBeforeMaskedInput = new HashSet<>();
  final Set<String> dropBeforeUnmask = new HashSet<>();
  Map<String, List<EncryptedShare>> routed;
  UnmaskRequest unmaskRequest;

  InProcessRound(RoundContext context, int length) {
    this.context = context;
    for (String site : context.roster()) {
      sites.put(site, new SecAggSite(context, site, SecAggSigner.ecdsa(longTerm(site).getPrivate()), verifier()));
    }
    this.coordinator = new SecAggCoordinator(context, length, verifier());
  }

  static List<String> roster(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) ids.add(String.format("hospital-%03d", i));
    return ids;
  }

  static KeyPair longTerm(String site) {
    return LONG_TERM.computeIfAbsent(site, s -> {
      try {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /**
   * SHA256withECDSA with the sites' long-term keys. All sites of the simulation share one verifier, which remembers
   * results by the exact (site, message, signature) bytes: each real site verifies its ~k neighbours itself (about
   * 2 ms each here), but n simulated sites in one JVM would otherwise repeat the same verifications n times.
   */
  static SecAggVerifier verifier() {
    SecAggVerifier ecdsa = SecAggVerifier.ecdsa(site -> {
      KeyPair k = LONG_TERM.get(site);
      PublicKey p = k == null ? null : k.getPublic();
      return p;
    });
    return (site, message, signature) -> VERIFIED.computeIfAbsent(
        site + "|" + Base64.getEncoder().encodeToString(message) + "|" + Base64.getEncoder().encodeToString(signature),
        k -> ecdsa.verify(site, message, signature));
  }

  private static final Map<String, Boolean> VERIFIED = new ConcurrentHashMap<>();

  /** Runs all four stages; the result is the coordinator's last step (an abort at whichever stage it happened). */
  Step<UnmaskedSum> run(Map<String, int[]> inputs) {
    List<AdvertiseKeys> ads = null;
    for (var e : sites.entrySet()) {
      if (dropBeforeKeys.contains(e.getKey())) continue;
      AdvertiseKeys ad = e.getValue().advertiseKeys();
      received.add(ad);
      coordinator.acceptKeys(ad);
    }
    Step<List<AdvertiseKeys>> keys = coordinator.closeKeyAdvertisement();
    if (keys instanceof Step.Abort<List<AdvertiseKeys>> a) return new Step.Abort<>(a.stage(), a.reason());
    ads = keys.orElseThrow();
    for (AdvertiseKeys ad : ads) {
      if (dropBeforeShares.contains(ad.siteId())) continue;
      ShareKeys shares = sites.get(ad.siteId()).shareKeys(ads);
      received.add(shares);
      coordinator.acceptShares(shares);
    }
    Step<Map<String, List<EncryptedShare>>> shares = coordinator.closeShareExchange();
    if (shares instanceof Step.Abort<Map<String, List<EncryptedShare>>> a) {
      return new Step.Abort<>(a.stage(), a.reason());
    }
    routed = shares.orElseThrow();
    for (var e : routed.entrySet()) {
      if (dropBeforeMaskedInput.contains(e.getKey())) continue;
      MaskedInput masked = sites.get(e.getKey()).maskedInput(e.getValue(), inputs.get(e.getKey()));
      received.add(masked);
      coordinator.acceptMaskedInput(masked);
    }
    Step<UnmaskRequest> request = coordinator.closeMaskedInputs();
    if (request instanceof Step.Abort<UnmaskRequest> a) return new Step.Abort<>(a.stage(), a.reason());
    unmaskRequest = request.orElseThrow();
    for (String survivor : unmaskRequest.survivors()) {
      if (dropBeforeUnmask.contains(survivor)) continue;
      UnmaskResponse response = sites.get(survivor).unmask(unmaskRequest);
      received.add(response);
      coordinator.acceptUnmaskResponse(response);
    }
    return coordinator.closeUnmasking();
  }

  /** The plain sum mod 2^32 of the given sites' inputs. */
  static int[] plainSum(Map<String, int[]> inputs, List<String> over, int length) {
    int[] sum = new int[length];
    for (String s : over) {
      int[] x = inputs.get(s);
      for (int i = 0; i < length; i++) sum[i] += x[i];
    }
    return sum;
  }
}
