package org.dure.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.dure.agent.AgentConfig;
import org.dure.agent.SiteAgent;
import org.dure.coordinator.Coordinator;
import org.dure.coordinator.CoordinatorConfig;
import org.dure.coordinator.security.CoordinatorPki;
import org.dure.coordinator.security.Credentials;
import org.dure.coordinator.security.Role;

/**
 * A real consortium for tests and benchmarks (as OkHttp ships mockwebserver): a real coordinator and real site agents in this JVM, on ephemeral loopback ports, behind a real
 * throwaway consortium PKI (HTTPS API with a researcher token, mutual-TLS agent channel, enrolled sites).
 */
public final class TestConsortium implements AutoCloseable {
  public static final ObjectMapper JSON = new ObjectMapper();
  public final Path dir;
  public final LocalConsortium pki;
  public final String researcherToken;
  public Coordinator coordinator;
  public final List<SiteAgent> agents = new ArrayList<>();
  private final HttpClient http;
  /** Changes each agent's configuration before it starts (e.g. a metrics port). */
  public java.util.function.UnaryOperator<AgentConfig> agentConfig = config -> config;

  public TestConsortium(Path dir) throws Exception {
    this.dir = dir;
    this.pki = LocalConsortium.provision(dir, List.of());
    this.researcherToken = Credentials.load(pki.coordinatorPki().resolve(CoordinatorPki.CREDENTIALS))
        .issue("researcher", Role.RESEARCHER, "test").token();
    this.http = HttpClient.newBuilder().sslContext(pki.clientTls()).build();
    this.coordinator = startCoordinator();
  }

  public Coordinator startCoordinator() throws Exception {
    return Coordinator.start(CoordinatorConfig.loopback(dir.resolve("coordinator"), pki.coordinatorPki()))
        .toCompletionStage().toCompletableFuture().get();
  }

  public String base() {
    return "https://127.0.0.1:" + coordinator.apiPort();
  }

  public URI agentUri() {
    return URI.create("wss://127.0.0.1:" + coordinator.agentPort() + "/agents");
  }

  /** Enrols the site (if new) and starts its agent. */
  public SiteAgent agent(String site, Path csv) throws Exception {
    return agent(site, csv, agentUri());
  }

  /** Enrols the site (if new) and starts its agent under the given local policy. */
  public SiteAgent agent(String site, Path csv, org.dure.agent.policy.LocalPolicy policy) throws Exception {
    return start(site, csv, agentUri(), policy);
  }

  public SiteAgent agent(String site, Path csv, URI coordinatorUri) throws Exception {
    // Tests run on synthetic files: every study with the columns is approved, secure or not.
    return start(site, csv, coordinatorUri, org.dure.agent.policy.LocalPolicy.rehearsal());
  }

  private SiteAgent start(String site, Path csv, URI coordinatorUri, org.dure.agent.policy.LocalPolicy policy) throws Exception {
    Path tls = pki.siteTls().containsKey(site) ? pki.siteTls().get(site) : pki.enrol(site);
    SiteAgent a = SiteAgent.start(agentConfig.apply(new AgentConfig(site, coordinatorUri, new org.dure.agent.data.CsvSource(csv), tls,
        dir.resolve("agents").resolve(site), policy, pseudonymisationFor(site, csv))));
    agents.add(a);
    return a;
  }

  /**
   * Generated cohorts hold every kind of direct identifier, and an agent refuses such data unless it is told how to
   * pseudonymise it: they get the generator's pseudonymisation. Other files (WDBC) get none, only the identifier scan.
   */
  public org.dure.pseudonymisation.PseudonymisationConfig pseudonymisationFor(String site, Path csv) throws Exception {
    String header;
    try (var lines = Files.lines(csv)) {
      header = lines.findFirst().orElse("");
    }
    if (!header.contains("rrn")) return null;
    Path secret = dir.resolve("secrets").resolve(site).resolve("pseudonym.key");
    return org.dure.pseudonymisation.PseudonymisationConfig.parse(
        org.dure.cohort.CohortGenerator.pseudonymisationJson(secret.toString()), dir);
  }

  public void awaitSites(int n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (get("/api/sites").body().size() < n) {
      if (System.nanoTime() > deadline) throw new AssertionError("only " + get("/api/sites").body().size() + " of " + n + " sites connected");
      Thread.sleep(50);
    }
  }

  public Response post(String path, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + researcherToken)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
  }

  public Response get(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + researcherToken).GET().build(), HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
  }

  /** GET with the administrator's token (the ledger endpoints are for administrators and auditors). */
  public Response getAsAdmin(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + pki.adminToken()).GET().build(), HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.body().isEmpty() || !r.body().startsWith("{") && !r.body().startsWith("[") ? null : JSON.readTree(r.body()));
  }

  public String getTextAsAdmin(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + pki.adminToken()).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  public byte[] getBytes(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + researcherToken).GET().build(), HttpResponse.BodyHandlers.ofByteArray()).body();
  }

  /** Submits and starts a study; returns its id. */
  public String run(String studyJson) throws Exception {
    Response submitted = post("/api/studies", studyJson);
    if (submitted.status() != 201) throw new AssertionError("submit answered " + submitted.status() + ": " + submitted.body());
    String id = submitted.body().path("id").asText();
    Response started = post("/api/studies/" + id + "/start", "");
    if (started.status() != 202) throw new AssertionError("start answered " + started.status() + ": " + started.body());
    return id;
  }

  public JsonNode awaitEnd(String id, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode v = get("/api/studies/" + id).body();
      if (Set.of("COMPLETED", "STOPPED", "FAILED").contains(v.path("status").asText())) return v;
      Thread.sleep(100);
    }
    throw new AssertionError("study " + id + " still " + get("/api/studies/" + id).body().path("status") + " after " + timeout);
  }

  @Override public void close() {
    agents.forEach(SiteAgent::close);
    if (coordinator != null) coordinator.close();
  }

  public record Response(int status, JsonNode body) {}

  public static Path write(Path file, List<String> lines) throws Exception {
    Files.createDirectories(file.getParent());
    return Files.write(file, lines);
  }

  /** Sites whose update is in a completed round: per-site samples (plain) or the secure sum's survivors. */
  public static int contributors(JsonNode round) {
    JsonNode secure = round.path("secureAggregation");
    return secure.isObject() ? secure.path("survivors").size() : round.path("samples").size();
  }

  /** The study JSON with secure aggregation turned off (plain, signed updates). */
  public static String plain(String studyJson) {
    try {
      com.fasterxml.jackson.databind.node.ObjectNode s = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(studyJson);
      s.putObject("privacy").putObject("secureAggregation").put("enabled", false);
      return s.toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Writes synthetic cohorts for {@code sites} hospitals under {@code dir/data} and returns their CSV files. */
  public static List<Path> cohorts(Path dir, int sites, int patientsPerSite, long seed) throws Exception {
    List<org.dure.cohort.SiteCohort> generated = org.dure.cohort.CohortGenerator.builder().sites(sites)
        .patientsPerSite(patientsPerSite).seed(seed).build().writeTo(dir.resolve("data"));
    List<Path> files = new ArrayList<>();
    for (org.dure.cohort.SiteCohort c : generated) files.add(dir.resolve("data").resolve(c.fileName()));
    return files;
  }
}
