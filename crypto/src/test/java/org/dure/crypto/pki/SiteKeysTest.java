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

  /** Found by PemFuzzTest: BouncyCastle's decoders throw on malformed DER, and their class names reached the message. */
  @Test void malformedDerInsideAPemBlockIsRefusedInWordsNotExceptionNames() {
    String emptySequence = "-----BEGIN %s-----\nMAA=\n-----END %s-----\n";

    IllegalArgumentException request = assertThrows(IllegalArgumentException.class,
        () -> SiteKeys.readCertificationRequest(emptySequence.formatted("CERTIFICATE REQUEST", "CERTIFICATE REQUEST")));
    IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
        () -> SiteKeys.readPrivateKey(emptySequence.formatted("EC PRIVATE KEY", "EC PRIVATE KEY")));
    IllegalArgumentException truncated = assertThrows(IllegalArgumentException.class,
        () -> SiteKeys.readCertificate("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"));

    assertEquals("malformed PEM where a certification request was expected: the CERTIFICATE REQUEST block: problem parsing"
        + " certrequest", request.getMessage());
    assertEquals("cannot decode the private key: the EC PRIVATE KEY block: unable to convert key pair", key.getMessage());
    assertEquals("malformed PEM where a certificate was expected: the CERTIFICATE block: problem parsing cert: EOF found"
        + " reading length", truncated.getMessage());
  }

  @Test void aHugePemLabelIsNotQuotedBackWhole() {
    String label = "X".repeat(100_000);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SiteKeys.readCertificate("-----BEGIN " + label + "-----\nMAA=\n-----END " + label + "-----\n"));

    assertTrue(e.getMessage().length() < 400, e.getMessage().length() + " characters");
  }
}
