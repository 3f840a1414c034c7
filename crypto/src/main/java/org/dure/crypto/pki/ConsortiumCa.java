package org.dure.crypto.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.util.IPAddress;
import org.dure.crypto.SecureFiles;

/**
 * The consortium's certificate authority: one EC P-256 key and a self-signed certificate
 * ({@code CA:true}, {@code keyCertSign|cRLSign}) that every site and the coordinator trust.
 *
 * <p>Enrolment: a site sends a PKCS#10 request made by {@link SiteKeys}; {@link #signSite} verifies the
 * request's signature, takes the site id from its {@code CN} and issues a client certificate
 * ({@code digitalSignature}, EKU {@code clientAuth}, subject {@code CN=<siteId>} only). The coordinator's
 * TLS certificate comes from {@link #issueServer} (EKU {@code serverAuth}, SAN DNS/IP names). A site is
 * removed by {@link #revoke revoking} its serial and publishing a new {@link #crl() CRL}; peers check
 * certificates with {@link CertificateChecks#validateSite}.
 *
 * <p>{@link #save} writes three files to a directory: {@value #CERT_FILE}, {@value #KEY_FILE} (PKCS#8
 * encrypted with AES-256-CBC, key from PBKDF2-HMAC-SHA256) and {@value #REVOKED_FILE}. Instances are
 * thread-safe.
 */
public final class ConsortiumCa {
  public static final String CERT_FILE = "ca-cert.pem";
  public static final String KEY_FILE = "ca-key.pem";
  public static final String REVOKED_FILE = "ca-revoked.txt";
  public static final String ISSUED_FILE = "ca-issued.txt";
  /** How long a CRL from {@link #crl()} stays current: publish a new one before it runs out. */
  public static final Duration CRL_VALIDITY = Duration.ofDays(7);
  static final int MIN_PASSPHRASE_LENGTH = 12;
  static final int PBKDF2_ITERATIONS = 200_000;
  /** Issued certificates start this far in the past, to tolerate clock skew between peers. */
  static final Duration BACKDATE = Duration.ofMinutes(5);

  private final PrivateKey key;
  private final X509Certificate certificate;
  private final Map<BigInteger, Instant> revoked = new TreeMap<>();
  private final Map<BigInteger, Issued> issued = new TreeMap<>();
  private long lastCrlNumber;

  /**
   * A certificate this CA issued, as recorded in its register.
   *
   * @param serial the certificate serial number
   * @param subject the site id (site certificates) or first host name (server certificates)
   * @param site true for a site's client certificate, false for the coordinator's server certificate
   * @param notAfter end of validity
   */
  public record Issued(BigInteger serial, String subject, boolean site, Instant notAfter) {}

  private ConsortiumCa(PrivateKey key, X509Certificate certificate, Map<BigInteger, Instant> revoked,
      Map<BigInteger, Issued> issued) {
    this.key = key;
    this.certificate = certificate;
    this.revoked.putAll(revoked);
    this.issued.putAll(issued);
  }

  /** Creates a CA named {@code CN=commonName} with a new EC P-256 key, valid from now for {@code validity}. */
  public static ConsortiumCa create(String commonName, Duration validity) {
    Objects.requireNonNull(commonName, "commonName");
    if (commonName.isBlank()) throw new IllegalArgumentException("commonName must not be blank");
    requirePositive(validity, "validity");
    PkiSupport.ensureProvider();
    KeyPair keys = SiteKeys.generateKeyPair();
    X500Name name = PkiSupport.commonNameOnly(commonName);
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, PkiSupport.newSerial(),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(validity)), name, keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(PkiSupport.signer(keys.getPrivate())));
      return new ConsortiumCa(keys.getPrivate(), cert, Map.of(), Map.of());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build the CA certificate: " + e.getMessage(), e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * Issues a site's client certificate for the key in {@code csr}, after checking the request's signature
   * and that its subject has exactly one {@code CN} that is a valid site id.
   */
  public X509Certificate signSite(PKCS10CertificationRequest csr, Duration validity) {
    Objects.requireNonNull(csr, "csr");
    requirePositive(validity, "validity");
    PublicKey siteKey = verifiedKey(csr);
    String cn = PkiSupport.singleCommonName(csr.getSubject());
    if (cn == null) {
      throw new IllegalArgumentException("certification request subject '" + csr.getSubject()
          + "' must have exactly one CN holding the site id; create it with SiteKeys.certificationRequest");
    }
    String siteId = PkiSupport.requireSiteId(cn, "certification request");
    X509Certificate cert = issue(PkiSupport.commonNameOnly(siteId), siteKey, validity, KeyPurposeId.id_kp_clientAuth, null);
    record(cert, siteId, true);
    return cert;
  }

  /**
   * Issues the coordinator's TLS server certificate for {@code publicKey}; every host name becomes a SAN
   * (an IP address literal as an IP entry, anything else as a DNS entry) and the first is also the CN.
   */
  public X509Certificate issueServer(List<String> hostNames, PublicKey publicKey, Duration validity) {
    Objects.requireNonNull(hostNames, "hostNames");
    Objects.requireNonNull(publicKey, "publicKey");
    requirePositive(validity, "validity");
    if (hostNames.isEmpty()) throw new IllegalArgumentException("hostNames must name at least one DNS name or IP address");
    List<GeneralName> names = new ArrayList<>();
    for (String host : hostNames) {
      if (host == null || host.isBlank()) throw new IllegalArgumentException("hostNames must not hold a blank name: " + hostNames);
      boolean ip = IPAddress.isValid(host);
      names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host));
    }
    X509Certificate cert = issue(PkiSupport.commonNameOnly(hostNames.get(0)), publicKey, validity,
        KeyPurposeId.id_kp_serverAuth, new GeneralNames(names.toArray(GeneralName[]::new)));
    record(cert, hostNames.get(0), false);
    return cert;
  }

  private synchronized void record(X509Certificate cert, String subject, boolean site) {
    issued.put(cert.getSerialNumber(), new Issued(cert.getSerialNumber(), subject, site, cert.getNotAfter().toInstant()));
  }

  /** Every certificate this CA issued (since its register was kept), oldest serial order. */
  public synchronized List<Issued> issued() {
    return List.copyOf(issued.values());
  }

  /** Whether {@code serial} is on the revocation list. */
  public synchronized boolean isRevoked(BigInteger serial) {
    return revoked.containsKey(serial);
  }

  /**
   * Revokes every certificate issued to site {@code siteId} and returns their serials (empty when the
   * register holds none for it; revoking again returns the same serials and keeps the first dates).
   */
  public synchronized List<BigInteger> revokeSite(String siteId) {
    PkiSupport.requireSiteId(siteId, "revoke");
    List<BigInteger> serials = new ArrayList<>();
    for (Issued i : issued.values()) {
      if (i.site() && i.subject().equals(siteId)) {
        revoke(i.serial());
        serials.add(i.serial());
      }
    }
    return serials;
  }

  /** Marks a serial revoked from now on; the next {@link #crl()} lists it. Revoking twice keeps the first date. */
  public synchronized void revoke(BigInteger serial) {
    Objects.requireNonNull(serial, "serial");
    if (serial.signum() <= 0) throw new IllegalArgumentException("serial must be positive, was " + serial);
    revoked.putIfAbsent(serial, Instant.now());
  }

  /** A CRL signed by this CA listing every revoked serial, current from now for {@link #CRL_VALIDITY}. */
  public synchronized X509CRL crl() {
    Instant now = Instant.now();
    lastCrlNumber = Math.max(lastCrlNumber + 1, now.toEpochMilli());
    try {
      X509v2CRLBuilder b = new JcaX509v2CRLBuilder(certificate, Date.from(now))
          .setNextUpdate(Date.from(now.plus(CRL_VALIDITY)))
          .addExtension(Extension.authorityKeyIdentifier, false,
              new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate))
          .addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(lastCrlNumber)));
      revoked.forEach((serial, at) -> b.addCRLEntry(serial, Date.from(at), (Extensions) null));
      return new JcaX509CRLConverter().getCRL(b.build(PkiSupport.signer(key)));
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build the CRL: " + e.getMessage(), e);
    }
  }

  /**
   * Writes the certificate, the passphrase-encrypted key and the revoked serials into {@code directory}
   * (created if missing), each file replaced atomically. The key file is made owner-only where POSIX allows.
   */
  public synchronized void save(Path directory, char[] passphrase) throws IOException {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(passphrase, "passphrase");
    if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
      throw new IllegalArgumentException("passphrase must have at least " + MIN_PASSPHRASE_LENGTH
          + " characters, had " + passphrase.length + "; the CA key protects the whole consortium");
    }
    String keyPem;
    try {
      keyPem = PkiSupport.toPem(new JcaPKCS8Generator(key, new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
          .setProvider(BouncyCastleProvider.PROVIDER_NAME)
          .setPRF(PKCS8Generator.PRF_HMACSHA256)
          .setIterationCount(PBKDF2_ITERATIONS)
          .setRandom(PkiSupport.RANDOM)
          .setPassword(passphrase)
          .build()));
    } catch (OperatorCreationException | org.bouncycastle.util.io.pem.PemGenerationException e) {
      throw new IllegalStateException("cannot encrypt the CA key: " + e.getMessage(), e);
    }
    StringBuilder serials = new StringBuilder();
    revoked.forEach((serial, at) -> serials.append(serial.toString(16)).append(' ').append(at).append('\n'));
    StringBuilder register = new StringBuilder();
    issued.values().forEach(i -> register.append(i.serial().toString(16)).append(' ').append(i.site() ? "site" : "server")
        .append(' ').append(i.subject()).append(' ').append(i.notAfter()).append('\n'));
    Files.createDirectories(directory);
    SecureFiles.writeAtomically(directory.resolve(KEY_FILE), keyPem, true);
    SecureFiles.writeAtomically(directory.resolve(CERT_FILE), PkiSupport.toPem(certificate), false);
    SecureFiles.writeAtomically(directory.resolve(REVOKED_FILE), serials.toString(), false);
    SecureFiles.writeAtomically(directory.resolve(ISSUED_FILE), register.toString(), false);
  }

  /** Loads a CA written by {@link #save}; a wrong passphrase fails with an {@link IllegalArgumentException}. */
  public static ConsortiumCa load(Path directory, char[] passphrase) throws IOException {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(passphrase, "passphrase");
    PkiSupport.ensureProvider();
    Path keyFile = directory.resolve(KEY_FILE);
    X509Certificate cert = SiteKeys.readCertificate(Files.readString(directory.resolve(CERT_FILE)));
    if (!(PkiSupport.readPem(Files.readString(keyFile), "an encrypted CA key") instanceof PKCS8EncryptedPrivateKeyInfo info)) {
      throw new IllegalArgumentException(keyFile + " must hold an encrypted PKCS#8 key (BEGIN ENCRYPTED PRIVATE KEY)");
    }
    PrivateKey key;
    try {
      key = new JcaPEMKeyConverter().getPrivateKey(info.decryptPrivateKeyInfo(
          new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BouncyCastleProvider.PROVIDER_NAME).build(passphrase)));
    } catch (PKCSException | OperatorCreationException | IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot decrypt the CA key in " + keyFile
          + ": the passphrase is wrong or the file is damaged", e);
    }
    if (!SiteKeys.matches(key, cert.getPublicKey())) {
      throw new IllegalArgumentException("the key in " + keyFile + " does not belong to the certificate in "
          + directory.resolve(CERT_FILE) + "; restore both files from the same backup");
    }
    Map<BigInteger, Instant> revoked = new TreeMap<>();
    Path revokedFile = directory.resolve(REVOKED_FILE);
    if (Files.exists(revokedFile)) {
      for (String line : Files.readAllLines(revokedFile, StandardCharsets.UTF_8)) {
        if (line.isBlank()) continue;
        String[] parts = line.trim().split(" ");
        if (parts.length != 2) throw new IllegalArgumentException(revokedFile + ": malformed line '" + line + "'");
        revoked.put(new BigInteger(parts[0], 16), Instant.parse(parts[1]));
      }
    }
    Map<BigInteger, Issued> issued = new TreeMap<>();
    Path issuedFile = directory.resolve(ISSUED_FILE);
    if (Files.exists(issuedFile)) {
      for (String line : Files.readAllLines(issuedFile, StandardCharsets.UTF_8)) {
        if (line.isBlank()) continue;
        String[] parts = line.trim().split(" ");
        if (parts.length != 4 || !(parts[1].equals("site") || parts[1].equals("server"))) {
          throw new IllegalArgumentException(issuedFile + ": malformed line '" + line + "'");
        }
        BigInteger serial = new BigInteger(parts[0], 16);
        issued.put(serial, new Issued(serial, parts[2], parts[1].equals("site"), Instant.parse(parts[3])));
      }
    }
    return new ConsortiumCa(key, cert, revoked, issued);
  }

  private X509Certificate issue(X500Name subject, PublicKey subjectKey, Duration validity,
      KeyPurposeId purpose, GeneralNames subjectAltNames) {
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, PkiSupport.newSerial(),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(validity)), subject, subjectKey)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      if (subjectAltNames != null) b.addExtension(Extension.subjectAlternativeName, false, subjectAltNames);
      return new JcaX509CertificateConverter().getCertificate(b.build(PkiSupport.signer(key)));
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build the certificate for " + subject + ": " + e.getMessage(), e);
    }
  }

  private static PublicKey verifiedKey(PKCS10CertificationRequest csr) {
    var algorithm = csr.getSignatureAlgorithm().getAlgorithm();
    if (!X9ObjectIdentifiers.ecdsa_with_SHA256.equals(algorithm)) {
      throw new IllegalArgumentException("certification request is signed with algorithm "
          + PkiSupport.abbreviate(algorithm.getId()) + ", not SHA256withECDSA; create it with SiteKeys.certificationRequest");
    }
    PublicKey publicKey;
    boolean valid;
    try {
      publicKey = new JcaPKCS10CertificationRequest(csr).getPublicKey();
      valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo()));
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException | RuntimeException e) {
      throw new IllegalArgumentException("cannot verify the certification request signature: " + PkiSupport.reason(e), e);
    }
    if (!valid) {
      throw new IllegalArgumentException("certification request signature does not verify: the request was altered"
          + " or not signed by the key it carries; ask the site to create a new one");
    }
    if (!(publicKey instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
      throw new IllegalArgumentException("certification request must carry an EC P-256 key, had "
          + publicKey.getAlgorithm() + "; create it with SiteKeys.generateKeyPair");
    }
    return publicKey;
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive, was " + d);
  }
}
