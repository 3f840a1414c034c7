package org.dure.coordinator.security;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.dure.crypto.pki.CertificateChecks;
import org.dure.crypto.pki.SiteCertificateException.Reason;
import org.dure.crypto.pki.SiteCertificateException;
import org.dure.crypto.pki.SiteKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may connect on the agent port: a certificate chained to the consortium CA, valid now, not on the CA's
 * CRL, for a site the register lists as active and with a serial issued to that site. The CRL and the
 * register are re-read when their files change ({@link #reloadIfChanged}), so a revocation takes effect on
 * the next check without a restart. The site id comes from the certificate, never from anything the agent
 * says. Thread-safe.
 */
public final class SiteTrust {
  private static final Logger log = LoggerFactory.getLogger(SiteTrust.class);

  private record State(X509CRL crl, EnrolledSites sites, FileTime crlTime, FileTime sitesTime) {}

  private final Path dir;
  private final X509Certificate ca;
  private final Clock clock;
  private final Refusals refusals = new Refusals();
  private volatile State state;
  private volatile java.util.function.Consumer<Reason> refusalCounter = r -> {};

  private SiteTrust(Path dir, X509Certificate ca, Clock clock, State state) {
    this.dir = dir;
    this.ca = ca;
    this.clock = clock;
    this.state = state;
  }

  /** Loads the CA certificate, CRL and site register from the coordinator's security directory. */
  public static SiteTrust load(Path dir, Clock clock) throws IOException {
    X509Certificate ca = SiteKeys.readCertificate(Files.readString(dir.resolve(CoordinatorPki.CA_CERT)));
    SiteTrust t = new SiteTrust(dir, ca, clock, null);
    t.state = t.read();
    return t;
  }

  public X509Certificate ca() {
    return ca;
  }

  public Refusals refusals() {
    return refusals;
  }

  /** Called with the reason of every refusal {@link #validate(X509Certificate[], String)} records (metrics). */
  public void onRefusal(java.util.function.Consumer<Reason> counter) {
    this.refusalCounter = Objects.requireNonNull(counter, "counter");
  }

  public EnrolledSites sites() {
    return state.sites();
  }

  /**
   * Re-reads the CRL and the site register if either file changed. A CRL that is not signed by the
   * consortium CA, or a damaged file, is refused with a logged error and the previous state kept.
   *
   * @return true if the state changed (callers then re-check live connections)
   */
  public synchronized boolean reloadIfChanged() {
    State s = state;
    try {
      FileTime crlTime = Files.getLastModifiedTime(dir.resolve(CoordinatorPki.CRL));
      Path sitesFile = dir.resolve(CoordinatorPki.SITES);
      FileTime sitesTime = Files.exists(sitesFile) ? Files.getLastModifiedTime(sitesFile) : null;
      if (crlTime.equals(s.crlTime()) && Objects.equals(sitesTime, s.sitesTime())) return false;
      state = read();
      log.info("reloaded the CRL ({} revoked serials) and the site register ({} sites)",
          state.crl().getRevokedCertificates() == null ? 0 : state.crl().getRevokedCertificates().size(), state.sites().sites().size());
      return true;
    } catch (IOException | RuntimeException e) {
      log.error("cannot reload the CRL or site register in {}; keeping the previous ones: {}", dir, e.getMessage());
      return false;
    }
  }

  private State read() throws IOException {
    Path crlFile = dir.resolve(CoordinatorPki.CRL);
    FileTime crlTime = Files.getLastModifiedTime(crlFile);
    X509CRL crl = SiteKeys.readCrl(Files.readString(crlFile));
    try {
      crl.verify(ca.getPublicKey());
    } catch (Exception e) {
      throw new IOException(crlFile + " is not signed by the consortium CA in " + CoordinatorPki.CA_CERT
          + "; publish it with `dure admin crl`", e);
    }
    Path sitesFile = dir.resolve(CoordinatorPki.SITES);
    FileTime sitesTime = Files.exists(sitesFile) ? Files.getLastModifiedTime(sitesFile) : null;
    return new State(crl, EnrolledSites.load(sitesFile), crlTime, sitesTime);
  }

  /**
   * The site id of a peer that presented {@code chain}.
   *
   * @throws SiteCertificateException naming why the site is refused
   */
  public String validate(X509Certificate[] chain) throws SiteCertificateException {
    try {
      return check(chain);
    } catch (SiteCertificateException e) {
      // A site enrolled a moment ago need not wait for the periodic reload.
      if (e.reason() == Reason.NOT_ENROLLED && reloadIfChanged()) return check(chain);
      throw e;
    }
  }

  private String check(X509Certificate[] chain) throws SiteCertificateException {
    if (chain == null || chain.length == 0) {
      throw new SiteCertificateException(Reason.NO_CERTIFICATE, "no client certificate was presented; a site agent needs"
          + " the certificate the consortium administrator signed for it");
    }
    State s = state;
    X509Certificate cert = chain[0];
    String siteId = CertificateChecks.validateSite(cert, ca, s.crl(), clock.instant());
    EnrolledSites.Site site = s.sites().site(siteId).orElseThrow(() -> new SiteCertificateException(Reason.NOT_ENROLLED,
        "'" + siteId + "' is not an enrolled site of this consortium; the administrator enrols a site with `dure admin enrol-site`"));
    if (!site.active()) {
      throw new SiteCertificateException(Reason.REVOKED, "site '" + siteId + "' was revoked by the administrator at "
          + site.revokedAt() + (site.revokedReason() == null ? "" : " (" + site.revokedReason() + ")"));
    }
    if (!site.holds(cert.getSerialNumber())) {
      throw new SiteCertificateException(Reason.NOT_ENROLLED, "certificate serial " + cert.getSerialNumber().toString(16)
          + " was not issued to enrolled site '" + siteId + "' through `dure admin enrol-site`");
    }
    return siteId;
  }

  /** Validates and records a refusal (with where it came from) before rethrowing. */
  public String validate(X509Certificate[] chain, String remoteAddress) throws SiteCertificateException {
    try {
      return validate(chain);
    } catch (SiteCertificateException e) {
      String subject = chain == null || chain.length == 0 ? "(none)" : chain[0].getSubjectX500Principal().getName();
      refusals.add(new Refusals.Refusal(Instant.now(clock), remoteAddress, subject, e.reason(), e.getMessage()));
      refusalCounter.accept(e.reason());
      org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.WARN, "site.certificate.refused", null, null,
          "refused site connection from {} ({}): {}", remoteAddress, subject, e.getMessage());
      throw e;
    }
  }

  /** The TLS trust manager for the agent port: client certificates pass only through {@link #validate}. */
  public X509ExtendedTrustManager trustManager() {
    return new X509ExtendedTrustManager() {
      @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, engine == null ? "?" : engine.getPeerHost() + ":" + engine.getPeerPort());
      }

      @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, socket == null ? "?" : String.valueOf(socket.getRemoteSocketAddress()));
      }

      @Override public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "?");
      }

      private void check(X509Certificate[] chain, String remote) throws CertificateException {
        try {
          validate(chain, remote);
        } catch (SiteCertificateException e) {
          // The cause (a CertPathValidatorException for expiry or revocation) lets JSSE send the matching TLS alert.
          CertificateException refused = new CertificateException(e.getMessage(), e.getCause() != null ? e.getCause() : e);
          if (e.getCause() != null) refused.addSuppressed(e); // the reason, for the handshake-failure metric
          throw refused;
        }
      }

      @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("the agent port only authenticates clients");
      }

      @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("the agent port only authenticates clients");
      }

      @Override public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the agent port only authenticates clients");
      }

      @Override public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[] {ca};
      }
    };
  }
}
