package org.dure.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.dure.ledger.EventType;
import org.dure.ledger.LogVerifier;
import org.dure.ledger.TransparencyLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench ledger}: how fast the participation ledger ({@code org.dure.ledger.TransparencyLog}) makes entries
 * durable. Each run opens a fresh log in a temporary directory and has N appender threads log realistic
 * {@code CONTRIBUTION_RECEIVED} entries (three SHA-256 hashes and a sample count) with {@code appendAndWait}, each
 * waiting until its entry is signed, written and synced before logging the next, as the coordinator waits before
 * acknowledging a contribution. Reported: entries per second (median, min and max over the runs) and the median
 * time one append waits.
 *
 * <p>Two modes: group commit (the log's default: the writer syncs once per batch of whatever is queued, and signs
 * a batch on one thread per core), and, for contrast, one sync per entry ({@code maxBatch = 1}, one signing
 * thread). Every entry is signed with ECDSA P-256, so the table is bounded by the signing rate printed above it
 * next to the rate of raw 400-byte write+fsync on the same file system.
 */
@Command(name = "ledger", mixinStandardHelpOptions = true,
    description = "Ledger append throughput (entries/s) with group-commit fsync for 1, 4 and 16 concurrent appenders,"
        + " against one fsync per entry.")
public final class LedgerBench implements Callable<Integer> {
  @Option(names = "--appenders", split = ",", defaultValue = "1,4,16",
      description = "Numbers of concurrent appender threads (default: ${DEFAULT-VALUE}).")
  List<Integer> appenders;
  @Option(names = "--entries", defaultValue = "2000", description = "Entries per run (default: ${DEFAULT-VALUE}).")
  int entries;
  @Option(names = "--runs", defaultValue = "5", description = "Timed runs per row; the median is reported (default: ${DEFAULT-VALUE}).")
  int runs;
  @Option(names = "--dir", paramLabel = "DIR",
      description = "Where the temporary logs go (default: the system temporary directory); its file system decides what fsync costs.")
  Path parent;
  @Option(names = "--verify", description = "Also run the ledger verifier on the last log of each row and report its rate.")
  boolean verify;
  @Mixin JsonOutput json;
  @Spec CommandSpec spec;

  private record Mode(String name, TransparencyLog.Options options) {}

  private record Run(double entriesPerSecond, double medianWaitMs, Path dir) {}

  @Override public Integer call() throws Exception {
    for (int n : appenders) {
      if (n < 1) throw new ParameterException(spec.commandLine(), "--appenders entries must be >= 1, was " + n);
    }
    if (entries < 1 || runs < 1) throw new ParameterException(spec.commandLine(), "--entries and --runs must be >= 1");
    Path base = parent == null ? Files.createTempDirectory("dure-ledger-bench") : Files.createTempDirectory(
        Files.createDirectories(parent), "dure-ledger-bench");
    KeyPair keys = keyPair();
    try {
      double signsPerSecond = signsPerSecond(keys);
      double fsyncsPerSecond = fsyncsPerSecond(base);
      System.out.println(String.format(Locale.ROOT, "cores=%d, logs in %s; one thread: %.0f ECDSA P-256 signatures/s,"
          + " %.0f write+fsync/s of 400 bytes", Runtime.getRuntime().availableProcessors(), base, signsPerSecond,
          fsyncsPerSecond));
      TransparencyLog.Options group = TransparencyLog.Options.defaults();
      Mode groupCommit = new Mode("group commit", group);
      Mode perEntry = new Mode("fsync per entry", group.withMaxBatch(1).withSigningThreads(1));
      run(base, keys, groupCommit, 4, Math.min(entries, 500));   // warm-up: JIT, providers

      String header = String.format(Locale.ROOT, "%-16s %9s %10s %10s %10s %9s%s", "mode", "appenders", "entries/s",
          "min", "max", "wait ms", verify ? "  verified/s" : "");
      System.out.println(header);
      System.out.println("-".repeat(header.length()));
      List<Integer> contrast = Stream.of(1, appenders.stream().max(Comparator.naturalOrder()).orElseThrow())
          .distinct().toList();
      for (int n : appenders) row(base, keys, groupCommit, n, signsPerSecond, fsyncsPerSecond);
      for (int n : contrast) row(base, keys, perEntry, n, signsPerSecond, fsyncsPerSecond);
      System.out.println("entries/s: median of " + runs + " runs of " + entries + " entries, each appender waiting for"
          + " its entry to be synced before the next; wait ms: median time one append waited. Group commit syncs once"
          + " per batch and signs a batch on " + group.signingThreads() + " threads; fsync per entry syncs and signs"
          + " one entry at a time.");
    } finally {
      deleteTree(base);
    }
    return 0;
  }

  private void row(Path base, KeyPair keys, Mode mode, int n, double signsPerSecond, double fsyncsPerSecond)
      throws Exception {
    double[] rates = new double[runs];
    double[] waits = new double[runs];
    Path last = null;
    for (int r = 0; r < runs; r++) {
      if (last != null) deleteTree(last);
      Run run = run(base, keys, mode, n, entries);
      rates[r] = run.entriesPerSecond;
      waits[r] = run.medianWaitMs;
      last = run.dir;
    }
    double verifiedPerSecond = Double.NaN;
    if (verify) {
      long t0 = System.nanoTime();
      if (!LogVerifier.verify(last, keys.getPublic()).ok()) throw new IllegalStateException("the bench log does not verify");
      verifiedPerSecond = entries / ((System.nanoTime() - t0) / 1e9);
    }
    deleteTree(last);
    Stats rate = Stats.of(rates);
    double wait = Stats.of(waits).median();
    System.out.println(String.format(Locale.ROOT, "%-16s %9d %10.0f %10.0f %10.0f %9.2f%s", mode.name, n, rate.median(),
        rate.min(), rate.max(), wait, verify ? String.format(Locale.ROOT, "  %10.0f", verifiedPerSecond) : ""));
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("mode", mode.name);
    fields.put("appenders", n);
    fields.put("entries", entries);
    fields.put("runs", runs);
    fields.put("entries_per_s_median", Math.round(rate.median()));
    fields.put("entries_per_s_min", Math.round(rate.min()));
    fields.put("entries_per_s_max", Math.round(rate.max()));
    fields.put("append_wait_ms_median", Math.round(wait * 100) / 100.0);
    fields.put("max_batch", mode.options.maxBatch());
    fields.put("signing_threads", mode.options.signingThreads());
    fields.put("sign_per_s_one_thread", Math.round(signsPerSecond));
    fields.put("fsync_per_s_one_thread", Math.round(fsyncsPerSecond));
    if (verify) fields.put("verified_per_s", Math.round(verifiedPerSecond));
    json.write("ledger", fields);
  }

  private static Run run(Path base, KeyPair keys, Mode mode, int threads, int total) throws Exception {
    Path dir = Files.createTempDirectory(base, "log");
    AtomicInteger next = new AtomicInteger();
    double[][] waits = new double[threads][];
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    Throwable[] failure = new Throwable[1];
    long elapsed;
    try (TransparencyLog log = TransparencyLog.open(dir, keys.getPrivate(), keys.getPublic(), mode.options)) {
      for (int t = 0; t < threads; t++) {
        int id = t;
        Thread worker = new Thread(() -> {
          double[] mine = new double[total];
          int count = 0;
          try {
            start.await();
            for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
              ObjectNode details = contribution(i);
              long t0 = System.nanoTime();
              log.appendAndWait(EventType.CONTRIBUTION_RECEIVED, "bench-study", "site-" + (i % 50), "site-" + (i % 50),
                  details, null);
              mine[count++] = (System.nanoTime() - t0) / 1e6;
            }
          } catch (Throwable e) {
            synchronized (failure) {
              failure[0] = e;
            }
          }
          waits[id] = Arrays.copyOf(mine, count);
        }, "ledger-bench-appender-" + t);
        workers.add(worker);
        worker.start();
      }
      long t0 = System.nanoTime();
      start.countDown();
      for (Thread w : workers) w.join();
      elapsed = System.nanoTime() - t0;
      if (failure[0] != null) throw new IllegalStateException("an appender failed: " + failure[0], failure[0]);
      if (log.size() != total) throw new IllegalStateException("logged " + log.size() + " entries, expected " + total);
    }
    double[] all = Arrays.stream(waits).flatMapToDouble(Arrays::stream).toArray();
    return new Run(total / (elapsed / 1e9), Stats.of(all).median(), dir);
  }

  /** What the coordinator logs when a site's contribution arrives: hashes and counts, about 400 bytes a line. */
  private static ObjectNode contribution(int i) {
    Random random = new Random(i);
    ObjectNode d = JsonNodeFactory.instance.objectNode();
    d.put("round", 1 + i / 50);
    d.put("modelSha256", hex(random));
    d.put("sentSha256", hex(random));
    d.put("receiptSha256", hex(random));
    d.put("samples", 1000 + random.nextInt(9000));
    return d;
  }

  private static String hex(Random random) {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** ECDSA P-256 signatures per second on one thread, over 400-byte messages; best of 3 half-second runs. */
  static double signsPerSecond(KeyPair keys) throws Exception {
    byte[] message = new byte[400];
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
      long t0 = System.nanoTime();
      int n = 0;
      while (System.nanoTime() - t0 < 500_000_000L) {
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(keys.getPrivate());
        s.update(message);
        s.sign();
        n++;
      }
      best = Math.max(best, n / ((System.nanoTime() - t0) / 1e9));
    }
    return best;
  }

  /** Appends of 400 bytes each followed by {@code force(false)}, per second, on one thread; best of 3. */
  static double fsyncsPerSecond(Path base) throws IOException {
    Path file = Files.createTempFile(base, "fsync", ".bin");
    double best = 0;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer line = ByteBuffer.allocate(400);
      for (int rep = 0; rep < 3; rep++) {
        long t0 = System.nanoTime();
        int n = 0;
        while (System.nanoTime() - t0 < 300_000_000L) {
          line.clear();
          channel.write(line, channel.size());
          channel.force(false);
          n++;
        }
        best = Math.max(best, n / ((System.nanoTime() - t0) / 1e9));
      }
    } finally {
      Files.deleteIfExists(file);
    }
    return best;
  }

  private static KeyPair keyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) return;
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
