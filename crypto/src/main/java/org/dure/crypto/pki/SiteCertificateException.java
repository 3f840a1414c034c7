package org.dure.crypto.pki;

import java.util.Objects;

/** A site certificate was refused; {@link #reason()} says why, the message says what to do. */
public final class SiteCertificateException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a site certificate was refused. */
  public enum Reason {
    /** Not issued by the consortium CA (another CA, or a forged signature). */
    UNTRUSTED_ISSUER,
    EXPIRED,
    NOT_YET_VALID,
    /** Listed on the consortium CA's CRL. */
    REVOKED,
    /** The CRL could not settle the status (stale, or not issued by the consortium CA): refused, never assumed good. */
    REVOCATION_STATUS_UNKNOWN,
    /** Chains to the CA but is not a site's client certificate (no clientAuth EKU, a CA, or no valid site id CN). */
    NOT_A_SITE_CERTIFICATE,
    /** A valid consortium certificate, but not one the consortium's register of enrolled sites lists (or the site was withdrawn). */
    NOT_ENROLLED,
    /** No certificate was presented. */
    NO_CERTIFICATE,
    /** Any other path validation failure; the message carries the validator's words. */
    INVALID
  }

  private final Reason reason;

  public SiteCertificateException(Reason reason, String message) {
    this(reason, message, null);
  }

  SiteCertificateException(Reason reason, String message, Throwable cause) {
    super(reason + ": " + message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
