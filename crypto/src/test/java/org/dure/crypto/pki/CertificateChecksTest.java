package org.dure.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.dure.crypto.pki.SiteCertificateException.Reason;
import org.junit.jupiter.api.Test;

class CertificateChecksTest {
  private final ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));

  @Test void enrolledSiteCertificateValidatesToItsSiteId() throws Exception {
    KeyPair siteKeys = SiteKeys.generateKeyPair();
    String csrPem = SiteKeys.certificationRequestPem(SiteKeys.certificationRequest("hospital-a.icu_2", siteKeys));
    String certPem = SiteKeys.certificatePem(ca.signSite(SiteKeys.readCertificationRequest(csrPem), Duration.ofDays(90)));

    String siteId = CertificateChecks.validateSite(SiteKeys.readCertificate(certPem), ca.certificate(), ca.crl(), Instant.now());

    assertEquals("hospital-a.icu_2", siteId);
  }

  @Test void certificateFromAnotherCaWithTheSameNameIsAnUntrustedIssuer() {
    ConsortiumCa impostor = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));
    X509Certificate cert = impostor.signSite(ConsortiumCaTest.csr("hospital-a"), Duration.ofDays(1));

    assertRefused(Reason.UNTRUSTED_ISSUER, cert, Instant.now());
  }

  @Test void certificatePastItsValidityIsExpired() {
    X509Certificate cert = ca.signSite(ConsortiumCaTest.csr("hospital-a"), Duration.ofMinutes(1));

    assertRefused(Reason.EXPIRED, cert, Instant.now().plus(Duration.ofHours(1)));
  }

  @Test void certificateBeforeItsValidityIsNotYetValid() {
    X509Certificate cert = ca.signSite(ConsortiumCaTest.csr("hospital-a"), Duration.ofDays(1));

    assertRefused(Reason.NOT_YET_VALID, cert, Instant.now().minus(Duration.ofHours(1)));
  }

  @Test void revokedCertificateIsRefusedThroughTheCrl() {
    X509Certificate cert = ca.signSite(ConsortiumCaTest.csr("hospital-a"), Duration.ofDays(1));
    ca.revoke(cert.getSerialNumber());

    assertRefused(Reason.REVOKED, cert, Instant.now());
  }

  @Test void crlFromAnotherCaLeavesTheStatusUnknownAndRefuses() throws Exception {
    X509Certificate cert = ca.signSite(ConsortiumCaTest.csr("hospital-a"), Duration.ofDays(1));
    ConsortiumCa other = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));

    SiteCertificateException e = assertThrows(SiteCertificateException.class,
        () -> CertificateChecks.validateSite(cert, ca.certificate(), other.crl(), Instant.now()));

    assertEquals(Reason.REVOCATION_STATUS_UNKNOWN, e.reason(), e.getMessage());
  }

  @Test void serverCertificateWithoutClientAuthIsNotASiteCertificate() {
    X509Certificate cert = ca.issueServer(List.of("hospital-a"), SiteKeys.generateKeyPair().getPublic(), Duration.ofDays(1));

    assertRefused(Reason.NOT_A_SITE_CERTIFICATE, cert, Instant.now());
  }

  private void assertRefused(Reason expected, X509Certificate cert, Instant now) {
    SiteCertificateException e = assertThrows(SiteCertificateException.class,
        () -> CertificateChecks.validateSite(cert, ca.certificate(), ca.crl(), now));
    assertEquals(expected, e.reason(), e.getMessage());
    assertEquals(true, e.getMessage().startsWith(expected + ": "), e.getMessage());
  }
}
