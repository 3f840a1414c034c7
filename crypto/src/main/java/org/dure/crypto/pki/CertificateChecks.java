package org.dure.crypto.pki;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.dure.crypto.pki.SiteCertificateException.Reason;

/**
 * Checks that a peer's certificate is a current site certificate of this consortium, using the JDK's PKIX
 * {@link CertPathValidator} with the consortium CA as the only trust anchor and revocation checked against
 * the CA's CRL (given explicitly; no network fetch). Only then are the site-specific rules applied:
 * end-entity, EKU {@code clientAuth}, and a subject with one {@code CN} that is a valid site id.
 */
public final class CertificateChecks {
  static final String CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2";

  private CertificateChecks() {}

  /**
   * Returns the site id of {@code cert} if it is a valid, unrevoked site certificate at {@code now}.
   *
   * @throws SiteCertificateException with the {@link Reason} for the refusal
   */
  public static String validateSite(X509Certificate cert, X509Certificate ca, X509CRL crl, Instant now)
      throws SiteCertificateException {
    Objects.requireNonNull(crl, "crl (revocation is always checked; publish a CRL with ConsortiumCa.crl())");
    return validate(cert, ca, crl, now);
  }

  /**
   * As {@link #validateSite} but without a revocation check: for a site checking a peer site's certificate that the
   * coordinator relayed (sites hold the CA certificate, not the CRL; the coordinator admits only unrevoked sites to
   * a round, having checked the CRL in the TLS handshake).
   */
  public static String validatePeer(X509Certificate cert, X509Certificate ca, Instant now) throws SiteCertificateException {
    return validate(cert, ca, null, now);
  }

  private static String validate(X509Certificate cert, X509Certificate ca, X509CRL crl, Instant now)
      throws SiteCertificateException {
    Objects.requireNonNull(cert, "cert");
    Objects.requireNonNull(ca, "ca");
    Objects.requireNonNull(now, "now");
    String subject = cert.getSubjectX500Principal().getName();
    try {
      PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
      params.setRevocationEnabled(crl != null);
      if (crl != null) params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(List.of(crl))));
      params.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert)), params);
    } catch (CertPathValidatorException e) {
      throw refusal(e, subject, now);
    } catch (GeneralSecurityException e) {
      throw new SiteCertificateException(Reason.INVALID, "cannot validate '" + subject + "': " + e.getMessage(), e);
    }
    List<String> eku;
    try {
      eku = cert.getExtendedKeyUsage();
    } catch (java.security.cert.CertificateParsingException e) {
      eku = null;
    }
    if (eku == null || !eku.contains(CLIENT_AUTH_OID) || cert.getBasicConstraints() != -1) {
      throw new SiteCertificateException(Reason.NOT_A_SITE_CERTIFICATE, "'" + subject
          + "' is not a site client certificate (needs EKU clientAuth and no CA flag); issue it with ConsortiumCa.signSite", null);
    }
    String siteId = PkiSupport.singleCommonName(cert.getSubjectX500Principal());
    if (siteId == null || !PkiSupport.SITE_ID.matcher(siteId).matches()) {
      throw new SiteCertificateException(Reason.NOT_A_SITE_CERTIFICATE, "'" + subject
          + "' has no single CN matching " + PkiSupport.SITE_ID.pattern(), null);
    }
    return siteId;
  }

  private static SiteCertificateException refusal(CertPathValidatorException e, String subject, Instant now) {
    CertPathValidatorException.Reason r = e.getReason();
    if (r == BasicReason.EXPIRED) {
      return new SiteCertificateException(Reason.EXPIRED, "'" + subject + "' expired before " + now
          + "; the site must enrol again", e);
    }
    if (r == BasicReason.NOT_YET_VALID) {
      return new SiteCertificateException(Reason.NOT_YET_VALID, "'" + subject + "' is not valid yet at " + now
          + "; check the clocks of both machines", e);
    }
    if (r == BasicReason.REVOKED) {
      return new SiteCertificateException(Reason.REVOKED, "'" + subject + "' is revoked by the consortium CA", e);
    }
    if (r == BasicReason.UNDETERMINED_REVOCATION_STATUS) {
      return new SiteCertificateException(Reason.REVOCATION_STATUS_UNKNOWN, "the revocation status of '" + subject
          + "' is unknown (" + e.getMessage() + "); supply a current CRL signed by the consortium CA", e);
    }
    if (r == BasicReason.INVALID_SIGNATURE || r == PKIXReason.NO_TRUST_ANCHOR || r == PKIXReason.NAME_CHAINING) {
      return new SiteCertificateException(Reason.UNTRUSTED_ISSUER, "'" + subject
          + "' was not issued by the consortium CA (" + e.getMessage() + ")", e);
    }
    return new SiteCertificateException(Reason.INVALID, "'" + subject + "' failed validation: " + e.getMessage(), e);
  }
}
