package org.dure.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.dure.testing.LocalConsortium;

/**
 * A whole consortium on this machine: a throwaway consortium PKI ({@link LocalConsortium}), one
 * coordinator process and one site-agent process per hospital on loopback (HTTPS API, mutual-TLS agent
 * channel), a researcher credential issued through the API by the administrator, and a study submitted
 * with it and run to its end.
 * Prints progress and a per-round table, saves the model and {@code summary.json} into the output
 * directory, and always stops every process it started.
 */
final class ConsortiumRun {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private final Path out;
  private final Map<String, Path> siteFiles;
  private final String studyJson;
  private final PrintStream console;
  private final List<Process> processes = new ArrayList<>();
  private HttpClient http;
  private String adminToken;
  private String token;
  private final Duration timeout;
  /** {@link System#nanoTime()} at which the whole run gives up: its start plus {@code --timeout}. */
  private long deadline;

  ConsortiumRun(Path out, Map<String, Path> siteFiles, String studyJson, Duration timeout, PrintStream console) {
    this.out = out.toAbsolutePath();
    this.siteFiles = new LinkedHashMap<>(siteFiles);
    this.studyJson = studyJson;
    this.timeout = timeout;
    this.console = console;
  }

  /** Runs the study; returns the process exit code (0 when the study completed). */
  int run() throws Exception {
    Thread hook = new Thread(this::stopAll, "dure-consortium-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return runStudy();
    } finally {
      stopAll();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException ignored) {
        // already shutting down
      }
    }
  }

  /** Marks a directory this class made, so a later run may replace its contents. */
  static final String MARKER = ".dure-run";

  /**
   * Makes {@code out} ready for a run: refuses a non-empty directory no earlier run made, and clears the
   * run files (throwaway consortium, coordinator state, agents, model) of an earlier run.
   */
  static void prepareOutput(Path out) throws IOException {
    if (Files.isDirectory(out) && !Files.exists(out.resolve(MARKER))) {
      try (var entries = Files.list(out)) {
        if (entries.findAny().isPresent()) {
          throw new IllegalArgumentException(out + " exists, is not empty and was not made by a previous run;"
              + " choose a new or empty output directory");
        }
      }
    }
    for (String sub : List.of("consortium", "sites", "coordinator", "agents", "model")) deleteTree(out.resolve(sub));
    Files.createDirectories(out.resolve("logs"));
    Files.writeString(out.resolve(MARKER), "made by dure; a new run replaces this directory's run files\n");
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  private int runStudy() throws Exception {
    prepareOutput(out);
    Path portFile = out.resolve("coordinator.port");
    Files.deleteIfExists(portFile);
    long t0 = System.nanoTime();
    deadline = t0 + timeout.toNanos();
    LocalConsortium pki = LocalConsortium.provision(out, List.copyOf(siteFiles.keySet()));
    // No short connect timeout: on a loaded machine the local coordinator may take long to accept; every request
    // waits at most until the run's deadline (--timeout), and a refused or timed-out connection is retried until then.
    http = HttpClient.newBuilder().connectTimeout(timeout).sslContext(pki.clientTls()).build();
    console.printf("consortium   %s (throwaway CA; %d sites enrolled: key pair and request made at each site, signed by the CA)%n",
        rel(pki.root()), siteFiles.size());
    spawn("coordinator", List.of("coordinator", "--api-port", "0", "--agent-port", "0", "--port-file", portFile.toString(),
        "--pki", pki.coordinatorPki().toString(), "--data-dir", out.resolve("coordinator").toString()), true);
    JsonNode ports = awaitPorts(portFile);
    String base = "https://127.0.0.1:" + ports.path("api").asInt();
    awaitReady(base);
    console.printf("coordinator  API %s, agents wss://127.0.0.1:%d (mutual TLS) (log %s)%n", base, ports.path("agents").asInt(),
        rel(out.resolve("logs/coordinator.log")));
    token = adminToken = pki.adminToken();
    String researcher = "researcher";
    token = post(base + "/api/users", "{\"name\": \"" + researcher + "\", \"role\": \"researcher\"}", 201).path("token").asText();
    console.printf("credential   %s (researcher) issued by admin through the API%n", researcher);
    for (Map.Entry<String, Path> site : siteFiles.entrySet()) {
      Path cfg = out.resolve("agents").resolve(site.getKey() + ".json");
      Files.createDirectories(cfg.getParent());
      ObjectNode c = JSON.createObjectNode().put("siteId", site.getKey())
          .put("coordinator", "wss://127.0.0.1:" + ports.path("agents").asInt() + "/agents");
      c.put("tls", pki.siteTls().get(site.getKey()).toString());
      c.putObject("data").put("csv", site.getValue().toAbsolutePath().toString());
      c.put("workDir", out.resolve("agents").resolve(site.getKey()).toString());
      // Synthetic or the researcher's own files: every study with the columns is approved, secure or not, with no cohort
      // minimum and secure rounds of two sites (a rehearsal may have two --sites): LocalPolicy.rehearsal() as a file.
      Path policy = out.resolve("agents").resolve("rehearsal-policy.json");
      Files.writeString(policy, "{\"approval\": \"automatic\", \"requireSecureAggregation\": false, \"minLocalCohort\": 0, \"minSecureRoster\": 2}\n");
      c.put("policy", policy.toString());
      String header;
      try (var lines = Files.lines(site.getValue())) {
        header = lines.findFirst().orElse("");
      }
      if (header.contains("rrn")) {
        // A generated cohort holds every kind of direct identifier: the agent pseudonymises it before anything else.
        Path secret = out.resolve("secrets").resolve(site.getKey()).resolve("pseudonym.key");
        c.set("pseudonymisation", JSON.readTree(org.dure.cohort.CohortGenerator.pseudonymisationJson(secret.toString())));
      }
      JSON.writeValue(cfg.toFile(), c);
      spawn(site.getKey(), List.of("agent", "--config", cfg.toString()), false);
      console.printf("site agent   %-12s data %s%n", site.getKey(), rel(site.getValue()));
    }
    awaitSites(base, siteFiles.keySet());
    JsonNode study = post(base + "/api/studies", studyJson, 201);
    String id = study.path("id").asText();
    console.printf("study        %s \"%s\" submitted%n", id, study.path("name").asText());
    post(base + "/api/studies/" + id + "/start", "", 202);
    JsonNode finalView = watch(base, id, study.path("rounds").asInt());
    JsonNode rounds = get(base + "/api/studies/" + id + "/rounds");
    String status = finalView.path("status").asText();
    console.println();
    printSites(finalView);
    printPseudonymisation(siteFiles.keySet());
    printTable(rounds);
    if ("COMPLETED".equals(finalView.path("status").asText())) printReport(base, id);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Path modelDir = out.resolve("model");
    if (!finalView.path("modelDir").isNull() && !finalView.path("modelDir").isMissingNode()) {
      unzip(getBytes(base + "/api/studies/" + id + "/model"), modelDir);
    }
    ObjectNode summary = JSON.createObjectNode();
    summary.put("studyId", id).put("status", status).put("statusReason", finalView.path("statusReason").asText())
        .put("wallSeconds", Math.round(seconds * 10) / 10.0).put("model", Files.isDirectory(modelDir) ? modelDir.toString() : null);
    summary.set("sites", finalView.path("sites"));
    summary.set("rounds", rounds);
    summary.set("study", finalView.path("spec"));
    JSON.writeValue(out.resolve("summary.json").toFile(), summary);
    console.printf("%nstudy %s %s in %.1f s: %s%n", id, status, seconds, finalView.path("statusReason").asText());
    if (Files.isDirectory(modelDir)) console.printf("model saved to %s (model.json + .npy files, loadable with numpy)%n", modelDir);
    console.printf("summary       %s%n", out.resolve("summary.json"));
    printLedger(base, id);
    return "COMPLETED".equals(status) ? 0 : 1;
  }

  /**
   * The validation report of the final model, per site and pooled, with flagged and suppressed subgroups; writes
   * {@code report.json} and {@code report.html} into the output directory.
   */
  private void printReport(String base, String id) throws Exception {
    JsonNode report = get(base + "/api/studies/" + id + "/report");
    Files.write(out.resolve("report.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(report));
    Files.write(out.resolve("report.html"), getBytes(base + "/api/studies/" + id + "/report.html"));
    console.printf(Locale.ROOT, "%nvalidation report (final model, threshold %.2f; AUC with 95%% Hanley-McNeil interval)%n",
        report.path("threshold").asDouble());
    console.println("site            n    AUC (95% CI)           acc    sens   spec   Brier  ECE");
    reportRow("pooled", report.path("pooled"));
    for (JsonNode site : report.path("sites")) {
      if (site.path("overall").isObject()) reportRow(site.path("site").asText(), site.path("overall"));
      else console.printf("%-12s  %s: %s%n", site.path("site").asText(), site.path("status").asText(), site.path("reason").asText());
    }
    List<String> flagged = new ArrayList<>(), suppressed = new ArrayList<>();
    for (JsonNode site : report.path("sites")) {
      for (JsonNode g : site.path("subgroups")) {
        String name = site.path("site").asText() + " " + g.path("column").asText() + "=" + g.path("level").asText();
        if (g.path("flagged").asBoolean()) flagged.add(name);
        if (g.path("suppressed").asBoolean()) suppressed.add(name);
      }
    }
    for (JsonNode g : report.path("pooledSubgroups"))
      if (g.path("flagged").asBoolean()) flagged.add("pooled " + g.path("column").asText() + "=" + g.path("level").asText());
    console.printf("flagged subgroups: %s%n", flagged.isEmpty() ? "none" : String.join(", ", flagged));
    console.printf("suppressed (below a site's minimum cell size): %s%n", suppressed.isEmpty() ? "none" : String.join(", ", suppressed));
    console.printf("report        %s (and report.html)%n", out.resolve("report.json"));
  }

  private void reportRow(String name, JsonNode g) {
    console.printf(Locale.ROOT, "%-12s %4d  %.3f (%.3f-%.3f)  %.3f  %.3f  %.3f  %.3f  %.3f%n", name, g.path("count").asLong(),
        g.path("auc").asDouble(), g.path("aucLower").asDouble(), g.path("aucUpper").asDouble(), g.path("accuracy").asDouble(),
        g.path("sensitivity").asDouble(), g.path("specificity").asDouble(), g.path("brier").asDouble(),
        g.path("expectedCalibrationError").asDouble());
  }

  /** What each agent's pseudonymisation did before the study saw any data (from its report, values never shown). */
  private void printPseudonymisation(java.util.Collection<String> sites) throws IOException {
    for (String site : sites) {
      Path report = out.resolve("agents").resolve(site).resolve(org.dure.agent.data.LocalData.REPORT_JSON);
      if (!Files.isRegularFile(report)) continue;
      JsonNode r = JSON.readTree(report.toFile());
      console.printf(Locale.ROOT, "pseudonymised %-12s %d columns deleted, %s keyed, %d of %d records suppressed, k = %d"
              + " achieved over (%s) (required %d)%n", site, r.path("removed").size(), names(r.path("pseudonymised")),
          r.path("recordsSuppressed").asInt(), r.path("recordsIn").asInt(), r.path("achievedK").asInt(),
          names(r.path("quasiIdentifiers")), r.path("k").asInt());
    }
    console.println();
  }

  private static String names(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return String.join(", ", out);
  }

  /** What the participation ledger recorded of the study, and whether it verifies (read with the admin token). */
  private void printLedger(String base, String id) throws Exception {
    String researcher = token;
    token = adminToken;
    try {
      JsonNode entries = get(base + "/api/ledger/entries?study=" + id);
      JsonNode verified = get(base + "/api/ledger/verify");
      console.printf("ledger        %d entries for this study; whole ledger %s (%d entries, %d signed tree heads)%n",
          entries.size(), verified.path("ok").asBoolean() ? "verified OK" : "BROKEN: " + verified.path("problem").asText(),
          verified.path("entriesChecked").asLong(), verified.path("treeHeadsChecked").asLong());
    } finally {
      token = researcher;
    }
  }

  /**
   * Waits until every local agent is connected, so that the study is offered to all of them at once: a rehearsal means
   * all its sites (a site still starting would otherwise miss the first secure round and its roster be too small).
   */
  private void awaitSites(String base, java.util.Set<String> sites) throws Exception {
    java.util.Set<String> online = new java.util.TreeSet<>();
    while (System.nanoTime() < deadline) {
      requireAlive();
      online.clear();
      for (JsonNode s : get(base + "/api/sites")) if (s.path("online").asBoolean()) online.add(s.path("siteId").asText());
      if (online.containsAll(sites)) {
        console.printf("sites        %d of %d connected%n", sites.size(), sites.size());
        return;
      }
      Thread.sleep(200);
    }
    java.util.Set<String> missing = new java.util.TreeSet<>(sites);
    missing.removeAll(online);
    throw new IllegalStateException("the site agents " + missing + " did not connect within --timeout " + timeout.toSeconds()
        + " s; see their logs in " + out.resolve("logs"));
  }

  private void requireAlive() {
    for (Process p : processes)
      if (!p.isAlive()) throw new IllegalStateException("a consortium process exited early (code " + p.exitValue() + "); see " + out.resolve("logs"));
  }

  private JsonNode watch(String base, String id, int rounds) throws Exception {
    String last = "";
    while (System.nanoTime() < deadline) {
      requireAlive();
      JsonNode v = get(base + "/api/studies/" + id);
      String line = v.path("status").asText() + ": " + v.path("statusReason").asText();
      if (!line.equals(last)) {
        console.printf("  %s%n", line);
        last = line;
      }
      if (!v.path("status").asText().matches("SUBMITTED|WAITING_FOR_SITES|PREPARING|TRAINING|EVALUATING")) return v;
      Thread.sleep(200);
    }
    throw new IllegalStateException("study " + id + " did not finish within --timeout " + timeout.toSeconds() + " s");
  }

  private void printSites(JsonNode view) {
    org.dure.launcher.client.Tables.siteLines(view).forEach(console::println);
    console.println();
  }


  private void printTable(JsonNode rounds) {
    console.println(org.dure.launcher.client.Tables.ROUND_HEADER);
    for (JsonNode r : rounds) console.println(org.dure.launcher.client.Tables.round(r));
  }


  private void spawn(String name, List<String> args, boolean coordinator) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    cmd.add("-Ddure.role=" + name);
    cmd.add("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");
    if (coordinator) cmd.addAll(List.of(DureCommand.HAZELCAST_OPENS.split(" ")));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(DureCommand.class.getName());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(out.resolve("logs").resolve(name + ".log").toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().put("OPENBLAS_NUM_THREADS", "1");
    processes.add(pb.start());
  }

  private JsonNode awaitPorts(Path portFile) throws Exception {
    while (System.nanoTime() < deadline) {
      if (Files.exists(portFile)) return JSON.readTree(portFile.toFile());
      if (!processes.get(0).isAlive())
        throw new IllegalStateException("the coordinator exited (code " + processes.get(0).exitValue() + "); see " + out.resolve("logs/coordinator.log"));
      Thread.sleep(50);
    }
    throw new IllegalStateException("the coordinator did not start within --timeout " + timeout.toSeconds() + " s; see "
        + out.resolve("logs/coordinator.log"));
  }

  /** Waits until the coordinator's API answers {@code GET /health} (it may still be starting), until the deadline. */
  private void awaitReady(String base) throws Exception {
    awaitReady(http, URI.create(base + "/health"), deadline, "--timeout " + timeout.toSeconds() + " s", () -> {
      if (!processes.get(0).isAlive())
        throw new IllegalStateException("the coordinator exited (code " + processes.get(0).exitValue() + "); see " + out.resolve("logs/coordinator.log"));
    });
  }

  /**
   * Polls {@code health} until it answers 200 or {@link System#nanoTime()} passes {@code deadlineNanos}: a refused or
   * timed-out connection (a server still starting, a loaded machine) is retried, never fatal before the deadline.
   * {@code alive} is called between attempts and may throw to give up early.
   */
  static void awaitReady(HttpClient http, URI health, long deadlineNanos, String deadlineName, Check alive) throws Exception {
    String last = "no answer";
    while (System.nanoTime() < deadlineNanos) {
      alive.check();
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(health).timeout(remaining(deadlineNanos)).GET().build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) return;
        last = "it answered " + r.statusCode();
      } catch (java.net.ConnectException | java.net.http.HttpTimeoutException e) {
        last = plain(e);
      } catch (IOException e) {
        last = plain(e); // a connection reset while the server starts
      }
      Thread.sleep(Math.min(200, Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000)));
    }
    throw new IllegalStateException("the local coordinator at " + health.getAuthority() + " was not ready before "
        + deadlineName + " (" + last + ")");
  }

  @FunctionalInterface
  interface Check {
    void check() throws Exception;
  }

  /** What is left of the run's time, at least a millisecond (an HTTP request timeout must be positive). */
  private static Duration remaining(long deadlineNanos) {
    return Duration.ofNanos(Math.max(1_000_000, deadlineNanos - System.nanoTime()));
  }

  /**
   * Sends a request, retrying a connection that was refused or could not be made in time (the coordinator is
   * local and running: it is busy, not gone) until the run's deadline; a request that got no answer in time fails
   * with one plain sentence.
   */
  private <T> HttpResponse<T> send(String method, String url, HttpRequest.BodyPublisher body, HttpResponse.BodyHandler<T> handler)
      throws Exception {
    while (true) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
          .header("Content-Type", "application/json").timeout(remaining(deadline)).method(method, body);
      try {
        return http.send(b.build(), handler);
      } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException e) {
        if (System.nanoTime() >= deadline) throw new IllegalStateException(method + " " + path(url) + ": " + plain(e) + " before --timeout "
            + timeout.toSeconds() + " s");
        Thread.sleep(200);
      } catch (java.net.http.HttpTimeoutException e) {
        throw new IllegalStateException(method + " " + path(url) + ": the local coordinator did not answer before --timeout "
            + timeout.toSeconds() + " s");
      }
    }
  }

  private static String path(String url) {
    return URI.create(url).getPath();
  }

  /** The coordinator's error message ({"error": ...}) or the body itself. */
  private static String error(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.hasNonNull("error")) return n.path("error").asText();
    } catch (IOException ignored) {
      // not JSON
    }
    return body;
  }

  /** One plain sentence for an exception: its message's first line, or what kind of failure it is. */
  static String plain(Throwable e) {
    if (e instanceof java.net.http.HttpConnectTimeoutException) return "could not connect to the local coordinator in time";
    if (e instanceof java.net.ConnectException) return "could not connect to the local coordinator (connection refused)";
    if (e instanceof java.net.http.HttpTimeoutException) return "the local coordinator did not answer in time";
    String m = e.getMessage();
    if (m == null || m.isBlank()) return e.getCause() != null && e.getCause() != e ? plain(e.getCause()) : e.getClass().getSimpleName();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private JsonNode post(String url, String body, int expected) throws Exception {
    HttpResponse<String> r = send("POST", url, HttpRequest.BodyPublishers.ofString(body), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) throw new IllegalStateException("the local coordinator refused POST " + path(url) + " ("
        + r.statusCode() + "): " + error(r.body()));
    return JSON.readTree(r.body());
  }

  private JsonNode get(String url) throws Exception {
    HttpResponse<String> r = send("GET", url, HttpRequest.BodyPublishers.noBody(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IllegalStateException("the local coordinator refused GET " + path(url) + " ("
        + r.statusCode() + "): " + error(r.body()));
    return JSON.readTree(r.body());
  }

  private byte[] getBytes(String url) throws Exception {
    HttpResponse<byte[]> r = send("GET", url, HttpRequest.BodyPublishers.noBody(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) throw new IllegalStateException("the local coordinator refused GET " + path(url) + " (" + r.statusCode() + ")");
    return r.body();
  }

  private static void unzip(byte[] zip, Path dir) throws IOException {
    Files.createDirectories(dir);
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        Path target = dir.resolve(e.getName()).normalize();
        if (!target.startsWith(dir)) throw new IOException("refusing zip entry outside the model directory: " + e.getName());
        Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private void stopAll() {
    for (Process p : processes) if (p.isAlive()) p.destroy();
    for (Process p : processes) {
      try {
        if (!p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
  }

  private static String rel(Path p) {
    Path cwd = Path.of("").toAbsolutePath();
    Path abs = p.toAbsolutePath();
    return abs.startsWith(cwd) ? cwd.relativize(abs).toString() : abs.toString();
  }
}
