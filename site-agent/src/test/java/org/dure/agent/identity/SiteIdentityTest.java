package org.dure.agent.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.dure.crypto.pki.ConsortiumCa;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The site side of enrolment: the key is made here, only a request leaves, and only a matching certificate is installed. */
class SiteIdentityTest {
  @TempDir Path dir;
  final ConsortiumCa ca = ConsortiumCa.create("Test consortium", Duration.ofDays(1));

  private X509Certificate sign(Path csr) throws IOException {
    return ca.signSite(SiteKeys.readCertificationRequest(Files.readString(csr)), Duration.ofDays(1));
  }

  @Test void enrolmentMakesAnOwnerOnlyKeyAndARequestAndInstallsTheSignedCertificate() throws Exception {
    Path csr = SiteIdentity.request(dir, "hospital-a", false);

    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(SiteIdentity.KEY))));
    assertFalse(Files.readString(csr).contains("PRIVATE KEY"));
    SiteIdentity.install(dir, "hospital-a", SiteKeys.certificatePem(sign(csr)), SiteKeys.certificatePem(ca.certificate()));
    SiteIdentity id = SiteIdentity.load(dir, "hospital-a");
    assertEquals("hospital-a", id.siteId());
    assertTrue(id.renewalDue(), "a one-day certificate is due for renewal");
  }

  @Test void renewalKeepsTheOldKeyUntilTheNewCertificateIsInstalled() throws Exception {
    SiteIdentity.install(dir, "hospital-a", SiteKeys.certificatePem(sign(SiteIdentity.request(dir, "hospital-a", false))),
        SiteKeys.certificatePem(ca.certificate()));
    String oldKey = Files.readString(dir.resolve(SiteIdentity.KEY));

    Path csr = SiteIdentity.request(dir, "hospital-a", true);
    assertEquals(oldKey, Files.readString(dir.resolve(SiteIdentity.KEY)), "the current key keeps working meanwhile");
    SiteIdentity.install(dir, "hospital-a", SiteKeys.certificatePem(sign(csr)), SiteKeys.certificatePem(ca.certificate()));

    assertFalse(Files.exists(dir.resolve(SiteIdentity.NEXT_KEY)));
    assertFalse(oldKey.equals(Files.readString(dir.resolve(SiteIdentity.KEY))));
    SiteIdentity.load(dir, "hospital-a");
  }

  @Test void aCertificateForAnotherSiteOrFromAnotherCaIsNotInstalled() throws Exception {
    Path csr = SiteIdentity.request(dir, "hospital-a", false);
    Path other = SiteIdentity.request(dir.resolve("b"), "hospital-b", false);
    IOException wrongSite = assertThrows(IOException.class, () -> SiteIdentity.install(dir, "hospital-a",
        SiteKeys.certificatePem(sign(other)), SiteKeys.certificatePem(ca.certificate())));
    assertTrue(wrongSite.getMessage().contains("is for 'CN=hospital-b'"), wrongSite.getMessage());
    ConsortiumCa foreign = ConsortiumCa.create("Other", Duration.ofDays(1));
    IOException wrongCa = assertThrows(IOException.class, () -> SiteIdentity.install(dir, "hospital-a",
        SiteKeys.certificatePem(sign(csr)), SiteKeys.certificatePem(foreign.certificate())));
    assertTrue(wrongCa.getMessage().contains("not issued by the consortium CA"), wrongCa.getMessage());
    assertFalse(Files.exists(dir.resolve(SiteIdentity.CERT)));
  }

  @Test void enrollingTwiceWithoutRenewRefusesToOverwriteTheKey() throws Exception {
    SiteIdentity.request(dir, "hospital-a", false);
    IOException e = assertThrows(IOException.class, () -> SiteIdentity.request(dir, "hospital-a", false));
    assertTrue(e.getMessage().contains("--renew"), e.getMessage());
  }

  @Test void aMissingIdentityExplainsHowToEnrol() {
    IOException e = assertThrows(IOException.class, () -> SiteIdentity.load(dir, "hospital-a"));
    assertTrue(e.getMessage().contains("dure agent enrol"), e.getMessage());
  }
}
