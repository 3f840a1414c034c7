package org.dure.agent.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.dure.agent.data.CsvSource;
import org.dure.agent.identity.SiteIdentity;
import org.dure.crypto.pki.ConsortiumCa;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The doctor's checks one by one, each with the verdict and fix a data officer would read. */
class DoctorTest {
  @TempDir Path dir;
  final ConsortiumCa ca = ConsortiumCa.create("Test consortium", Duration.ofDays(400));

  private Path enrolled(Duration validity) throws IOException {
    Path tls = dir.resolve("pki");
    Path csr = SiteIdentity.request(tls, "hospital-a", false);
    SiteIdentity.install(tls, "hospital-a", SiteKeys.certificatePem(ca.signSite(SiteKeys.readCertificationRequest(Files.readString(csr)),
        validity)), SiteKeys.certificatePem(ca.certificate()));
    return tls;
  }

  private static Check named(List<Check> checks, String name) {
    return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(name + " not in " + checks));
  }

  @Test void aGoodTlsDirectoryPassesEveryTlsCheck() throws Exception {
    List<Check> checks = Doctor.tls(enrolled(Duration.ofDays(365)), "hospital-a", Instant.now());
    assertTrue(checks.stream().allMatch(Check::ok), checks.toString());
    assertEquals(5, checks.size());
  }

  @Test void aMissingCertificateSaysHowToEnrol() throws Exception {
    Path tls = enrolled(Duration.ofDays(365));
    Files.delete(tls.resolve(SiteIdentity.CERT));

    Check c = Doctor.tls(tls, "hospital-a", Instant.now()).get(0);
    assertFalse(c.ok());
    assertTrue(c.detail().endsWith("lacks site-cert.pem"), c.detail());
    assertTrue(c.fix().contains("dure agent install-cert"), c.fix());
  }

  @Test void aCertificateFromAnotherCaIsNamed() throws Exception {
    Path tls = enrolled(Duration.ofDays(365));
    Files.writeString(tls.resolve(SiteIdentity.CA_CERT), SiteKeys.certificatePem(ConsortiumCa.create("Other", Duration.ofDays(1)).certificate()));

    Check c = named(Doctor.tls(tls, "hospital-a", Instant.now()), "certificate issued by CA");
    assertFalse(c.ok());
    assertTrue(c.detail().contains("was not issued by the CA in ca-cert.pem"), c.detail());
  }

  @Test void aCertificateExpiringWithin30DaysIsAProblemWithTheRenewalCommand() throws Exception {
    List<Check> checks = Doctor.tls(enrolled(Duration.ofDays(10)), "hospital-a", Instant.now());
    Check c = named(checks, "certificate expiry");
    assertFalse(c.ok());
    assertTrue(c.fix().contains("dure agent enrol --renew"), c.fix());
    assertTrue(named(checks, "TLS certificate").ok(), "still valid today");
  }

  @Test void anUnreadableDataFileIsAProblem() {
    Check c = Doctor.data(new CsvSource(dir.resolve("missing.csv")));
    assertFalse(c.ok());
    assertTrue(c.detail().startsWith("cannot read missing.csv"), c.detail());
  }

  @Test void readableDataReportsRowsAndColumns() throws Exception {
    Path csv = Files.writeString(dir.resolve("extract.csv"), "age,sex,outcome\n61,F,1\n47,M,0\n");
    Check c = Doctor.data(new CsvSource(csv));
    assertTrue(c.ok(), c.toString());
    assertEquals("extract.csv: 2 rows, 3 columns", c.detail());
  }

  @Test void aWorkDirectoryOpenToOthersIsAProblem() throws Exception {
    Path work = Files.createDirectories(dir.resolve("work"));
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Check open = Doctor.workDir(work);
    assertFalse(open.ok());
    assertTrue(open.detail().contains("is open to others (group_execute, group_read, others_execute, others_read)"), open.detail());

    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
    assertTrue(Doctor.workDir(work).ok());
  }

  /** Issue 20: the doctor created a missing work directory world-readable, then flagged it. */
  @Test void aMissingWorkDirectoryIsCreatedOwnerOnlyAndPasses() throws Exception {
    Path absent = dir.resolve("absent").resolve("work");

    Check created = Doctor.workDir(absent);

    assertTrue(created.ok(), created.detail());
    assertEquals(absent.toAbsolutePath() + " created (owner-only, as the agent would) and writable", created.detail());
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(absent)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(absent.getParent())));
    org.dure.agent.outbound.OutboundLedger.open(absent); // what the doctor's handshake check writes there
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(absent.resolve("outbound.log"))));
    assertTrue(Doctor.workDir(absent).ok(), "and the next run finds it owner-only");

    Path file = Files.writeString(dir.resolve("a-file"), "x");
    Check impossible = Doctor.workDir(file.resolve("work"));
    assertFalse(impossible.ok());
    assertTrue(impossible.detail().contains("does not exist and cannot be created"), impossible.detail());
  }

  @Test void lessFreeSpaceThanNeededIsAProblem() {
    assertTrue(Doctor.diskSpace(dir, 1).ok());
    Check c = Doctor.diskSpace(dir.resolve("not-yet"), Long.MAX_VALUE);
    assertFalse(c.ok());
    assertTrue(c.detail().startsWith("only "), c.detail());
  }

  @Test void aClosedPortIsATcpProblemAndAnUnknownHostADnsProblem() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<Check> closed = Doctor.coordinator(URI.create("wss://127.0.0.1:" + port + "/agents"), null, dir, Duration.ofSeconds(2));
    assertTrue(closed.get(0).ok(), closed.toString());
    assertEquals("coordinator TCP", closed.get(1).name());
    assertFalse(closed.get(1).ok());
    assertTrue(closed.get(1).detail().startsWith("cannot connect to 127.0.0.1:" + port), closed.get(1).detail());

    List<Check> unknown = Doctor.coordinator(URI.create("wss://no-such-coordinator.invalid:8471/agents"), null, dir, Duration.ofSeconds(5));
    assertEquals(1, unknown.size());
    assertFalse(unknown.get(0).ok());
    assertTrue(unknown.get(0).detail().startsWith("no-such-coordinator.invalid does not resolve"), unknown.get(0).detail());
  }
}
