package org.dure.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.dure.learning.data.EncodedDataset;
import org.dure.learning.data.StudyData;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.SiteStatistics;
import org.dure.pseudonymisation.PseudonymisationConfig;
import org.dure.pseudonymisation.PseudonymisedData;
import org.dure.pseudonymisation.Pseudonymiser;
import org.dure.tabular.CsvFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench data}: how fast, and in how much heap, a site prepares a large hospital extract for a study, as the
 * agent does: read the CSV and pseudonymise it into the cache (scan and hash, count the quasi-identifier groups,
 * write the groups of at least k; three reads of the extract), prepare the study's columns from the cache (one read),
 * compute the training statistics and encode both splits as the trainer's float arrays. Each size is a synthetic
 * extract of 10 columns (patient id, birth date, sex, region, bmi, sbp, glucose, ldl, smoking status, outcome)
 * written to a temporary directory first (not timed).
 *
 * <p>Reported per size: the seconds of each stage, rows per second over all of them, and the heap: the largest heap
 * in use (sampled every 5 ms, garbage included) and the largest heap left after a garbage collection (what the
 * stages actually hold). Run it with the heap the agent has ({@code ./dure} uses {@code -Xmx2g}).
 */
@Command(name = "data", mixinStandardHelpOptions = true,
    description = "Rows/s and peak heap for reading, pseudonymising and encoding synthetic extracts of 1M and 10M rows"
        + " (100M with --rows 100000000).")
public final class DataBench implements Callable<Integer> {
  @Option(names = "--rows", split = ",", defaultValue = "1000000,10000000",
      description = "Extract sizes in rows (default: ${DEFAULT-VALUE}; 100000000 takes several minutes and ~12 GB of disk).")
  List<Long> sizes;
  @Option(names = "--dir", paramLabel = "DIR", description = "Where the extracts and caches go (default: the system temporary directory).")
  Path parent;
  @Option(names = "--seed", defaultValue = "7", description = "Seed of the synthetic extract (default: ${DEFAULT-VALUE}).")
  long seed;
  @Mixin JsonOutput json;
  @Spec CommandSpec spec;

  static final String STUDY = """
      {"name": "bench-data", "model": {"kind": "logistic_regression"},
       "features": ["bmi", "sbp", "glucose", "ldl",
                    {"name": "sex", "type": "categorical", "categories": ["F", "M"]},
                    {"name": "smoking_status", "type": "categorical", "categories": ["never", "former", "current"]}],
       "label": {"column": "outcome", "positive": "1"}, "missingValues": "impute_mean",
       "training": {"rounds": 10, "localEpochs": 1, "batchSize": 256, "learningRate": 0.05, "optimizer": "sgd", "seed": 42},
       "aggregation": {"strategy": "fedavg"}, "minSites": 1, "roundDeadlineSeconds": 120, "validationFraction": 0.2}""";

  static final String CONFIG = """
      {"secretFile": "secret/pseudonym.key", "k": 5,
       "columns": {"patient_id": "pseudonym", "birth_date": {"ageBand": {"width": 10, "at": "2026-01-01", "top": 90}}},
       "quasiIdentifiers": ["age_band", "sex", "region"]}""";

  private static final String[] REGIONS = {"서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기", "강원",
      "충북", "충남", "전북", "전남", "경북", "경남", "제주"};

  @Override public Integer call() throws Exception {
    for (long n : sizes) {
      if (n < 1 || n > Integer.MAX_VALUE - 1) throw new ParameterException(spec.commandLine(), "--rows must be 1 to 2^31-2, was " + n);
    }
    Path base = parent == null ? Files.createTempDirectory("dure-data-bench")
        : Files.createTempDirectory(Files.createDirectories(parent), "dure-data-bench");
    StudySpec study = StudySpecParser.parse(STUDY);
    System.out.println(String.format(Locale.ROOT, "cores=%d, max heap %d MiB, extracts in %s; study: %d features (%d"
        + " inputs), pseudonymisation: patient_id keyed, birth_date in 10-year bands, k=5 over (age_band, sex, region)",
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, base,
        study.features().size(), study.inputWidth()));
    String header = String.format(Locale.ROOT, "%12s %8s %13s %8s %8s %8s %10s %10s %10s", "rows", "file MB",
        "pseudonymise", "prepare", "encode", "total", "rows/s", "peak MiB", "live MiB");
    System.out.println(header);
    System.out.println("-".repeat(header.length()));
    try {
      for (long n : sizes) {
        Path dir = Files.createDirectories(base.resolve("rows-" + n));
        Path csv = dir.resolve("extract.csv");
        generate(csv, (int) n, new Random(seed));
        long fileBytes = Files.size(csv);
        System.gc();
        HeapWatch watch = HeapWatch.start();
        long t0 = System.nanoTime();
        PseudonymisationConfig config = PseudonymisationConfig.parse(CONFIG, dir);
        PseudonymisedData pseudonymised = Pseudonymiser.open(config, dir.resolve("data"), dir.resolve("cache"))
            .pseudonymise(new CsvFile(csv));
        long t1 = System.nanoTime();
        StudyData data = StudyData.load(pseudonymised.table(), study, "patient_id");
        SiteStatistics stats = data.statistics();
        long t2 = System.nanoTime();
        EncodedDataset encoded = data.encode(FeatureScaling.fromMoments(study, stats.numeric()));
        long t3 = System.nanoTime();
        long[] heap = watch.stop();
        if (encoded.train().rows() + encoded.validation().rows() != data.trainRows() + data.validationRows())
          throw new IllegalStateException("encoded rows differ from prepared rows");
        double total = (t3 - t0) / 1e9;
        double rate = n / total;
        System.out.println(String.format(Locale.ROOT, "%,12d %8.0f %13.1f %8.1f %8.1f %8.1f %,10.0f %10d %10d", n,
            fileBytes / 1e6, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, total, rate, heap[0] >> 20, heap[1] >> 20));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("rows", n);
        row.put("fileBytes", fileBytes);
        row.put("recordsOut", pseudonymised.report().recordsOut());
        row.put("pseudonymiseSeconds", (t1 - t0) / 1e9);
        row.put("prepareSeconds", (t2 - t1) / 1e9);
        row.put("encodeSeconds", (t3 - t2) / 1e9);
        row.put("rowsPerSecond", rate);
        row.put("peakHeapBytes", heap[0]);
        row.put("peakLiveHeapBytes", heap[1]);
        row.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        json.write("data", row);
        encoded = null;
        data = null;
        deleteTree(dir);
      }
      System.out.println("pseudonymise: three reads of the CSV (scan and hash; quasi-identifier groups; write groups of at"
          + " least k to the cache); prepare: one read of the cache into the study's columns and the training statistics;"
          + " encode: both splits as float arrays. peak: largest heap in use (garbage included); live: largest heap"
          + " after a garbage collection.");
    } finally {
      deleteTree(base);
    }
    return 0;
  }

  /** A synthetic extract of {@code n} patients: 10 columns, a few missing values, outcome from a logistic model. */
  static void generate(Path csv, int n, Random rnd) throws IOException {
    LocalDate start = LocalDate.of(1930, 1, 1);
    try (BufferedWriter w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
      w.write("patient_id,birth_date,sex,region,bmi,sbp,glucose,ldl,smoking_status,outcome\n");
      StringBuilder b = new StringBuilder(96);
      for (int i = 0; i < n; i++) {
        b.setLength(0);
        LocalDate birth = start.plusDays(rnd.nextInt(365 * 75));
        boolean male = rnd.nextBoolean();
        double bmi = 24 + 4 * rnd.nextGaussian();
        int sbp = (int) (125 + 15 * rnd.nextGaussian());
        int glucose = (int) (100 + 20 * rnd.nextGaussian());
        int ldl = (int) (120 + 30 * rnd.nextGaussian());
        int smoking = rnd.nextInt(3);
        double age = 2026 - birth.getYear();
        double logit = -6 + 0.05 * age + 0.08 * (bmi - 24) + 0.02 * (sbp - 125) + (male ? 0.3 : 0) + 0.4 * smoking;
        int outcome = rnd.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
        b.append('P').append(1_000_000 + i).append(',').append(birth).append(',').append(male ? 'M' : 'F').append(',')
            .append(REGIONS[rnd.nextInt(REGIONS.length)]).append(',');
        if (rnd.nextInt(50) == 0) b.append("NA");
        else b.append(Math.round(bmi * 10) / 10.0);
        b.append(',').append(sbp).append(',').append(glucose).append(',').append(ldl).append(',')
            .append(smoking == 0 ? "never" : smoking == 1 ? "former" : "current").append(',').append(outcome).append('\n');
        w.append(b);
      }
    }
  }

  /** The largest heap in use (sampled) and the largest heap after a garbage collection, between start and stop. */
  private static final class HeapWatch {
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong live = new AtomicLong();
    private final List<Runnable> undo = new ArrayList<>();
    private volatile boolean running = true;
    private Thread sampler;

    static HeapWatch start() {
      HeapWatch w = new HeapWatch();
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        if (!(gc instanceof NotificationEmitter emitter)) continue;
        javax.management.NotificationListener l = (notification, handback) -> {
          if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) return;
          var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
          long used = 0;
          for (MemoryUsage u : info.getGcInfo().getMemoryUsageAfterGc().values()) used += u.getUsed();
          w.live.accumulateAndGet(used, Math::max);
        };
        emitter.addNotificationListener(l, null, null);
        w.undo.add(() -> {
          try {
            emitter.removeNotificationListener(l);
          } catch (javax.management.ListenerNotFoundException e) {
            // already gone
          }
        });
      }
      Runtime rt = Runtime.getRuntime();
      w.sampler = new Thread(() -> {
        while (w.running) {
          w.peak.accumulateAndGet(rt.totalMemory() - rt.freeMemory(), Math::max);
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "heap-sampler");
      w.sampler.setDaemon(true);
      w.sampler.start();
      return w;
    }

    long[] stop() throws InterruptedException {
      Runtime rt = Runtime.getRuntime();
      peak.accumulateAndGet(rt.totalMemory() - rt.freeMemory(), Math::max);
      running = false;
      sampler.join();
      undo.forEach(Runnable::run);
      return new long[] {peak.get(), Math.max(live.get(), 0)};
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) Files.deleteIfExists(p);
    }
  }
}
