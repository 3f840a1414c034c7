package org.dure.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.dure.agent.identity.SiteIdentity;
import org.dure.coordinator.admin.ConsortiumAdmin;
import org.dure.crypto.pki.SiteKeys;

/**
 * A throwaway consortium for one machine (the demo, rehearsals, tests), made with the same steps a real
 * one takes: {@code admin init} (CA with a random passphrase that is never written down, the coordinator's
 * certificate for localhost/127.0.0.1, the administrator's token), then for each site a key pair and request
 * made on the site side, signed by the administrator, and installed by the site.
 *
 * @param root the consortium directory
 * @param coordinatorPki what the coordinator runs with ({@code --pki})
 * @param adminToken the first administrator's API token
 * @param siteTls each site's TLS directory
 * @param passphrase the CA passphrase, held in memory only
 */
public record LocalConsortium(Path root, Path coordinatorPki, String adminToken, Map<String, Path> siteTls, char[] passphrase) {
  public static final Duration VALIDITY = Duration.ofDays(30);

  public static LocalConsortium provision(Path root, List<String> siteIds) throws IOException {
    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    char[] passphrase = Base64.getEncoder().encodeToString(secret).toCharArray();
    ConsortiumAdmin admin = new ConsortiumAdmin(root.resolve("consortium"));
    ConsortiumAdmin.Initialised init = admin.init("Dure local consortium", List.of("localhost", "127.0.0.1"), "admin",
        passphrase, VALIDITY, VALIDITY);
    LocalConsortium c = new LocalConsortium(admin.coordinatorDir().getParent(), admin.coordinatorDir(), init.admin().token(),
        new LinkedHashMap<>(), passphrase);
    for (String site : siteIds) c.enrol(site);
    return c;
  }

  /**
   * Enrols a site the way a real one is: key pair and request made in the site's own directory
   * ({@code sites/<id>/pki} next to the consortium), signed by the CA, installed by the site. Returns the
   * site's TLS directory.
   */
  public Path enrol(String site) throws IOException {
    Path dir = root.getParent().resolve("sites").resolve(site).resolve("pki");
    Path csr = SiteIdentity.request(dir, site, false);
    ConsortiumAdmin.Enrolled e = new ConsortiumAdmin(root).enrolSite(Files.readString(csr), VALIDITY, passphrase);
    SiteIdentity.install(dir, site, Files.readString(e.certificateFile()), Files.readString(e.caFile()));
    siteTls.put(site, dir);
    return dir;
  }

  /** A TLS 1.3 client context trusting only this consortium's CA (for HTTPS API calls). */
  public SSLContext clientTls() throws IOException {
    try {
      X509Certificate ca = SiteKeys.readCertificate(Files.readString(coordinatorPki.resolve("ca-cert.pem")));
      return org.dure.crypto.pki.TlsContexts.clientTrustingOnly(java.util.List.of(ca));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot build a TLS context for the consortium CA: " + e.getMessage(), e);
    }
  }
}
