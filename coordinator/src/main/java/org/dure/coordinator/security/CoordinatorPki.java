package org.dure.coordinator.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The coordinator's security directory, made by {@code dure admin init}:
 *
 * <pre>
 * tls-cert.pem       the coordinator's TLS server certificate (SAN = its host names), issued by the consortium CA
 * tls-key.pem        its private key (PKCS#8, owner-only file)
 * ca-cert.pem        the consortium CA certificate: the only trust anchor for site certificates
 * crl.pem            the CA's current revocation list (reloaded when it changes)
 * sites.json         the register of enrolled sites (reloaded when it changes)
 * credentials.json   API users: name, role, and the SHA-256 of their token (never the token)
 * </pre>
 */
public final class CoordinatorPki {
  public static final String TLS_CERT = "tls-cert.pem";
  public static final String TLS_KEY = "tls-key.pem";
  public static final String CA_CERT = "ca-cert.pem";
  public static final String CRL = "crl.pem";
  public static final String SITES = "sites.json";
  public static final String CREDENTIALS = "credentials.json";

  private CoordinatorPki() {}

  /** Fails with one message listing every missing file and how to make them. */
  public static void requireComplete(Path dir) throws IOException {
    List<String> missing = new ArrayList<>();
    for (String f : List.of(TLS_CERT, TLS_KEY, CA_CERT, CRL, CREDENTIALS)) {
      if (!Files.isReadable(dir.resolve(f))) missing.add(f);
    }
    if (!missing.isEmpty()) {
      throw new IOException("the coordinator security directory " + dir.toAbsolutePath() + " lacks " + missing
          + "; create it with `dure admin init --dir <consortium>` and pass --pki <consortium>/coordinator");
    }
  }
}
