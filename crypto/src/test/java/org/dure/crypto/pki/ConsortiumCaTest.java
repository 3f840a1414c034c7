package org.dure.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsortiumCaTest {
  private static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();

  @Test void newCaIsASelfSignedP256CaForCertAndCrlSigning() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));

    X509Certificate cert = ca.certificate();

    cert.verify(cert.getPublicKey());
    assertEquals(Integer.MAX_VALUE, cert.getBasicConstraints());
    assertTrue(cert.getKeyUsage()[5], "keyCertSign");
    assertTrue(cert.getKeyUsage()[6], "cRLSign");
    assertEquals("SHA256withECDSA", cert.getSigAlgName());
    assertTrue(cert.getNotAfter().toInstant().isAfter(Instant.now().plus(Duration.ofDays(29))));
  }

  @Test void savedCaLoadsWithTheRightPassphraseAndKeepsSigningAndRevocations(@TempDir Path dir) throws Exception {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));
    ca.revoke(BigInteger.valueOf(42));
    ca.save(dir, PASSPHRASE);

    ConsortiumCa loaded = ConsortiumCa.load(dir, PASSPHRASE);

    String keyPem = Files.readString(dir.resolve(ConsortiumCa.KEY_FILE));
    assertTrue(keyPem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"), keyPem);
    assertArrayEquals(ca.certificate().getEncoded(), loaded.certificate().getEncoded());
    X509Certificate site = loaded.signSite(csr("hospital-a"), Duration.ofDays(1));
    site.verify(ca.certificate().getPublicKey());
    assertNotNull(loaded.crl().getRevokedCertificate(BigInteger.valueOf(42)));
  }

  @Test void loadingWithAWrongPassphraseFailsNamingThePassphrase(@TempDir Path dir) throws Exception {
    ConsortiumCa.create("Dure test consortium", Duration.ofDays(30)).save(dir, PASSPHRASE);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConsortiumCa.load(dir, "wrong passphrase here".toCharArray()));

    assertTrue(e.getMessage().contains("passphrase is wrong"), e.getMessage());
  }

  @Test void savingWithAShortPassphraseIsRefused(@TempDir Path dir) {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ca.save(dir, "short".toCharArray()));

    assertEquals("passphrase must have at least 12 characters, had 5; the CA key protects the whole consortium",
        e.getMessage());
  }

  @Test void siteCertificateCarriesTheCsrSiteIdAndClientAuthOnly() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));

    X509Certificate cert = ca.signSite(csr("hospital-a"), Duration.ofDays(90));

    assertEquals("CN=hospital-a", cert.getSubjectX500Principal().getName());
    assertEquals(ca.certificate().getSubjectX500Principal(), cert.getIssuerX500Principal());
    assertEquals(List.of(CertificateChecks.CLIENT_AUTH_OID), cert.getExtendedKeyUsage());
    assertTrue(cert.getKeyUsage()[0], "digitalSignature");
    assertFalse(cert.getKeyUsage()[5], "keyCertSign");
    assertEquals(-1, cert.getBasicConstraints());
  }

  @Test void tamperedCsrIsRejectedBeforeAnythingIsIssued() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));
    byte[] der = csr("hospital-a").getEncoded();
    byte[] name = "hospital-a".getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(der, name);
    der[at + name.length - 1] = 'b';
    PKCS10CertificationRequest tampered = new PKCS10CertificationRequest(der);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ca.signSite(tampered, Duration.ofDays(1)));

    assertTrue(e.getMessage().startsWith("certification request signature does not verify"), e.getMessage());
  }

  @Test void csrWhoseCommonNameIsNotASiteIdIsRejectedWithThePattern() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));
    KeyPair keys = SiteKeys.generateKeyPair();
    PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=Hospital A"),
        keys.getPublic()).build(PkiSupport.signer(keys.getPrivate()));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ca.signSite(csr, Duration.ofDays(1)));

    assertTrue(e.getMessage().startsWith("certification request: site id 'Hospital A' must match [a-z0-9][a-z0-9._-]{0,63}"),
        e.getMessage());
  }

  /** Found by EnrolmentFuzzTest: an unknown signature algorithm reached the administrator as a JCA exception name. */
  @Test void csrSignedWithAnotherAlgorithmIsRefusedByName() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));
    KeyPair keys = SiteKeys.generateKeyPair();
    PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=hospital-a"),
        keys.getPublic()).build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA384withECDSA")
        .build(keys.getPrivate()));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ca.signSite(csr, Duration.ofDays(1)));

    assertEquals("certification request is signed with algorithm 1.2.840.10045.4.3.3, not SHA256withECDSA; create it"
        + " with SiteKeys.certificationRequest", e.getMessage());
  }

  @Test void serverCertificateNamesEveryHostAsDnsOrIpSubjectAltName() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));

    X509Certificate cert = ca.issueServer(List.of("coordinator.example.org", "127.0.0.1"),
        SiteKeys.generateKeyPair().getPublic(), Duration.ofDays(30));

    assertEquals(List.of(List.of(2, "coordinator.example.org"), List.of(7, "127.0.0.1")),
        List.copyOf(cert.getSubjectAlternativeNames()));
    assertEquals(List.of("1.3.6.1.5.5.7.3.1"), cert.getExtendedKeyUsage());
  }

  @Test void crlIsSignedCurrentAndListsEveryRevokedSerial() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));
    X509Certificate a = ca.signSite(csr("hospital-a"), Duration.ofDays(1));
    X509Certificate b = ca.signSite(csr("hospital-b"), Duration.ofDays(1));
    ca.revoke(a.getSerialNumber());
    ca.revoke(b.getSerialNumber());

    X509CRL crl = ca.crl();

    crl.verify(ca.certificate().getPublicKey());
    assertNotNull(crl.getNextUpdate());
    assertTrue(crl.getNextUpdate().toInstant().isAfter(Instant.now()));
    assertTrue(crl.isRevoked(a));
    assertTrue(crl.isRevoked(b));
    assertEquals(2, crl.getRevokedCertificates().size());
  }

  static PKCS10CertificationRequest csr(String siteId) {
    return SiteKeys.certificationRequest(siteId, SiteKeys.generateKeyPair());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
      return i;
    }
    throw new AssertionError("needle not found");
  }

  @Test void revokingASiteRevokesEveryCertificateIssuedToItAndTheRegisterSurvivesSaveAndLoad(@TempDir Path dir) throws Exception {
    ConsortiumCa ca = ConsortiumCa.create("Dure test consortium", Duration.ofDays(30));
    X509Certificate first = ca.signSite(csr("hospital-a"), Duration.ofDays(1));
    X509Certificate renewed = ca.signSite(csr("hospital-a"), Duration.ofDays(2));
    X509Certificate other = ca.signSite(csr("hospital-b"), Duration.ofDays(1));
    ca.save(dir, PASSPHRASE);
    ConsortiumCa loaded = ConsortiumCa.load(dir, PASSPHRASE);

    List<BigInteger> revoked = loaded.revokeSite("hospital-a");

    assertEquals(List.of(first.getSerialNumber(), renewed.getSerialNumber()).stream().sorted().toList(),
        revoked.stream().sorted().toList());
    assertEquals(3, loaded.issued().size());
    X509CRL crl = SiteKeys.readCrl(SiteKeys.crlPem(loaded.crl()));
    assertTrue(crl.isRevoked(first));
    assertTrue(crl.isRevoked(renewed));
    assertFalse(crl.isRevoked(other));
    assertTrue(loaded.revokeSite("hospital-z").isEmpty());
  }
}
