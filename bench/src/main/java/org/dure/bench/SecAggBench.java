package org.dure.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.dure.crypto.secagg.AdvertiseKeys;
import org.dure.crypto.secagg.EncryptedShare;
import org.dure.crypto.secagg.MaskedInput;
import org.dure.crypto.secagg.Quantizer;
import org.dure.crypto.secagg.RoundContext;
import org.dure.crypto.secagg.SecAggCoordinator;
import org.dure.crypto.secagg.SecAggSigner;
import org.dure.crypto.secagg.SecAggSite;
import org.dure.crypto.secagg.SecAggVerifier;
import org.dure.crypto.secagg.ShareKeys;
import org.dure.crypto.secagg.UnmaskRequest;
import org.dure.crypto.secagg.UnmaskResponse;
import org.dure.crypto.secagg.UnmaskedSum;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench secagg}: the cost of secure aggregation ({@code org.dure.crypto.secagg}) for n sites and model size
 * d. For each (n, d) two real rounds run in-process, one without dropouts and one where a fraction of the sites
 * drops after the share exchange (the costly case: their pairwise masks must be rebuilt from the revealed keys).
 *
 * <p>Measured: per-site masking time (the site's {@code maskedInput} stage: share decryption, key agreements and
 * mask expansion; median over {@code --timed-sites} sites run alone on one thread), next to the time the JDK takes to
 * generate the same number of AES-256-CTR keystream bytes with one cipher; the coordinator's unmasking time
 * (accepting the unmask responses and {@code closeUnmasking}: reconstruction plus mask removal, with
 * {@code --threads}); the coordinator's heap (see {@link #heapUsedAfterGc}); and the payload bytes a site sends in a
 * round against raw float32 (4·d). Every site of every round is simulated honestly (untimed sites on
 * {@code --sim-threads} threads) and the unmasked sum is checked against the exact sum of the inputs.
 *
 * <p>Signatures are real SHA256withECDSA (P-256). One verifier is shared by all simulated sites and remembers
 * results by the exact bytes, since each real site would verify its neighbours on its own machine.
 */
@Command(name = "secagg", mixinStandardHelpOptions = true,
    description = "Secure aggregation cost: per-site masking, coordinator unmasking, coordinator heap, bytes per site.")
public final class SecAggBench implements Callable<Integer> {
  @Option(names = "--sites", split = ",", defaultValue = "10,50,100,500",
      description = "Numbers of sites n (default: ${DEFAULT-VALUE}).")
  List<Integer> sites;
  @Option(names = "--sizes", split = ",", defaultValue = "100000,1000000",
      description = "Model sizes d, in parameters (default: ${DEFAULT-VALUE}).")
  List<Integer> sizes;
  @Option(names = "--dropout", defaultValue = "0.1",
      description = "Fraction of sites dropping after the share exchange in the second round (default: ${DEFAULT-VALUE}).")
  double dropout;
  @Option(names = "--timed-sites", defaultValue = "3",
      description = "Sites whose masking is timed alone; the median is reported (default: ${DEFAULT-VALUE}).")
  int timedSites;
  @Option(names = "--threads", defaultValue = "2",
      description = "Coordinator unmasking threads (default: ${DEFAULT-VALUE}).")
  int threads;
  @Option(names = "--sim-threads", defaultValue = "2",
      description = "Threads simulating the untimed sites (default: ${DEFAULT-VALUE}).")
  int simThreads;
  @Option(names = "--seed", defaultValue = "42", description = "Seed of the synthetic updates.")
  long seed;
  @Mixin JsonOutput json;
  @Spec CommandSpec spec;

  private final Map<String, KeyPair> longTerm = new ConcurrentHashMap<>();
  private final Map<String, Boolean> verified = new ConcurrentHashMap<>();

  @Override public Integer call() throws Exception {
    for (int n : sites) if (n < 2) throw new ParameterException(spec.commandLine(), "--sites entries must be >= 2, was " + n);
    for (int d : sizes) if (d < 1) throw new ParameterException(spec.commandLine(), "--sizes entries must be >= 1, was " + d);
    if (!(dropout >= 0 && dropout < 0.5)) {
      throw new ParameterException(spec.commandLine(), "--dropout must be in [0, 0.5), was " + dropout);
    }
    if (timedSites < 1 || threads < 1 || simThreads < 1) {
      throw new ParameterException(spec.commandLine(), "--timed-sites, --threads and --sim-threads must be >= 1");
    }
    System.out.println("cores=" + Runtime.getRuntime().availableProcessors() + " max heap="
        + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB, unmask threads=" + threads
        + ", dropout round: " + dropout + " of the sites drop after the share exchange");
    // Warm-up (JIT, providers), including the timed site path, so the first row is not measured cold.
    for (int i = 0; i < 3; i++) runRound(12, 100_000, 1, 2, true);
    String header = String.format(Locale.ROOT, "%5s %8s %-10s %9s %9s %6s %10s %10s %9s %9s %12s %7s %6s",
        "n", "d", "masking", "mask ms", "aes ms", "ratio", "unmask 0%", "unmask " + Math.round(dropout * 100) + "%",
        "heap MiB", "peak MiB", "bytes/site", "/4d", "exact");
    System.out.println(header);
    System.out.println("-".repeat(header.length()));
    for (int d : sizes) {
      for (int n : sites) {
        RoundResult full = runRound(n, d, 0, timedSites, true);
        RoundResult part = runRound(n, d, (int) Math.floor(dropout * n), 0, false);
        RoundContext ctx = RoundContext.of("bench", 0, 0, roster(n));
        String masking = ctx.sparse() ? "sparse k=" + ctx.neighbours() : "full";
        double ratio = full.maskMs / full.keystreamMs;
        double bytesRatio = full.bytesPerSite / (4.0 * d);
        boolean exact = full.exact && part.exact;
        System.out.println(String.format(Locale.ROOT,
            "%5d %8d %-10s %9.1f %9.1f %6.2f %10.1f %10.1f %9.1f %9.1f %,12d %7.4f %6s",
            n, d, masking, full.maskMs, full.keystreamMs, ratio, full.unmaskMs, part.unmaskMs,
            mib(Math.max(full.retainedBytes, part.retainedBytes)), mib(Math.max(full.peakBytes, part.peakBytes)),
            full.bytesPerSite, bytesRatio, exact));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("sites", n);
        row.put("params", d);
        row.put("masking", masking);
        row.put("threshold", ctx.threshold());
        row.put("site_mask_ms_median", round1(full.maskMs));
        row.put("aes_ctr_keystream_ms", round1(full.keystreamMs));
        row.put("mask_over_keystream", Math.round(ratio * 100) / 100.0);
        row.put("masks_per_site", full.masksPerSite);
        row.put("coord_unmask_ms_0pct", round1(full.unmaskMs));
        row.put("coord_unmask_ms_dropout", round1(part.unmaskMs));
        row.put("dropout", dropout);
        row.put("dropped_sites", part.dropped);
        row.put("coord_heap_retained_mib", round1(mib(Math.max(full.retainedBytes, part.retainedBytes))));
        row.put("coord_heap_peak_mib", round1(mib(Math.max(full.peakBytes, part.peakBytes))));
        row.put("bytes_per_site", full.bytesPerSite);
        row.put("bytes_over_4d", Math.round(bytesRatio * 10000) / 10000.0);
        row.put("unmask_threads", threads);
        row.put("exact", exact);
        json.write("secagg", row);
      }
    }
    System.out.println("mask ms: a site's maskedInput stage (median of the timed sites, after one warm-up site); aes ms: the JDK's AES-256-CTR keystream for the same "
        + "number of ints (1 + neighbours) x d; heap: coordinator heap retained after collecting all masked inputs; "
        + "peak: heap peak above the pre-round baseline while unmasking (upper bound: includes uncollected garbage); "
        + "bytes/site: payload of keys, shares, masked input and unmask response, without transport framing.");
    return 0;
  }

  private record RoundResult(double maskMs, double keystreamMs, int masksPerSite, double unmaskMs, long retainedBytes,
      long peakBytes, long bytesPerSite, int dropped, boolean exact) {}

  private RoundResult runRound(int n, int d, int drop, int timed, boolean measureSites) throws Exception {
    List<String> roster = roster(n);
    RoundContext ctx = RoundContext.of("bench-study", 1, measureSites ? 0 : 1, roster);
    Quantizer quantizer = new Quantizer(1.0, n);
    Random random = new Random(seed + n + d);
    float[] update = new float[d];
    for (int i = 0; i < d; i++) update[i] = (float) (random.nextGaussian() * 0.3);
    int[] input = quantizer.encode(update, 1.0 / n);
    update = null;

    SecAggVerifier verifier = verifier();
    Map<String, SecAggSite> siteMap = new LinkedHashMap<>();
    for (String s : roster) {
      siteMap.put(s, new SecAggSite(ctx, s, SecAggSigner.ecdsa(key(s).getPrivate()), verifier));
    }
    long baseline = heapUsedAfterGc();
    SecAggCoordinator coordinator = new SecAggCoordinator(ctx, d, verifier, threads);
    Map<String, Long> bytes = new ConcurrentHashMap<>();
    for (SecAggSite site : siteMap.values()) {
      AdvertiseKeys ad = site.advertiseKeys();
      bytes.merge(site.siteId(), (long) ad.payloadBytes(), Long::sum);
      coordinator.acceptKeys(ad);
    }
    List<AdvertiseKeys> ads = coordinator.closeKeyAdvertisement().orElseThrow();
    parallel(new ArrayList<>(siteMap.values()), site -> {
      ShareKeys shares = site.shareKeys(ads);
      bytes.merge(site.siteId(), (long) shares.payloadBytes(), Long::sum);
      coordinator.acceptShares(shares);
    });
    Map<String, List<EncryptedShare>> routed = new HashMap<>(coordinator.closeShareExchange().orElseThrow());

    // Masked inputs: the last `drop` sites drop out; the first `timed` sites are timed alone.
    // The first sender runs untimed as a warm-up at this size (JIT, heap growth).
    List<SecAggSite> senders = new ArrayList<>(siteMap.values()).subList(0, n - drop);
    double[] maskMs = new double[Math.min(timed, senders.size() - 1)];
    int masksPerSite = 1 + routed.get(senders.get(0).siteId()).size();
    for (int i = -1; i < maskMs.length; i++) {
      SecAggSite site = senders.get(i + 1);
      if (i == -1) {
        MaskedInput masked = site.maskedInput(routed.get(site.siteId()), input);
        bytes.merge(site.siteId(), masked.payloadBytes(), Long::sum);
        coordinator.acceptMaskedInput(masked);
        continue;
      }
      long t0 = System.nanoTime();
      MaskedInput masked = site.maskedInput(routed.get(site.siteId()), input);
      maskMs[i] = (System.nanoTime() - t0) / 1e6;
      bytes.merge(site.siteId(), masked.payloadBytes(), Long::sum);
      coordinator.acceptMaskedInput(masked);
    }
    parallel(senders.subList(maskMs.length + 1, senders.size()), site -> {
      MaskedInput masked = site.maskedInput(routed.get(site.siteId()), input);
      bytes.merge(site.siteId(), masked.payloadBytes(), Long::sum);
      coordinator.acceptMaskedInput(masked);
    });
    routed.clear();
    long retained = heapUsedAfterGc() - baseline;

    UnmaskRequest request = coordinator.closeMaskedInputs().orElseThrow();
    List<UnmaskResponse> responses = new ArrayList<>();
    for (String s : request.survivors()) {
      UnmaskResponse r = siteMap.get(s).unmask(request);
      bytes.merge(s, (long) r.payloadBytes(), Long::sum);
      responses.add(r);
    }
    heapUsedAfterGc();
    resetPeaks();
    long t0 = System.nanoTime();
    for (UnmaskResponse r : responses) coordinator.acceptUnmaskResponse(r);
    UnmaskedSum sum = coordinator.closeUnmasking().orElseThrow();
    double unmaskMs = (System.nanoTime() - t0) / 1e6;
    long peak = heapPeakSinceReset() - baseline;

    int[] got = sum.sum();
    int survivors = sum.survivors().size();
    boolean exact = survivors == n - drop;
    for (int i = 0; i < d && exact; i++) exact = got[i] == input[i] * survivors;

    double keystreamMs = measureSites ? keystreamMs((long) masksPerSite * d) : Double.NaN;
    return new RoundResult(maskMs.length == 0 ? Double.NaN : Stats.of(maskMs).median(), keystreamMs, masksPerSite,
        unmaskMs, retained, peak, bytes.get(senders.get(0).siteId()), drop, exact);
  }

  /** The JDK alone: AES-256-CTR keystream for {@code ints} 32-bit ints, one cipher, 1 MiB buffers; best of 3. */
  static double keystreamMs(long ints) throws GeneralSecurityException {
    byte[] zeros = new byte[1 << 20], out = new byte[1 << 20];
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < 3; rep++) {
      Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(new byte[32], "AES"), new IvParameterSpec(new byte[16]));
      long t0 = System.nanoTime();
      for (long left = 4 * ints; left > 0; left -= zeros.length) {
        c.update(zeros, 0, (int) Math.min(left, zeros.length), out, 0);
      }
      best = Math.min(best, (System.nanoTime() - t0) / 1e6);
    }
    return best;
  }

  /**
   * Used heap after a full GC (System.gc() twice; with G1 an explicit GC is a full collection). The coordinator's
   * retained memory is this, after collecting all masked inputs, minus the same before the round: everything else
   * alive then (the simulated sites' small key state, the shared input vector) existed at the baseline too.
   */
  static long heapUsedAfterGc() {
    System.gc();
    System.gc();
    long used = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) used += pool.getUsage().getUsed();
    }
    return used;
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) pool.resetPeakUsage();
    }
  }

  /** Sum of the heap pools' peak usage since the reset: an upper bound on the true peak (pools peak separately). */
  private static long heapPeakSinceReset() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
    }
    return peak;
  }

  private interface SiteWork {
    void run(SecAggSite site) throws Exception;
  }

  private void parallel(List<SecAggSite> list, SiteWork work) throws Exception {
    if (list.isEmpty()) return;
    ExecutorService pool = Executors.newFixedThreadPool(simThreads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (SecAggSite site : list) {
        futures.add(pool.submit(() -> {
          work.run(site);
          return null;
        }));
      }
      for (Future<?> f : futures) f.get();
    } finally {
      pool.shutdownNow();
    }
  }

  private KeyPair key(String site) {
    return longTerm.computeIfAbsent(site, s -> {
      try {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot generate an EC P-256 key: " + e.getMessage(), e);
      }
    });
  }

  private SecAggVerifier verifier() {
    SecAggVerifier ecdsa = SecAggVerifier.ecdsa(s -> {
      KeyPair k = longTerm.get(s);
      PublicKey p = k == null ? null : k.getPublic();
      return p;
    });
    Base64.Encoder b64 = Base64.getEncoder();
    return (site, message, signature) -> verified.computeIfAbsent(
        site + "|" + b64.encodeToString(message) + "|" + b64.encodeToString(signature),
        k -> ecdsa.verify(site, message, signature));
  }

  private static List<String> roster(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) ids.add(String.format(Locale.ROOT, "site-%04d", i));
    return ids;
  }

  private static double mib(long bytes) {
    return bytes / (double) (1 << 20);
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
