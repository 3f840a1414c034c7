package org.dure.launcher.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.util.Set;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/**
 * How a researcher command reaches the coordinator: its URL, the caller's token and the CA that issued the
 * coordinator's certificate. The token comes from a file or the environment, never from a command-line flag,
 * which would end up in shell history and in {@code ps}. TLS verification is always on; plain {@code http} is
 * accepted for loopback addresses only.
 */
final class Connection {
  static final String TOKEN_ENV = "DURE_TOKEN";

  @Option(names = "--coordinator", paramLabel = "URL", defaultValue = "${env:DURE_COORDINATOR}",
      description = "The coordinator's API, e.g. https://coordinator.example.org:8470 (default: env DURE_COORDINATOR).")
  String coordinator;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "A file holding your API token (default: env " + TOKEN_ENV + "). Keep it readable by you only.")
  Path tokenFile;

  @Option(names = "--ca", paramLabel = "FILE", defaultValue = "${env:DURE_CA}",
      description = "The consortium CA certificate (PEM) that issued the coordinator's certificate (default: env DURE_CA;"
          + " without it, the JDK's trusted CAs).")
  Path ca;

  /** Opens the API or throws {@link UsageException} naming what is missing or wrong. */
  Api open(java.io.PrintWriter err) throws UsageException {
    if (coordinator == null || coordinator.isBlank()) {
      throw new UsageException("no coordinator: pass --coordinator URL or set DURE_COORDINATOR");
    }
    URI base;
    try {
      base = new URI(coordinator.endsWith("/") ? coordinator : coordinator + "/");
    } catch (URISyntaxException e) {
      throw new UsageException("--coordinator '" + coordinator + "' is not a URL: " + e.getMessage());
    }
    if (base.getHost() == null || !("https".equals(base.getScheme()) || "http".equals(base.getScheme()))) {
      throw new UsageException("--coordinator '" + coordinator + "' must be https://host:port");
    }
    if ("http".equals(base.getScheme()) && !loopback(base.getHost())) {
      throw new UsageException("--coordinator '" + coordinator + "': plain http is allowed to this machine (loopback) only;"
          + " use https");
    }
    return new Api(base, token(err), tls());
  }

  private String token(java.io.PrintWriter err) throws UsageException {
    String token;
    if (tokenFile != null) {
      try {
        token = Files.readString(tokenFile).trim();
      } catch (IOException e) {
        throw new UsageException("cannot read --token-file " + tokenFile + ": " + e);
      }
      warnIfOthersCanRead(tokenFile, err);
    } else {
      token = System.getenv(TOKEN_ENV);
    }
    if (token == null || token.isBlank()) {
      throw new UsageException("no token: pass --token-file FILE or set " + TOKEN_ENV + " (your consortium administrator issues tokens)");
    }
    return token;
  }

  private static void warnIfOthersCanRead(Path file, java.io.PrintWriter err) {
    try {
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
      if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
        err.println("warning: " + file + " is readable by other users; chmod 600 " + file);
      }
    } catch (IOException | UnsupportedOperationException ignored) {
      // not a POSIX file system: nothing to check
    }
  }

  private SSLContext tls() throws UsageException {
    if (ca == null) return null;
    try (InputStream in = Files.newInputStream(ca)) {
      var certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certificates.isEmpty()) throw new UsageException("--ca " + ca + " holds no certificate; pass the consortium CA certificate (PEM)");
      return org.dure.crypto.pki.TlsContexts.clientTrustingOnly(certificates);
    } catch (IOException e) {
      throw new UsageException("cannot read --ca " + ca + ": " + e);
    } catch (GeneralSecurityException e) {
      throw new UsageException("--ca " + ca + " is not a PEM certificate: " + e.getMessage());
    }
  }

  private static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host.replace("[", "").replace("]", "")).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** A mistake in how the command was called (exit code 2). */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }
}
