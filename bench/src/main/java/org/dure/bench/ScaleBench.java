package org.dure.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.dure.agent.AgentConfig;
import org.dure.agent.SiteAgent;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.policy.LocalPolicy;
import org.dure.cohort.CohortGenerator;
import org.dure.cohort.SiteCohort;
import org.dure.coordinator.Coordinator;
import org.dure.coordinator.CoordinatorConfig;
import org.dure.coordinator.admin.ConsortiumAdmin;
import org.dure.coordinator.security.CoordinatorPki;
import org.dure.coordinator.security.Credentials;
import org.dure.coordinator.security.Role;
import org.dure.crypto.pki.SiteKeys;
import org.dure.pseudonymisation.PseudonymisationConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench scale}: a real coordinator and n real site agents in this JVM, on loopback. A throwaway consortium
 * PKI is made the way {@code dure admin init} and enrolment make one; each agent has its own key, certificate and
 * mutual-TLS WebSocket, trains logistic regression on its own synthetic cohort ({@code --rows} patients) and takes
 * part in real secure aggregation (SecAgg, SecAgg+ above its threshold). One study of {@code --rounds} rounds runs
 * for each site count.
 *
 * <p>Measured, medians over the rounds: the round's wall time (the round record), each secure-aggregation stage
 * (the coordinator's own {@code dure_secagg_stage_duration_seconds} timers, read in-process; "keys" opens when the
 * round is announced, so it holds the sites' key generation, "masked_input" holds their local training, "unmasking"
 * holds the coordinator's reconstruction and mask removal), "other" (wall minus the stages: round set-up, model
 * update, checkpoint); the coordinator's CPU time per round (every thread the coordinator started — its Vert.x
 * instance, Hazelcast — runs in one thread group, whose threads' CPU time is summed); the JVM's heap after a full GC
 * at the end (coordinator <em>and</em> agents, which share this JVM); and the bytes each site's connection carried,
 * as the coordinator counts them ({@code SiteSession}), per round, median over sites.
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
    description = "Real coordinator and agents on loopback (mutual TLS, secure aggregation): per-round stage times, "
        + "coordinator CPU, heap, bytes per site.")
public final class ScaleBench implements Callable<Integer> {
  static final List<String> STAGES = List.of("keys", "shares", "masked_input", "unmasking");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration VALIDITY = Duration.ofDays(60);

  @Option(names = "--sites", split = ",", defaultValue = "10,50,100",
      description = "Numbers of sites n (default: ${DEFAULT-VALUE}).")
  List<Integer> sites;
  @Option(names = "--rounds", defaultValue = "3", description = "Training rounds per site count (default: ${DEFAULT-VALUE}).")
  int rounds;
  @Option(names = "--rows", defaultValue = "200", description = "Patients per site (default: ${DEFAULT-VALUE}).")
  int rows;
  @Option(names = "--deadline", defaultValue = "300",
      description = "The study's round deadline, seconds (default: ${DEFAULT-VALUE}).")
  int deadlineSeconds;
  @Option(names = "--verbose", description = "Keep the coordinator's and agents' INFO log lines (default: warnings only).")
  boolean verbose;
  @Mixin JsonOutput json;
  @Spec CommandSpec spec;

  /** One table row: medians over the rounds of one site count. */
  record Row(int sites, int rounds, int neighbours, int threshold, double wallMs, Map<String, Double> stageMs, double otherMs,
             double coordCpuMsPerRound, double heapMib, double inKibPerSiteRound, double outKibPerSiteRound,
             double setupSeconds) {}

  final List<Row> results = new ArrayList<>();

  @Override public Integer call() throws Exception {
    for (int n : sites) {
      if (n < 2) throw new ParameterException(spec.commandLine(), "--sites: each count must be at least 2, got " + n);
    }
    if (rounds < 1) throw new ParameterException(spec.commandLine(), "--rounds must be at least 1");
    if (rows < 100) throw new ParameterException(spec.commandLine(), "--rows must be at least 100 (each class needs 10 patients at a site)");
    if (!verbose) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
          .setLevel(ch.qos.logback.classic.Level.WARN);
    }
    System.out.printf(Locale.ROOT, "bench scale: rounds=%d rows/site=%d, real agents and coordinator in one JVM (%d cores, max heap %d MiB)%n",
        rounds, rows, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
    System.out.printf(Locale.ROOT, "%6s %5s %5s %9s %8s %8s %10s %9s %8s %10s %9s %9s %9s%n", "sites", "nbrs", "t",
        "round_ms", "keys_ms", "shares_ms", "masked_ms", "unmask_ms", "other_ms", "coord_cpu", "heap_MiB",
        "in_KiB", "out_KiB");
    for (int n : sites) {
      Row r = run(n);
      results.add(r);
      System.out.printf(Locale.ROOT, "%6d %5d %5d %9.0f %8.0f %8.0f %10.0f %9.0f %8.0f %8.0fms %9.0f %9.1f %9.1f%n", r.sites(),
          r.neighbours(), r.threshold(), r.wallMs(), r.stageMs().get("keys"), r.stageMs().get("shares"),
          r.stageMs().get("masked_input"), r.stageMs().get("unmasking"), r.otherMs(), r.coordCpuMsPerRound(), r.heapMib(),
          r.inKibPerSiteRound(), r.outKibPerSiteRound());
      System.out.flush();
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("sites", r.sites());
      row.put("rounds", r.rounds());
      row.put("neighbours", r.neighbours());
      row.put("threshold", r.threshold());
      row.put("round_ms_median", r.wallMs());
      for (String s : STAGES) row.put(s + "_ms_median", r.stageMs().get(s));
      row.put("other_ms_median", r.otherMs());
      row.put("coord_cpu_ms_per_round", r.coordCpuMsPerRound());
      row.put("heap_after_gc_mib", r.heapMib());
      row.put("site_in_kib_per_round_median", r.inKibPerSiteRound());
      row.put("site_out_kib_per_round_median", r.outKibPerSiteRound());
      row.put("setup_s", r.setupSeconds());
      json.write("scale", row);
    }
    System.out.println("round_ms: round record (announce to aggregate); stage columns: coordinator's stage timers (keys includes"
        + " key generation, masked includes local training); other = round - stages; coord_cpu: coordinator threads' CPU per"
        + " round; heap: whole JVM (coordinator + agents) after GC; in/out: bytes the coordinator received from / sent to"
        + " one site per round (median over sites). Medians over rounds.");
    return 0;
  }

  Row run(int n) throws Exception {
    long setupStart = System.nanoTime();
    Path dir = Files.createTempDirectory("dure-bench-scale-");
    ThreadGroup group = new ThreadGroup("dure-coordinator");
    List<SiteAgent> agents = new ArrayList<>();
    Coordinator coordinator = null;
    try {
      Consortium pki = Consortium.provision(dir);
      String researcher = Credentials.load(pki.coordinatorPki.resolve(CoordinatorPki.CREDENTIALS))
          .issue("researcher", Role.RESEARCHER, "bench").token();
      List<String> siteIds = new ArrayList<>();
      for (int i = 0; i < n; i++) siteIds.add(String.format(Locale.ROOT, "site-%03d", i));
      List<Path> tlsDirs = pki.enrolAll(siteIds);
      coordinator = startIn(group, CoordinatorConfig.loopback(dir.resolve("coordinator"), pki.coordinatorPki));
      Api api = new Api(pki.clientTls(), "https://127.0.0.1:" + coordinator.apiPort(), researcher, pki.adminToken);
      List<SiteCohort> cohorts = CohortGenerator.builder().sites(n).patientsPerSite(rows).seed(7).build()
          .writeTo(dir.resolve("data"));
      URI agentUri = URI.create("wss://127.0.0.1:" + coordinator.agentPort() + "/agents");
      for (int i = 0; i < n; i++) {
        String site = siteIds.get(i);
        Path tls = tlsDirs.get(i);
        Path csv = dir.resolve("data").resolve(cohorts.get(i).fileName());
        Path secret = dir.resolve("secrets").resolve(site).resolve("pseudonym.key");
        PseudonymisationConfig pseudonyms = PseudonymisationConfig.parse(CohortGenerator.pseudonymisationJson(secret.toString()), dir);
        agents.add(SiteAgent.start(new AgentConfig(site, agentUri, new org.dure.agent.data.CsvSource(csv), tls,
            dir.resolve("agents").resolve(site), LocalPolicy.rehearsal(), pseudonyms)));
      }
      api.awaitSites(n, Duration.ofSeconds(60 + n));
      double setupSeconds = (System.nanoTime() - setupStart) / 1e9;

      ObjectNode study = (ObjectNode) JSON.readTree(CohortGenerator.exampleStudyJson());
      ((ObjectNode) study.path("training")).put("rounds", rounds);
      study.put("minSites", n).put("roundDeadlineSeconds", deadlineSeconds);

      StagePoller poller = new StagePoller(coordinator.metrics().registry(), group);
      Map<String, long[]> bytesBefore = api.siteBytes();
      poller.start();
      String id = api.run(study.toString());
      JsonNode end = api.awaitEnd(id, Duration.ofSeconds((long) rounds * deadlineSeconds * 4L + 60));
      poller.stop();
      Map<String, long[]> bytesAfter = api.siteBytes();
      if (!"COMPLETED".equals(end.path("status").asText())) {
        throw new IllegalStateException("the study with " + n + " sites ended " + end.path("status").asText() + ": " + end);
      }
      JsonNode records = api.get("/api/studies/" + id + "/rounds", false);
      List<Double> wall = new ArrayList<>();
      int neighbours = 0, threshold = 0;
      for (JsonNode r : records) {
        if (!"COMPLETED".equals(r.path("status").asText())) continue;
        JsonNode secure = r.path("secureAggregation");
        if (!secure.isObject()) throw new IllegalStateException("round " + r.path("round") + " was not securely aggregated: " + r);
        if (secure.path("survivors").size() != n) {
          throw new IllegalStateException("round " + r.path("round") + " had " + secure.path("survivors").size() + " of " + n + " survivors");
        }
        neighbours = secure.path("neighbours").asInt();
        threshold = secure.path("threshold").asInt();
        wall.add(r.path("seconds").asDouble() * 1000);
      }
      if (wall.size() != rounds) throw new IllegalStateException(wall.size() + " completed rounds of " + rounds + ": " + records);
      Map<String, Double> stageMs = new LinkedHashMap<>();
      double stagesSum = 0;
      for (String s : STAGES) {
        List<Double> v = poller.perRound.getOrDefault(s, List.of());
        double m = v.isEmpty() ? Double.NaN : median(v);
        stageMs.put(s, m);
        if (!Double.isNaN(m)) stagesSum += m;
      }
      double wallMs = median(wall);
      // other = wall - stages, round by round when every stage was seen once per round (else from the medians)
      double otherMs = wallMs - stagesSum;
      if (STAGES.stream().allMatch(st -> poller.perRound.getOrDefault(st, List.of()).size() == wall.size())) {
        List<Double> other = new ArrayList<>();
        for (int i = 0; i < wall.size(); i++) {
          double o = wall.get(i);
          for (String st : STAGES) o -= poller.perRound.get(st).get(i);
          other.add(o);
        }
        otherMs = median(other);
      }
      double cpu = poller.cpuNanos() / 1e6 / rounds;
      List<Double> in = new ArrayList<>(), out = new ArrayList<>();
      for (Map.Entry<String, long[]> e : bytesAfter.entrySet()) {
        long[] b = bytesBefore.getOrDefault(e.getKey(), new long[2]);
        in.add((e.getValue()[1] - b[1]) / 1024.0 / rounds);
        out.add((e.getValue()[0] - b[0]) / 1024.0 / rounds);
      }
      double heap = SecAggBench.heapUsedAfterGc() / (1024.0 * 1024.0);
      return new Row(n, rounds, neighbours, threshold, wallMs, stageMs, otherMs, cpu, heap, median(in), median(out),
          setupSeconds);
    } finally {
      List<CompletableFuture<Void>> closing = new ArrayList<>();
      for (SiteAgent a : agents) closing.add(CompletableFuture.runAsync(a::close));
      for (CompletableFuture<Void> c : closing) {
        try {
          c.join();
        } catch (RuntimeException e) {
          // shutting down: nothing to measure any more
        }
      }
      if (coordinator != null) coordinator.close();
      deleteTree(dir);
    }
  }

  /** Starts the coordinator from a thread of {@code group}: the threads it starts (and theirs) belong to the group. */
  private static Coordinator startIn(ThreadGroup group, CoordinatorConfig config) throws Exception {
    CompletableFuture<Coordinator> started = new CompletableFuture<>();
    Thread t = new Thread(group, () -> {
      try {
        started.complete(Coordinator.start(config).toCompletionStage().toCompletableFuture().get());
      } catch (Throwable e) {
        started.completeExceptionally(e);
      }
    }, "dure-coordinator-start");
    t.start();
    return started.get();
  }

  static double median(List<Double> v) {
    return Stats.of(v.stream().mapToDouble(Double::doubleValue).toArray()).median();
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }

  /**
   * Samples the coordinator's stage timers (count and total, outcome "proceeded") and its threads' CPU time every
   * few milliseconds. A stage's duration in a round is its total's increase over its count's; rounds last far longer
   * than a sampling period, so each increase is one round's stage (several, averaged, if two ever fall in one period).
   */
  static final class StagePoller {
    private final MeterRegistry registry;
    private final ThreadGroup group;
    final Map<String, List<Double>> perRound = new ConcurrentHashMap<>();
    private final Map<String, long[]> last = new HashMap<>();
    private final Map<Long, Long> cpuByThread = new ConcurrentHashMap<>();
    private final Map<Long, Long> cpuAtStart = new ConcurrentHashMap<>();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private volatile boolean running;
    private Thread thread;

    StagePoller(MeterRegistry registry, ThreadGroup group) {
      this.registry = registry;
      this.group = group;
    }

    void start() {
      sample(true);
      running = true;
      thread = new Thread(() -> {
        while (running) {
          sample(false);
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "bench-scale-poller");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
      sample(false);
    }

    long cpuNanos() {
      long sum = 0;
      for (Map.Entry<Long, Long> e : cpuByThread.entrySet()) sum += e.getValue() - cpuAtStart.getOrDefault(e.getKey(), 0L);
      return sum;
    }

    private void sample(boolean baseline) {
      for (String stage : STAGES) {
        Timer t = registry.find("dure.secagg.stage.duration").tags("stage", stage, "outcome", "proceeded").timer();
        long count = t == null ? 0 : t.count();
        long total = t == null ? 0 : (long) t.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS);
        long[] before = last.put(stage, new long[] {count, total});
        if (baseline || before == null || count <= before[0]) continue;
        double each = (total - before[1]) / 1e6 / (count - before[0]);
        for (long i = before[0]; i < count; i++) perRound.computeIfAbsent(stage, k -> new ArrayList<>()).add(each);
      }
      Thread[] live = new Thread[group.activeCount() + 16];
      int k = group.enumerate(live, true);
      for (int i = 0; i < k; i++) {
        long tid = live[i].getId();
        long cpu = threads.getThreadCpuTime(tid);
        if (cpu < 0) continue;
        if (baseline) cpuAtStart.put(tid, cpu);
        cpuByThread.merge(tid, cpu, Math::max);
      }
    }
  }

  /** A throwaway consortium, as {@code dure admin init} and site enrolment make it (see the launcher's LocalConsortium). */
  record Consortium(Path root, Path coordinatorPki, String adminToken, char[] passphrase) {
    static Consortium provision(Path dir) throws IOException {
      byte[] secret = new byte[24];
      new SecureRandom().nextBytes(secret);
      char[] passphrase = Base64.getEncoder().encodeToString(secret).toCharArray();
      ConsortiumAdmin admin = new ConsortiumAdmin(dir.resolve("consortium"));
      ConsortiumAdmin.Initialised init = admin.init("Dure scale bench", List.of("localhost", "127.0.0.1"), "admin",
          passphrase, VALIDITY, VALIDITY);
      return new Consortium(admin.coordinatorDir().getParent(), admin.coordinatorDir(), init.admin().token(), passphrase);
    }

    /**
     * Enrols the sites the way {@code ConsortiumAdmin.enrolSite} does each one (key pair and request made in the
     * site's directory, signed by the CA, recorded in the register, installed by the site), but unlocks and saves the
     * CA once for all of them: two PBKDF2 derivations per site would dominate the set-up. Returns each TLS directory.
     */
    List<Path> enrolAll(List<String> siteIds) throws IOException {
      ConsortiumAdmin admin = new ConsortiumAdmin(root);
      org.dure.crypto.pki.ConsortiumCa ca = org.dure.crypto.pki.ConsortiumCa.load(admin.caDir(), passphrase);
      Path register = coordinatorPki.resolve(CoordinatorPki.SITES);
      org.dure.coordinator.security.EnrolledSites enrolled = org.dure.coordinator.security.EnrolledSites.load(register);
      String caPem = SiteKeys.certificatePem(ca.certificate());
      List<Path> dirs = new ArrayList<>();
      for (String site : siteIds) {
        Path dir = root.getParent().resolve("sites").resolve(site).resolve("pki");
        Path csr = SiteIdentity.request(dir, site, false);
        X509Certificate cert = ca.signSite(SiteKeys.readCertificationRequest(Files.readString(csr)), VALIDITY);
        enrolled = enrolled.withCertificate(site, cert.getSerialNumber(), java.time.Instant.now());
        SiteIdentity.install(dir, site, SiteKeys.certificatePem(cert), caPem);
        dirs.add(dir);
      }
      ca.save(admin.caDir(), passphrase);
      enrolled.save(register);
      return dirs;
    }

    SSLContext clientTls() throws Exception {
      X509Certificate ca = SiteKeys.readCertificate(Files.readString(coordinatorPki.resolve("ca-cert.pem")));
      return org.dure.crypto.pki.TlsContexts.clientTrustingOnly(List.of(ca));
    }
  }

  /** The coordinator's HTTPS API, as a researcher (studies) and an administrator (per-site byte counters). */
  record Api(HttpClient http, String base, String researcher, String admin) {
    Api(SSLContext tls, String base, String researcher, String admin) {
      this(HttpClient.newBuilder().sslContext(tls).build(), base, researcher, admin);
    }

    JsonNode get(String path, boolean asAdmin) throws Exception {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
          .header("Authorization", "Bearer " + (asAdmin ? admin : researcher)).GET().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) throw new IllegalStateException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
      return JSON.readTree(r.body());
    }

    JsonNode post(String path, String body, int expected) throws Exception {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + researcher)
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != expected) throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
      return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    /** Per site: {bytes sent to it, bytes received from it}, as the coordinator's sessions count them. */
    Map<String, long[]> siteBytes() throws Exception {
      Map<String, long[]> out = new HashMap<>();
      for (JsonNode s : get("/api/sites", true)) {
        out.put(s.path("siteId").asText(), new long[] {s.path("bytesSent").asLong(), s.path("bytesReceived").asLong()});
      }
      return out;
    }

    void awaitSites(int n, Duration timeout) throws Exception {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (get("/api/sites", false).size() < n) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("only " + get("/api/sites", false).size() + " of " + n + " sites connected");
        }
        Thread.sleep(100);
      }
    }

    String run(String studyJson) throws Exception {
      String id = post("/api/studies", studyJson, 201).path("id").asText();
      post("/api/studies/" + id + "/start", "", 202);
      return id;
    }

    JsonNode awaitEnd(String id, Duration timeout) throws Exception {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        JsonNode v = get("/api/studies/" + id, false);
        if (Set.of("COMPLETED", "STOPPED", "FAILED").contains(v.path("status").asText())) return v;
        Thread.sleep(100);
      }
      throw new IllegalStateException("study " + id + " still " + get("/api/studies/" + id, false).path("status") + " after " + timeout);
    }
  }
}
