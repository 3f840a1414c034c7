package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dure.agent.SiteAgent;
import org.dure.cohort.CohortGenerator;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 19, as an operator checks it: one small study (three real agents, secure aggregation and differential
 * privacy) with the coordinator's metrics scraped before and after, one agent's loopback metrics, and every log line
 * of the coordinator and the agents captured as JSON lines at DEBUG for Dure's own loggers. The counters move by the
 * expected amounts, the histograms hold the expected counts, the expositions parse, a researcher is refused the
 * metrics, the Grafana dashboard queries only metrics the coordinator exports, and no log line holds a token, key
 * material, a pseudonymisation secret, the CA passphrase or a patient's identifying value.
 */
class OperationsEndToEndTest {
  @TempDir static Path dir;
  static final int ROUNDS = 3;
  static TestConsortium c;
  static PrometheusText before, after, agentMetrics;
  static String afterText, agentText, studyId, issuedToken;
  static final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
  static List<JsonNode> logLines = new ArrayList<>();
  static int researcherStatus;
  static long parameters;
  static List<Path> files;

  static String study() throws Exception {
    ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) s.path("training")).put("rounds", ROUNDS);
    s.put("minSites", 2).put("roundDeadlineSeconds", 60);
    ObjectNode privacy = s.putObject("privacy");
    privacy.putObject("secureAggregation").put("enabled", true);
    privacy.putObject("differentialPrivacy").put("enabled", true).put("noiseMultiplier", 1.2).put("clipNorm", 1.0).put("delta", 1e-5);
    return s.toString();
  }

  @BeforeAll static void runAStudy() throws Exception {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(ctx);
    encoder.setWithFormattedMessage(true);
    encoder.setWithArguments(false);
    encoder.setWithContext(false);
    encoder.start();
    OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setName("operations-test");
    appender.setContext(ctx);
    appender.setEncoder(encoder);
    appender.setOutputStream(logBytes);
    appender.start();
    ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.classic.Logger dure = ctx.getLogger("org.dure");
    ch.qos.logback.classic.Logger security = ctx.getLogger("dure.security");
    Level dureLevel = dure.getLevel(), securityLevel = security.getLevel();
    root.addAppender(appender);
    dure.setLevel(Level.DEBUG);
    security.setLevel(Level.DEBUG);
    try {
      files = TestConsortium.cohorts(dir, 3, 300, 19);
      c = new TestConsortium(dir);
      researcherToken = c.researcherToken;
      adminToken = c.pki.adminToken();
      passphrase = new String(c.pki.passphrase());
      c.agentConfig = config -> config.siteId().equals("hospital-a") ? config.withMetricsPort(0) : config;
      for (int i = 0; i < 3; i++) c.agent("hospital-" + (char) ('a' + i), files.get(i));
      c.awaitSites(3);
      HttpClient http = HttpClient.newBuilder().sslContext(c.pki.clientTls()).build();
      HttpResponse<String> issued = http.send(HttpRequest.newBuilder(URI.create(c.base() + "/api/users"))
          .header("Authorization", "Bearer " + c.pki.adminToken()).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"olivia\", \"role\": \"auditor\"}")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(201, issued.statusCode(), issued.body());
      issuedToken = TestConsortium.JSON.readTree(issued.body()).path("token").asText();
      before = PrometheusText.parse(c.getTextAsAdmin("/api/metrics"));
      researcherStatus = c.get("/api/metrics").status();
      String json = study();
      StudySpec spec = StudySpecParser.parse(json);
      parameters = spec.model().parameterCount(spec.inputWidth());
      studyId = c.run(json);
      JsonNode end = c.awaitEnd(studyId, Duration.ofMinutes(3));
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      Thread.sleep(300); // the last ledger appends and receipts
      afterText = c.getTextAsAdmin("/api/metrics");
      after = PrometheusText.parse(afterText);
      SiteAgent a = c.agents.get(0);
      agentText = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.metricsPort() + "/metrics"))
          .build(), HttpResponse.BodyHandlers.ofString()).body();
      agentMetrics = PrometheusText.parse(agentText);
      c.close();
      c = null;
    } finally {
      if (c != null) c.close();
      root.detachAppender(appender);
      appender.stop();
      dure.setLevel(dureLevel);
      security.setLevel(securityLevel);
    }
    for (String line : logBytes.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) logLines.add(TestConsortium.JSON.readTree(line)); // every line is one JSON object
    }
  }

  @AfterAll static void close() {
    if (c != null) c.close();
  }

  private static double delta(String name, String... labels) {
    return after.sum(name, labels) - before.sum(name, labels);
  }

  @Test void aResearcherIsRefusedTheMetricsAndTheRefusalIsASecurityEvent() {
    assertEquals(403, researcherStatus);
    assertTrue(securityEvents().contains("api.role.refused"), securityEvents().toString());
  }

  @Test void theStudyMovesTheCountersAndHistogramsByTheExpectedAmounts() {
    assertEquals(ROUNDS, delta("dure_rounds_total", "outcome", "completed", "aggregation", "secure"), afterText);
    assertEquals(0, delta("dure_rounds_total", "outcome", "aborted"));
    assertEquals(ROUNDS, delta("dure_round_duration_seconds_count", "outcome", "completed"));
    assertTrue(delta("dure_round_duration_seconds_sum", "outcome", "completed") > 0);
    for (String stage : new String[] {"keys", "shares", "masked_input", "unmasking"}) {
      assertEquals(ROUNDS, delta("dure_secagg_stage_duration_seconds_count", "stage", stage, "outcome", "proceeded"), stage);
    }
    assertEquals(1, after.sum("dure_studies", "state", "COMPLETED"));
    assertEquals(0, after.sum("dure_studies", "state", "TRAINING"));
    assertEquals(3, after.sum("dure_sites_enrolled"));
    assertEquals(3, after.sum("dure_sites_online"));
    for (String site : new String[] {"hospital-a", "hospital-b", "hospital-c"}) assertEquals(1, after.sum("dure_site_connected", "site", site));
    assertEquals(0, delta("dure_round_site_drops_total"));
    // every site's masked input of every round came in: at least 4 bytes per parameter each
    assertTrue(delta("dure_network_received_bytes_total", "channel", "agents") >= 3.0 * ROUNDS * 4 * parameters,
        delta("dure_network_received_bytes_total", "channel", "agents") + " bytes");
    assertTrue(delta("dure_network_sent_bytes_total", "channel", "agents") >= 3.0 * ROUNDS * 4 * parameters);
    // submitted, 3 approvals, per round: started + 3 contributions + committed, ended
    double entries = after.sum("dure_ledger_entries") - before.sum("dure_ledger_entries");
    assertTrue(entries >= 1 + 3 + ROUNDS * 5 + 1, entries + " entries");
    assertEquals(entries, delta("dure_ledger_append_duration_seconds_count"));
    assertEquals(1, delta("dure_api_requests_total", "route", "/api/studies", "method", "POST", "status", "201"));
    assertEquals(1, delta("dure_api_requests_total", "route", "/api/studies/:id/start", "method", "POST", "status", "202"));
    assertEquals(1, delta("dure_api_requests_total", "route", "/api/metrics", "status", "403"));
    assertTrue(after.sum("jvm_memory_used_bytes") > 0 && after.sum("process_uptime_seconds") > 0);
  }

  @Test void theAgentsLoopbackMetricsCountItsRoundsTrainingEpsilonAndTraffic() {
    assertEquals(ROUNDS, agentMetrics.sum("dure_site_agent_rounds_contributed_total", "aggregation", "secure"), agentText);
    assertEquals(ROUNDS, agentMetrics.sum("dure_site_agent_training_duration_seconds_count"));
    assertTrue(agentMetrics.sum("dure_site_agent_epsilon_spent", "study", studyId) > 0);
    assertTrue(agentMetrics.sum("dure_site_agent_outbound_bytes_total", "kind", "binary") >= ROUNDS * 4.0 * parameters);
    assertTrue(agentMetrics.sum("dure_site_agent_outbound_bytes_total", "kind", "json") > 0);
    assertEquals(1, agentMetrics.sum("dure_site_agent_connected"));
    assertEquals(0, agentMetrics.sum("dure_site_agent_reconnects_total"));
    assertEquals(1, agentMetrics.sum("dure_build_info", "component", "site-agent"));
  }

  @Test void labelsAreBoundedAndCarryNoSecretOrDataValue() throws Exception {
    Set<String> allowed = Set.of("state", "outcome", "aggregation", "stage", "reason", "site", "channel", "route", "method",
        "status", "listener", "component", "version", "le", "study", "kind",
        // Micrometer's JVM and process binders
        "area", "id", "action", "cause", "gc", "name", "vendor", "runtime", "type", "memory");
    Set<String> seen = new TreeSet<>();
    for (PrometheusText p : List.of(after, agentMetrics)) p.samples.keySet().forEach(s -> seen.addAll(s.labels().keySet()));
    assertTrue(allowed.containsAll(seen), "label names " + seen);
    Set<String> secrets = secrets();
    for (String text : List.of(afterText, agentText)) {
      for (String s : secrets) assertFalse(text.contains(s), "the metrics hold a secret or data value: " + s);
    }
  }

  @Test void noLogLineHoldsATokenKeyMaterialAPseudonymisationSecretOrADataValue() throws Exception {
    String logs = logBytes.toString(StandardCharsets.UTF_8);
    assertTrue(logLines.size() > 50 && logs.contains(studyId), "the study was logged: " + logLines.size() + " lines");
    Set<String> secrets = secrets();
    long keyLines = secrets.stream().filter(x -> x.length() == 64).count();
    assertTrue(secrets.size() > 3 * 300 * 4 && keyLines >= 4, secrets.size() + " values to look for, " + keyLines + " key lines");
    for (String s : secrets) assertFalse(logs.contains(s), "a log line holds a secret or data value: " + s);
  }

  @Test void logLinesAreJsonWithStudyRoundAndSiteFieldsAndSecurityEventsHaveStableNames() {
    boolean withAll = logLines.stream().anyMatch(l -> studyId.equals(l.path("mdc").path("study").asText())
        && l.path("mdc").has("round") && l.path("mdc").path("site").asText().startsWith("hospital-"));
    assertTrue(withAll, "some line carries study, round and site");
    for (JsonNode l : logLines) {
      assertTrue(l.has("level") && l.has("loggerName") && l.has("formattedMessage") && l.has("timestamp"), l.toString());
      if (l.path("mdc").has("event")) {
        assertTrue(l.path("mdc").path("event").asText().matches("[a-z]+(\\.[a-z_]+)+"), l.toString());
        assertTrue(l.path("markers").toString().contains("SECURITY"), l.toString());
      }
    }
    Set<String> events = securityEvents();
    for (String e : new String[] {"credential.issued", "study.submitted", "study.site.approved", "study.ended", "study.approved",
        "api.role.refused"}) {
      assertTrue(events.contains(e), e + " in " + events);
    }
  }

  @Test void theGrafanaDashboardQueriesOnlyMetricsTheCoordinatorExports() throws Exception {
    Path dashboard = Path.of("..", "deploy", "grafana", "dure-consortium.json");
    JsonNode d = TestConsortium.JSON.readTree(dashboard.toFile());
    List<String> exprs = new ArrayList<>();
    d.findValues("expr").forEach(e -> exprs.add(e.asText()));
    assertTrue(exprs.size() >= 8, "panels with queries: " + exprs);
    Set<String> exported = after.names();
    Set<String> queried = new TreeSet<>();
    for (String expr : exprs) queried.addAll(metricNames(expr));
    Set<String> missing = new TreeSet<>(queried);
    missing.removeAll(exported);
    assertEquals(Set.of(), missing, "the dashboard queries metrics the coordinator does not export");
    assertTrue(queried.contains("dure_rounds_total") && queried.contains("dure_sites_online"), queried.toString());
  }

  /** The metric names in a PromQL expression (functions, keywords, label matchers, ranges and strings removed). */
  static Set<String> metricNames(String expr) {
    String e = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ")
        .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> out = new TreeSet<>();
    Matcher m = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?").matcher(e);
    Set<String> keywords = Set.of("by", "without", "on", "ignoring", "bool", "offset", "and", "or", "unless", "Inf", "NaN", "e");
    while (m.find()) {
      if (m.group(1) != null) continue; // a function
      String name = m.group().trim();
      if (keywords.contains(name) || name.startsWith("$")) continue;
      out.add(name);
    }
    return out;
  }

  private static Set<String> securityEvents() {
    Set<String> out = new TreeSet<>();
    for (JsonNode l : logLines) if (l.path("mdc").has("event")) out.add(l.path("mdc").path("event").asText());
    return out;
  }

  /**
   * What must never be logged: the API tokens, the CA passphrase, the body of every private key file (each PEM line),
   * each site's pseudonymisation secret, and every value of the cohorts' identifying columns.
   */
  static Set<String> secrets() throws Exception {
    Set<String> s = new LinkedHashSet<>();
    s.add(issuedToken);
    s.add(researcherToken);
    s.add(adminToken);
    s.add(passphrase);
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path f : all.filter(Files::isRegularFile).toList()) {
        String name = f.getFileName().toString();
        if (name.endsWith(".pem") && Files.readString(f).contains("PRIVATE KEY")) {
          for (String line : Files.readAllLines(f)) if (!line.startsWith("-----") && line.length() >= 16) s.add(line);
        }
        if (name.equals("pseudonym.key")) {
          byte[] key = Files.readAllBytes(f);
          String text = new String(key, StandardCharsets.ISO_8859_1).trim();
          if (text.length() >= 8) s.add(text);
          s.add(java.util.HexFormat.of().formatHex(key));
          s.add(java.util.Base64.getEncoder().encodeToString(key));
        }
      }
    }
    for (Path csv : files) {
      List<String> lines = Files.readAllLines(csv);
      List<String> header = List.of(lines.get(0).split(","));
      Map<Integer, String> identifying = new LinkedHashMap<>();
      for (String col : List.of("patient_id", "mrn", "name", "rrn", "phone", "address", "birth_date")) {
        if (header.contains(col)) identifying.put(header.indexOf(col), col);
      }
      assertTrue(identifying.size() >= 5, "the cohort has identifying columns: " + header);
      for (String line : lines.subList(1, lines.size())) {
        List<String> v = csvFields(line);
        for (int i : identifying.keySet()) {
          if (i >= v.size()) continue;
          String value = v.get(i);
          boolean ascii = value.chars().allMatch(ch -> ch < 128);
          if (value.length() >= (ascii ? 5 : 3)) s.add(value);
        }
      }
    }
    s.remove(null);
    s.remove("");
    return s;
  }

  static String researcherToken, adminToken, passphrase;

  /** The fields of one CSV line (RFC 4180 quotes). */
  static List<String> csvFields(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted) {
        if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') { f.append('"'); i++; }
        else if (ch == '"') quoted = false;
        else f.append(ch);
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        out.add(f.toString());
        f.setLength(0);
      } else {
        f.append(ch);
      }
    }
    out.add(f.toString());
    return out;
  }
}
