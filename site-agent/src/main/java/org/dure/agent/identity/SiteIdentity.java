package org.dure.agent.identity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import javax.security.auth.x500.X500Principal;
import org.dure.crypto.SecureFiles;
import org.dure.crypto.pki.SiteKeys;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.crypto.sign.SiteSignatures;

/**
 * A site's identity in the consortium, kept in its TLS directory:
 *
 * <pre>
 * site-key.pem        the site's EC P-256 private key (made here, owner-only, never leaves the hospital)
 * site-key.next.pem   a renewal key waiting for its certificate
 * site.csr            the certification request to send to the consortium administrator
 * site-cert.pem       the certificate the administrator signed
 * ca-cert.pem         the consortium CA certificate (the only trust anchor for the coordinator)
 * </pre>
 *
 * The same key authenticates the agent in mutual TLS and signs its approvals and contributions.
 */
public final class SiteIdentity {
  public static final String KEY = "site-key.pem";
  public static final String NEXT_KEY = "site-key.next.pem";
  public static final String CSR = "site.csr";
  public static final String CERT = "site-cert.pem";
  public static final String CA_CERT = "ca-cert.pem";
  /** The agent warns when its certificate expires sooner than this. */
  public static final Duration RENEW_WARNING = Duration.ofDays(30);

  private final String siteId;
  private final PrivateKey key;
  private final X509Certificate certificate;
  private final X509Certificate ca;
  private final Path dir;

  private SiteIdentity(String siteId, PrivateKey key, X509Certificate certificate, X509Certificate ca, Path dir) {
    this.siteId = siteId;
    this.key = key;
    this.certificate = certificate;
    this.ca = ca;
    this.dir = dir;
  }

  /**
   * Loads and checks the identity for {@code siteId}: the key matches the certificate, the certificate names
   * this site, was issued by the CA in the directory and is valid now. Each failure says what to do.
   */
  public static SiteIdentity load(Path dir, String siteId) throws IOException {
    for (String f : new String[] {KEY, CERT, CA_CERT}) {
      if (!Files.isReadable(dir.resolve(f))) {
        throw new IOException("the site's TLS directory " + dir.toAbsolutePath() + " lacks " + f + "; enrol the site:"
            + " `dure agent enrol --site-id " + siteId + " --dir " + dir + "`, send " + CSR + " to the consortium administrator,"
            + " then `dure agent install-cert --dir " + dir + " --cert <site-cert.pem> --ca <ca-cert.pem>`");
      }
    }
    PrivateKey key = SiteKeys.readPrivateKey(Files.readString(dir.resolve(KEY)));
    X509Certificate cert = SiteKeys.readCertificate(Files.readString(dir.resolve(CERT)));
    X509Certificate ca = SiteKeys.readCertificate(Files.readString(dir.resolve(CA_CERT)));
    check(siteId, key, cert, ca, dir.resolve(CERT));
    Instant notAfter = cert.getNotAfter().toInstant();
    if (Instant.now().isAfter(notAfter)) {
      throw new IOException("the site certificate " + dir.resolve(CERT) + " expired at " + notAfter + "; renew it: `dure agent enrol"
          + " --renew --site-id " + siteId + " --dir " + dir + "` and ask the administrator to sign the new request");
    }
    return new SiteIdentity(siteId, key, cert, ca, dir);
  }

  private static void check(String siteId, PrivateKey key, X509Certificate cert, X509Certificate ca, Path certFile) throws IOException {
    X500Principal expected = new X500Principal("CN=" + siteId);
    if (!cert.getSubjectX500Principal().equals(expected)) {
      throw new IOException(certFile + " is for '" + cert.getSubjectX500Principal().getName() + "', but this agent is site '"
          + siteId + "'; install this site's own certificate");
    }
    try {
      cert.verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IOException(certFile + " was not issued by the consortium CA in " + CA_CERT + " (" + e.getMessage() + ")");
    }
    if (!SiteKeys.matches(key, cert.getPublicKey())) {
      throw new IOException(certFile + " does not belong to the key " + KEY + " in the same directory; install the"
          + " certificate issued for this site's current request");
    }
  }

  /**
   * Makes a key pair and a certification request for {@code siteId}. The first enrolment writes
   * {@value #KEY}; a renewal ({@code renew}) writes {@value #NEXT_KEY} so the current identity keeps working
   * until the new certificate is installed. Returns the request file.
   */
  public static Path request(Path dir, String siteId, boolean renew) throws IOException {
    SecureFiles.createOwnerOnlyDirectories(dir); // it holds the private key
    boolean hasKey = Files.exists(dir.resolve(KEY));
    if (hasKey && !renew) {
      throw new IOException(dir.resolve(KEY) + " already exists; to renew the certificate use --renew (the current key stays in use until the new certificate is installed)");
    }
    if (!hasKey && renew) {
      throw new IOException("nothing to renew: " + dir.resolve(KEY) + " does not exist; enrol without --renew");
    }
    KeyPair keys = SiteKeys.generateKeyPair();
    SecureFiles.writeAtomically(dir.resolve(hasKey ? NEXT_KEY : KEY), SiteKeys.privateKeyPem(keys.getPrivate()), true);
    Path csr = dir.resolve(CSR);
    SecureFiles.writeAtomically(csr, SiteKeys.certificationRequestPem(SiteKeys.certificationRequest(siteId, keys)), false);
    return csr;
  }

  /**
   * Installs a certificate from the administrator: it must name {@code siteId}, chain to {@code caPem}, and
   * match the pending renewal key or the current key. A renewal key is moved into place.
   */
  public static X509Certificate install(Path dir, String siteId, String certPem, String caPem) throws IOException {
    X509Certificate cert = SiteKeys.readCertificate(certPem);
    X509Certificate ca = SiteKeys.readCertificate(caPem);
    Path next = dir.resolve(NEXT_KEY), current = dir.resolve(KEY);
    Path keyFile = Files.exists(next) && SiteKeys.matches(SiteKeys.readPrivateKey(Files.readString(next)), cert.getPublicKey()) ? next : current;
    if (!Files.exists(keyFile)) throw new IOException("no key in " + dir + ": run `dure agent enrol` first");
    check(siteId, SiteKeys.readPrivateKey(Files.readString(keyFile)), cert, ca, dir.resolve(CERT));
    SecureFiles.writeAtomically(dir.resolve(CA_CERT), SiteKeys.certificatePem(ca), false);
    if (keyFile.equals(next)) {
      Files.move(next, current, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    SecureFiles.writeAtomically(dir.resolve(CERT), SiteKeys.certificatePem(cert), false);
    return cert;
  }

  public String siteId() {
    return siteId;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The consortium CA certificate: what peer sites' certificates are checked against. */
  public X509Certificate caCertificate() {
    return ca;
  }

  public Path keyFile() {
    return dir.resolve(KEY);
  }

  public Path certificateFile() {
    return dir.resolve(CERT);
  }

  public Path caFile() {
    return dir.resolve(CA_CERT);
  }

  /** Whether the certificate expires within {@link #RENEW_WARNING}. */
  public boolean renewalDue() {
    return Instant.now().plus(RENEW_WARNING).isAfter(certificate.getNotAfter().toInstant());
  }

  /** The site's signature on a statement (see {@link SiteSignatures}). */
  public byte[] sign(Purpose purpose, String studyId, int round, byte[] contentSha256) {
    return SiteSignatures.sign(key, purpose, siteId, studyId, round, contentSha256);
  }
}
