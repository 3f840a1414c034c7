package org.dure.launcher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.dure.cohort.CohortGenerator;
import org.dure.testing.TestConsortium;

/**
 * A site agent as its own operating-system process ({@code java -cp … DureCommand agent --config …}), as a hospital
 * runs it, so that a test can kill it with SIGKILL ({@link Process#destroyForcibly()}) or freeze it with SIGSTOP.
 */
final class AgentProcess implements AutoCloseable {
  final String site;
  final Path home;
  final Path workDir;
  final Path log;
  private Process process;

  private AgentProcess(String site, Path home) {
    this.site = site;
    this.home = home;
    this.workDir = home.resolve("work");
    this.log = home.resolve("agent.log");
  }

  /** Enrols the site (if new), writes its configuration under {@code c.dir/processes/site} and starts it. */
  static AgentProcess start(TestConsortium c, String site, Path csv) throws Exception {
    return start(c, site, csv, c.agentUri(), c.dir.resolve("processes").resolve(site));
  }

  static AgentProcess start(TestConsortium c, String site, Path csv, URI coordinator, Path home) throws Exception {
    AgentProcess a = new AgentProcess(site, Files.createDirectories(home));
    a.configure(c, csv, coordinator);
    a.restart();
    return a;
  }

  private void configure(TestConsortium c, Path csv, URI coordinator) throws Exception {
    Files.writeString(home.resolve("policy.json"),
        "{\"approval\": \"automatic\", \"requireSecureAggregation\": false, \"minLocalCohort\": 0, \"minSecureRoster\": 2}\n");
    Path tls = c.pki.siteTls().containsKey(site) ? c.pki.siteTls().get(site) : c.pki.enrol(site);
    ObjectNode cfg = TestConsortium.JSON.createObjectNode().put("siteId", site).put("coordinator", coordinator.toString())
        .put("tls", tls.toString()).put("workDir", workDir.toString()).put("policy", home.resolve("policy.json").toString());
    cfg.putObject("data").put("csv", csv.toAbsolutePath().toString());
    cfg.set("pseudonymisation", TestConsortium.JSON.readTree(
        CohortGenerator.pseudonymisationJson(c.dir.resolve("secrets").resolve(site).resolve("pseudonym.key").toString())));
    Files.writeString(home.resolve("agent.json"), cfg.toPrettyString());
  }

  /** Starts (again) the agent process with its configuration and work directory. */
  AgentProcess restart() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:TieredStopAtLevel=1", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-cp",
        System.getProperty("java.class.path"), DureCommand.class.getName(), "agent", "--config",
        home.resolve("agent.json").toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().put("OPENBLAS_NUM_THREADS", "1");
    process = pb.start();
    return this;
  }

  Process process() {
    return process;
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL, and waits until the process is gone (it sends nothing after this returns). */
  void kill9() {
    if (process == null) return;
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGSTOP: the process keeps its connections open but answers nothing until it is killed or continued. */
  void freeze() throws Exception {
    new ProcessBuilder("kill", "-STOP", Long.toString(process.pid())).inheritIO().start().waitFor();
  }

  /** Waits until the coordinator lists the site as connected, failing with the agent's log if it exits or is slow. */
  void awaitConnected(TestConsortium c, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!c.get("/api/sites").body().toString().contains("\"" + site + "\"")) {
      if (!process.isAlive()) throw new AssertionError(site + " exited with " + process.exitValue() + ": " + logText());
      if (System.nanoTime() > deadline) throw new AssertionError(site + " did not connect in " + timeout + ": " + logText());
      Thread.sleep(50);
    }
  }

  String logText() throws Exception {
    return Files.isRegularFile(log) ? Files.readString(log) : "(no log)";
  }

  @Override public void close() {
    if (process != null && process.isAlive()) kill9();
  }
}
