package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.dure.agent.SiteAgentMain;
import org.dure.agent.identity.SiteIdentity;
import org.dure.coordinator.admin.ConsortiumAdmin;
import org.dure.crypto.pki.ConsortiumCa;
import org.dure.crypto.pki.SiteKeys;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code dure agent doctor} against a real coordinator on loopback: what a data officer sees, and the exit code. */
class DoctorEndToEndTest {
  @TempDir static Path dir;
  static TestConsortium consortium;
  static Path csv;

  @BeforeAll static void consortium() throws Exception {
    consortium = new TestConsortium(dir);
    csv = TestConsortium.cohorts(dir, 1, 50, 3).get(0);
  }

  @AfterAll static void stop() {
    consortium.close();
  }

  record Run(int exit, String out) {}

  /** A site installation under {@code dir/name}: enrolled (for a year), owner-only work directory, config file. */
  private static Path install(String name, String site, URI coordinator, Path data) throws Exception {
    Path root = Files.createDirectories(dir.resolve(name));
    Path tls = root.resolve("pki");
    Path csr = SiteIdentity.request(tls, site, false);
    ConsortiumAdmin.Enrolled e = new ConsortiumAdmin(consortium.pki.root()).enrolSite(Files.readString(csr), Duration.ofDays(365),
        consortium.pki.passphrase());
    SiteIdentity.install(tls, site, Files.readString(e.certificateFile()), Files.readString(e.caFile()));
    Path work = Files.createDirectories(root.resolve("work"));
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
    return TestConsortium.write(root.resolve("agent.json"), List.of("{\"siteId\":\"" + site + "\",\"coordinator\":\"" + coordinator
        + "\",\"data\":{\"csv\":\"" + data + "\"},\"tls\":\"pki\",\"workDir\":\"work\"}"));
  }

  private static Run doctor(Path config) {
    StringWriter out = new StringWriter();
    int exit = new CommandLine(new SiteAgentMain()).setOut(new PrintWriter(out)).execute("doctor", "--config", config.toString());
    return new Run(exit, out.toString());
  }

  private static void assertLine(Run run, String prefix) {
    assertTrue(run.out().lines().anyMatch(l -> l.startsWith(prefix)), "no line starting with '" + prefix + "' in:\n" + run.out());
  }

  @Test void aGoodInstallationIsAllOkAndItsHelloIsInTheOutboundLedger() throws Exception {
    Path config = install("good", "site-good", consortium.agentUri(), csv);

    Run run = doctor(config);

    assertEquals(0, run.exit(), run.out());
    assertTrue(run.out().contains("all 13 checks OK"), run.out());
    assertLine(run, "OK       coordinator handshake      mutual TLS and hello accepted: the coordinator welcomed site-good");
    assertLine(run, "OK       data                       " + csv.getFileName() + ": 50 rows");
    assertTrue(Files.readString(config.resolveSibling("work").resolve("outbound.log")).contains("\"kind\":\"hello\""));
  }

  @Test void aMissingCertificateIsAProblemAndTheHandshakeIsNotAttempted() throws Exception {
    Path config = install("no-cert", "site-no-cert", consortium.agentUri(), csv);
    Files.delete(config.resolveSibling("pki").resolve(SiteIdentity.CERT));

    Run run = doctor(config);

    assertEquals(1, run.exit(), run.out());
    assertLine(run, "PROBLEM  TLS directory");
    assertTrue(run.out().contains("lacks site-cert.pem"), run.out());
    assertLine(run, "PROBLEM  coordinator handshake      not attempted");
  }

  @Test void aCaCopyFromAnotherCaIsAProblem() throws Exception {
    Path config = install("wrong-ca", "site-wrong-ca", consortium.agentUri(), csv);
    Files.writeString(config.resolveSibling("pki").resolve(SiteIdentity.CA_CERT),
        SiteKeys.certificatePem(ConsortiumCa.create("Another consortium", Duration.ofDays(1)).certificate()));

    Run run = doctor(config);

    assertEquals(1, run.exit(), run.out());
    assertLine(run, "PROBLEM  certificate issued by CA   site-cert.pem was not issued by the CA in ca-cert.pem (CN=Another consortium)");
  }

  @Test void anUnreachableCoordinatorIsATcpProblem() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = install("unreachable", "site-unreachable", URI.create("wss://127.0.0.1:" + port + "/agents"), csv);

    Run run = doctor(config);

    assertEquals(1, run.exit(), run.out());
    assertLine(run, "PROBLEM  coordinator TCP            cannot connect to 127.0.0.1:" + port);
    assertTrue(run.out().contains("firewall allows outbound connections to port " + port), run.out());
  }

  @Test void unreadableDataIsAProblem() throws Exception {
    Path config = install("no-data", "site-no-data", consortium.agentUri(), dir.resolve("gone.csv"));

    Run run = doctor(config);

    assertEquals(1, run.exit(), run.out());
    assertLine(run, "PROBLEM  data                       cannot read gone.csv");
  }

  @Test void aRevokedSiteIsRefusedAtTheHandshakeAndToldWhereTheReasonIs() throws Exception {
    Path config = install("revoked", "site-revoked", consortium.agentUri(), csv);
    new ConsortiumAdmin(consortium.pki.root()).revokeSite("site-revoked", "left the consortium", consortium.pki.passphrase());
    Thread.sleep(1500); // the coordinator re-reads its CRL every second

    Run run = doctor(config);

    assertEquals(1, run.exit(), run.out());
    assertLine(run, "PROBLEM  coordinator handshake      the coordinator closed the TLS handshake: it does not accept this site's certificate");
    assertTrue(run.out().contains("reason recorded for CN=site-revoked in the coordinator's refusals list"), run.out());
    assertTrue(consortium.coordinator.refusals().recent().stream().anyMatch(r -> r.subject().equals("CN=site-revoked")));
  }

  /** Issue 20: pointed at the coordinator's API port, the doctor advised checking the CA. */
  @Test void theApiPortInsteadOfTheAgentsPortIsNamedAndTheAgentsPortAdvised() throws Exception {
    int api = consortium.coordinator.apiPort();
    Path config = install("api-port", "site-api-port", URI.create("wss://127.0.0.1:" + api + "/agents"), csv);

    Run run = doctor(config);

    assertEquals(1, run.exit(), run.out());
    assertLine(run, "OK       coordinator TCP            connected to 127.0.0.1:" + api);
    assertLine(run, "PROBLEM  coordinator handshake      127.0.0.1:" + api + " answers HTTPS without a site certificate (HTTP/1.1 ");
    assertTrue(run.out().contains("this is the coordinator's API port for people, not the agents' port"), run.out());
    assertTrue(run.out().contains("how to fix: point \"coordinator\" in the configuration at the agents' port: wss://127.0.0.1:<agents' port>/agents"), run.out());
    assertTrue(!run.out().contains("ca-cert.pem is the consortium CA"), run.out());
  }

  /** Issue 20: the doctor created a missing work directory world-readable and then flagged it. */
  @Test void aMissingWorkDirectoryIsCreatedOwnerOnlyAndEveryCheckPasses() throws Exception {
    Path config = install("fresh", "site-fresh", consortium.agentUri(), csv);
    Path work = config.resolveSibling("work");
    Files.delete(work);

    Run first = doctor(config);
    Run second = doctor(config);

    assertEquals(0, first.exit(), first.out());
    assertLine(first, "OK       work directory             " + work.toAbsolutePath() + " created (owner-only, as the agent would)");
    assertEquals(0, second.exit(), second.out());
    assertLine(second, "OK       work directory             " + work.toAbsolutePath() + " is writable and owner-only");
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(work)));
    try (var files = Files.list(work)) {
      for (Path f : files.toList())
        assertEquals(Files.isDirectory(f) ? "rwx------" : "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
    }
  }
}
