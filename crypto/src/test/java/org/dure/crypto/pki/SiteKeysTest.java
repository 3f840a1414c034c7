package org.dure.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

class SiteKeysTest {
  @Test void privateKeyIsWrittenAsUnencryptedPkcs8AndReadsBackEqual() {
    KeyPair keys = SiteKeys.generateKeyPair();

    String pem = SiteKeys.privateKeyPem(keys.getPrivate());

    assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----"), pem);
    ECPrivateKey back = (ECPrivateKey) SiteKeys.readPrivateKey(pem);
    assertEquals(((ECPrivateKey) keys.getPrivate()).getS(), back.getS());
    assertEquals(256, back.getParams().getCurve().getField().getFieldSize());
  }

  @Test void csrAndCertificateSurviveAPemRoundTrip() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));
    PKCS10CertificationRequest csr = SiteKeys.certificationRequest("hospital-a", SiteKeys.generateKeyPair());
    X509Certificate cert = ca.signSite(csr, Duration.ofDays(1));

    PKCS10CertificationRequest csrBack = SiteKeys.readCertificationRequest(SiteKeys.certificationRequestPem(csr));
    X509Certificate certBack = SiteKeys.readCertificate(SiteKeys.certificatePem(cert));

    assertArrayEquals(csr.getEncoded(), csrBack.getEncoded());
    assertEquals(cert, certBack);
  }

  @Test void csrForAnInvalidSiteIdIsRefusedAtTheSite() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SiteKeys.certificationRequest("../etc", SiteKeys.generateKeyPair()));

    assertTrue(e.getMessage().contains("site id '../etc' must match"), e.getMessage());
  }

  @Test void readingACertificateWhereAKeyIsExpectedFailsClearly() throws Exception {
    String certPem = SiteKeys.certificatePem(ConsortiumCa.create("x", Duration.ofDays(1)).certificate());

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SiteKeys.readPrivateKey(certPem));

    assertTrue(e.getMessage().startsWith("expected an unencrypted private key PEM"), e.getMessage());
  }
}
