package org.dure.crypto.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.util.io.pem.PemGenerationException;

/**
 * The site side of enrolment. A site generates its own EC P-256 key pair, which never leaves it, and sends
 * the consortium CA a PKCS#10 request whose subject is {@code CN=<siteId>}; the CA answers with a
 * certificate (see {@link ConsortiumCa#signSite}). Keys are written as unencrypted PKCS#8
 * ({@code BEGIN PRIVATE KEY}), the form Vert.x's PEM loader accepts, so protect the file by its permissions.
 */
public final class SiteKeys {
  private SiteKeys() {}

  /** A fresh EC P-256 (secp256r1) key pair from the JDK provider. */
  public static KeyPair generateKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), PkiSupport.RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw PkiSupport.unexpected(e);
    }
  }

  /** Whether {@code key} is the private half of {@code publicKey}: signs a random challenge and verifies it. */
  public static boolean matches(PrivateKey key, PublicKey publicKey) {
    try {
      byte[] challenge = new byte[32];
      PkiSupport.RANDOM.nextBytes(challenge);
      Signature s = Signature.getInstance(PkiSupport.SIGNATURE_ALGORITHM);
      s.initSign(key);
      s.update(challenge);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(PkiSupport.SIGNATURE_ALGORITHM);
      v.initVerify(publicKey);
      v.update(challenge);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** A PKCS#10 request with subject {@code CN=siteId}, signed with the site's key (SHA256withECDSA). */
  public static PKCS10CertificationRequest certificationRequest(String siteId, KeyPair keys) {
    PkiSupport.requireSiteId(siteId, "certification request");
    return new JcaPKCS10CertificationRequestBuilder(PkiSupport.commonNameOnly(siteId), keys.getPublic())
        .build(PkiSupport.signer(keys.getPrivate()));
  }

  /** The key as unencrypted PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}). */
  public static String privateKeyPem(PrivateKey key) {
    try {
      return PkiSupport.toPem(new JcaPKCS8Generator(key, null));
    } catch (PemGenerationException e) {
      throw new IllegalArgumentException("cannot encode the private key as PKCS#8: " + e.getMessage(), e);
    }
  }

  /** Reads a PKCS#8 ({@code BEGIN PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}) PEM key. */
  public static PrivateKey readPrivateKey(String pem) {
    Object o = PkiSupport.readPem(pem, "an unencrypted private key");
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PrivateKeyInfo info) return converter.getPrivateKey(info);
      if (o instanceof PEMKeyPair pair) return converter.getKeyPair(pair).getPrivate();
    } catch (PEMException e) {
      throw new IllegalArgumentException("cannot decode the private key: " + PkiSupport.problem(pem, e), e);
    }
    throw new IllegalArgumentException("expected an unencrypted private key PEM but found " + o.getClass().getSimpleName()
        + "; an encrypted key must be decrypted first");
  }

  public static String certificatePem(X509Certificate certificate) {
    return PkiSupport.toPem(certificate);
  }

  public static X509Certificate readCertificate(String pem) {
    if (PkiSupport.readPem(pem, "a certificate") instanceof X509CertificateHolder holder) {
      try {
        return new JcaX509CertificateConverter().getCertificate(holder);
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("cannot decode the certificate: " + PkiSupport.problem(pem, e), e);
      }
    }
    throw new IllegalArgumentException("expected a PEM certificate (BEGIN CERTIFICATE)");
  }

  public static String crlPem(X509CRL crl) {
    return PkiSupport.toPem(crl);
  }

  public static X509CRL readCrl(String pem) {
    if (PkiSupport.readPem(pem, "a certificate revocation list") instanceof X509CRLHolder holder) {
      try {
        return new JcaX509CRLConverter().getCRL(holder);
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("cannot decode the CRL: " + PkiSupport.problem(pem, e), e);
      }
    }
    throw new IllegalArgumentException("expected a PEM CRL (BEGIN X509 CRL)");
  }

  public static String certificationRequestPem(PKCS10CertificationRequest csr) {
    return PkiSupport.toPem(csr);
  }

  public static PKCS10CertificationRequest readCertificationRequest(String pem) {
    if (PkiSupport.readPem(pem, "a certification request") instanceof PKCS10CertificationRequest csr) return csr;
    throw new IllegalArgumentException("expected a PEM certification request (BEGIN CERTIFICATE REQUEST)");
  }
}
