package org.dure.coordinator.admin;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.dure.coordinator.security.CoordinatorPki;
import org.dure.coordinator.security.Credentials;
import org.dure.coordinator.security.EnrolledSites;
import org.dure.coordinator.security.Role;
import org.dure.crypto.SecureFiles;
import org.dure.crypto.pki.ConsortiumCa;
import org.dure.crypto.pki.SiteKeys;

/**
 * The consortium administrator's operations on a consortium directory:
 *
 * <pre>
 * ca/            the CA: certificate, passphrase-encrypted key, issued register, revoked serials (keep offline, back up)
 * coordinator/   what the coordinator runs with (see {@link CoordinatorPki}); copy it to the coordinator host
 * sites/&lt;id&gt;/    what goes back to each site after enrolment: its certificate and the CA certificate
 * </pre>
 *
 * Every operation that signs loads the CA with its passphrase and writes files atomically.
 */
public final class ConsortiumAdmin {
  public static final String CA_DIR = "ca";
  public static final String COORDINATOR_DIR = "coordinator";
  public static final String SITES_DIR = "sites";
  public static final String SITE_CERT = "site-cert.pem";
  public static final Duration DEFAULT_SITE_VALIDITY = Duration.ofDays(365);

  private final Path root;

  public ConsortiumAdmin(Path root) {
    this.root = root;
  }

  public Path coordinatorDir() {
    return root.resolve(COORDINATOR_DIR);
  }

  public Path caDir() {
    return root.resolve(CA_DIR);
  }

  /** What {@link #init} made; the admin token is shown once and stored nowhere in clear. */
  public record Initialised(X509Certificate ca, X509Certificate server, Credentials.Issued admin) {}

  /**
   * Creates the CA, the coordinator's TLS certificate for {@code hosts}, an empty site register, the first
   * CRL and the first administrator's credential. Refuses to overwrite an existing consortium.
   */
  public Initialised init(String name, List<String> hosts, String adminName, char[] passphrase, Duration caValidity,
      Duration serverValidity) throws IOException {
    if (Files.exists(caDir().resolve(ConsortiumCa.KEY_FILE))) {
      throw new IllegalStateException(caDir() + " already holds a consortium CA; refusing to overwrite it"
          + " (pick another --dir, or move the old one away deliberately)");
    }
    ConsortiumCa ca = ConsortiumCa.create(name, caValidity);
    KeyPair serverKeys = SiteKeys.generateKeyPair();
    X509Certificate server = ca.issueServer(hosts, serverKeys.getPublic(), serverValidity);
    ca.save(caDir(), passphrase);
    Path c = coordinatorDir();
    SecureFiles.writeAtomically(c.resolve(CoordinatorPki.TLS_KEY), SiteKeys.privateKeyPem(serverKeys.getPrivate()), true);
    SecureFiles.writeAtomically(c.resolve(CoordinatorPki.TLS_CERT), SiteKeys.certificatePem(server), false);
    SecureFiles.writeAtomically(c.resolve(CoordinatorPki.CA_CERT), SiteKeys.certificatePem(ca.certificate()), false);
    SecureFiles.writeAtomically(c.resolve(CoordinatorPki.CRL), SiteKeys.crlPem(ca.crl()), false);
    EnrolledSites.empty().save(c.resolve(CoordinatorPki.SITES));
    Credentials.Issued admin = Credentials.load(c.resolve(CoordinatorPki.CREDENTIALS)).issue(adminName, Role.ADMIN, "dure admin init");
    return new Initialised(ca.certificate(), server, admin);
  }

  /** What {@link #enrolSite} issued. */
  public record Enrolled(String siteId, X509Certificate certificate, Path certificateFile, Path caFile, String keyFingerprint) {}

  /**
   * Signs a site's certification request, records the site and serial in the register the coordinator
   * reads, and writes {@code sites/<id>/site-cert.pem} and {@code ca-cert.pem} for the site. Renewal is the
   * same call with a new request: the register then holds both serials until the old one expires.
   */
  public Enrolled enrolSite(String csrPem, Duration validity, char[] passphrase) throws IOException {
    PKCS10CertificationRequest csr = SiteKeys.readCertificationRequest(csrPem);
    ConsortiumCa ca = ConsortiumCa.load(caDir(), passphrase);
    X509Certificate cert = ca.signSite(csr, validity);
    String siteId = cert.getSubjectX500Principal().getName().replaceFirst("^CN=", "");
    ca.save(caDir(), passphrase);
    Path register = coordinatorDir().resolve(CoordinatorPki.SITES);
    EnrolledSites.load(register).withCertificate(siteId, cert.getSerialNumber(), Instant.now()).save(register);
    Path out = root.resolve(SITES_DIR).resolve(siteId);
    SecureFiles.writeAtomically(out.resolve(SITE_CERT), SiteKeys.certificatePem(cert), false);
    SecureFiles.writeAtomically(out.resolve(CoordinatorPki.CA_CERT), SiteKeys.certificatePem(ca.certificate()), false);
    return new Enrolled(siteId, cert, out.resolve(SITE_CERT), out.resolve(CoordinatorPki.CA_CERT), fingerprint(cert.getPublicKey().getEncoded()));
  }

  /**
   * Revokes every certificate of {@code siteId}, publishes the new CRL to the coordinator directory and
   * marks the site revoked in the register; a running coordinator drops the site within a second.
   */
  public List<BigInteger> revokeSite(String siteId, String reason, char[] passphrase) throws IOException {
    Path register = coordinatorDir().resolve(CoordinatorPki.SITES);
    EnrolledSites sites = EnrolledSites.load(register);
    if (sites.site(siteId).isEmpty()) {
      throw new IllegalArgumentException("site " + siteId + " is not enrolled; enrolled sites: "
          + sites.sites().stream().map(EnrolledSites.Site::siteId).toList());
    }
    ConsortiumCa ca = ConsortiumCa.load(caDir(), passphrase);
    List<BigInteger> serials = ca.revokeSite(siteId);
    ca.save(caDir(), passphrase);
    SecureFiles.writeAtomically(coordinatorDir().resolve(CoordinatorPki.CRL), SiteKeys.crlPem(ca.crl()), false);
    sites.withRevoked(siteId, Instant.now(), reason).save(register);
    return serials;
  }

  /** Publishes a fresh CRL (each is current for {@link ConsortiumCa#CRL_VALIDITY}; re-publish before then). */
  public Instant publishCrl(char[] passphrase) throws IOException {
    ConsortiumCa ca = ConsortiumCa.load(caDir(), passphrase);
    var crl = ca.crl();
    SecureFiles.writeAtomically(coordinatorDir().resolve(CoordinatorPki.CRL), SiteKeys.crlPem(crl), false);
    return crl.getNextUpdate().toInstant();
  }

  public EnrolledSites sites() throws IOException {
    return EnrolledSites.load(coordinatorDir().resolve(CoordinatorPki.SITES));
  }

  /** SHA-256 of a DER public key, in colon-separated hex pairs, for reading out over the phone. */
  public static String fingerprint(byte[] publicKeyDer) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(publicKeyDer);
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
