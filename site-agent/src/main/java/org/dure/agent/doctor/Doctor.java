package org.dure.agent.doctor;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import javax.security.auth.x500.X500Principal;
import org.dure.agent.AgentConfig;
import org.dure.agent.SiteAgent;
import org.dure.agent.connection.CoordinatorLink;
import org.dure.agent.data.DataSource;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.outbound.OutboundLedger;
import org.dure.agent.outbound.OutboundReader;
import org.dure.agent.outbound.OutboundRecorder;
import org.dure.crypto.pki.SiteKeys;

/**
 * Checks a site agent's installation the way the agent will use it, and says in plain words what is wrong and how
 * to fix it: the configuration, the TLS directory and certificate, the data, the work directory and its free space,
 * the outbound ledger, and the coordinator (DNS, TCP, and a real mutual-TLS handshake and hello with the site's
 * certificate, recorded in the outbound ledger like every message that leaves).
 */
public final class Doctor {
  /** Below this much free space in the work directory the doctor reports a problem. */
  public static final long MIN_FREE_BYTES = 1L << 30;
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  private Doctor() {}

  /** Runs every check for the configuration file {@code configFile}. */
  public static List<Check> run(Path configFile, Duration timeout) {
    List<Check> checks = new ArrayList<>();
    AgentConfig config;
    try {
      config = AgentConfig.load(configFile);
    } catch (IOException | RuntimeException e) {
      checks.add(Check.problem("configuration", e.getMessage(),
          "correct " + configFile + " (see deploy/site-agent/agent.example.json); the other checks need it"));
      return checks;
    }
    checks.add(Check.ok("configuration", configFile + ": site " + config.siteId() + ", coordinator " + config.coordinator()));
    List<Check> tls = tls(config.tlsDir(), config.siteId(), Instant.now());
    checks.addAll(tls);
    checks.add(data(config.data()));
    checks.add(workDir(config.workDir()));
    checks.add(diskSpace(config.workDir(), MIN_FREE_BYTES));
    checks.add(outboundLedger(config.workDir()));
    SiteIdentity identity = null;
    try {
      identity = SiteIdentity.load(config.tlsDir(), config.siteId()); // as the agent loads it; a near expiry is no bar
    } catch (IOException | RuntimeException e) {
      // the TLS checks above say what is wrong
    }
    checks.addAll(coordinator(config.coordinator(), identity, config.workDir(), timeout, config.link().proxy()));
    return checks;
  }

  /** The TLS directory: complete, certificate valid now and for 30 more days, for this site, this key and the CA copy. */
  static List<Check> tls(Path dir, String siteId, Instant now) {
    List<Check> out = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String f : new String[] {SiteIdentity.KEY, SiteIdentity.CERT, SiteIdentity.CA_CERT}) {
      if (!Files.isReadable(dir.resolve(f))) missing.add(f);
    }
    String enrol = "enrol the site: `dure agent enrol --site-id " + siteId + " --dir " + dir + "`, send " + SiteIdentity.CSR
        + " to the consortium administrator, then `dure agent install-cert --site-id " + siteId + " --dir " + dir
        + " --cert site-cert.pem --ca ca-cert.pem`";
    if (!missing.isEmpty()) {
      out.add(Check.problem("TLS directory", dir.toAbsolutePath() + " lacks " + String.join(", ", missing)
          + (Files.isDirectory(dir) ? "" : " (the directory does not exist)"), enrol));
      return out;
    }
    PrivateKey key;
    X509Certificate cert, ca;
    try {
      key = SiteKeys.readPrivateKey(Files.readString(dir.resolve(SiteIdentity.KEY)));
      cert = SiteKeys.readCertificate(Files.readString(dir.resolve(SiteIdentity.CERT)));
      ca = SiteKeys.readCertificate(Files.readString(dir.resolve(SiteIdentity.CA_CERT)));
    } catch (IOException | RuntimeException e) {
      out.add(Check.problem("TLS directory", "cannot read the files in " + dir.toAbsolutePath() + ": " + e.getMessage(), enrol));
      return out;
    }
    String keyPerms = ownerOnlyProblem(dir.resolve(SiteIdentity.KEY));
    out.add(keyPerms == null ? Check.ok("TLS directory", dir.toAbsolutePath() + " has the key (owner-only), certificate and CA copy")
        : Check.problem("TLS directory", "the private key " + dir.resolve(SiteIdentity.KEY) + " " + keyPerms,
            "chmod 600 " + dir.resolve(SiteIdentity.KEY) + " (and chown it to the agent's user)"));
    Instant notBefore = cert.getNotBefore().toInstant(), notAfter = cert.getNotAfter().toInstant();
    String renew = "renew it: `dure agent enrol --renew --site-id " + siteId + " --dir " + dir
        + "`, have the administrator sign the new request, then `dure agent install-cert`";
    X500Principal expected = new X500Principal("CN=" + siteId);
    if (!cert.getSubjectX500Principal().equals(expected)) {
      out.add(Check.problem("TLS certificate", "it is for '" + cert.getSubjectX500Principal().getName() + "', but this agent is site '"
          + siteId + "'", "install this site's own certificate, or correct siteId in the configuration"));
    } else if (now.isBefore(notBefore) || now.isAfter(notAfter)) {
      out.add(Check.problem("TLS certificate", "not valid now: valid from " + notBefore + " to " + notAfter,
          now.isAfter(notAfter) ? renew : "check this computer's clock"));
    } else {
      out.add(Check.ok("TLS certificate", "for " + siteId + ", valid until " + notAfter + " (serial " + cert.getSerialNumber().toString(16) + ")"));
    }
    long daysLeft = Duration.between(now, notAfter).toDays();
    if (now.plus(SiteIdentity.RENEW_WARNING).isAfter(notAfter)) {
      out.add(Check.problem("certificate expiry", "the certificate expires at " + notAfter + " (in " + Math.max(0, daysLeft)
          + " days, less than " + SiteIdentity.RENEW_WARNING.toDays() + ")", renew));
    } else {
      out.add(Check.ok("certificate expiry", daysLeft + " days left"));
    }
    out.add(SiteKeys.matches(key, cert.getPublicKey())
        ? Check.ok("certificate matches key", SiteIdentity.CERT + " belongs to " + SiteIdentity.KEY)
        : Check.problem("certificate matches key", SiteIdentity.CERT + " does not belong to the key " + SiteIdentity.KEY,
            "install the certificate issued for this site's current request (or, if the key was replaced, enrol again)"));
    try {
      cert.verify(ca.getPublicKey());
      out.add(Check.ok("certificate issued by CA", "issued by " + ca.getSubjectX500Principal().getName() + " (" + SiteIdentity.CA_CERT + ")"));
    } catch (GeneralSecurityException | RuntimeException e) {
      out.add(Check.problem("certificate issued by CA", SiteIdentity.CERT + " was not issued by the CA in " + SiteIdentity.CA_CERT
          + " (" + ca.getSubjectX500Principal().getName() + ")",
          "get the consortium CA certificate from the administrator and install both again with `dure agent install-cert`"));
    }
    return out;
  }

  /** The data source reads, and how many rows and columns it has. */
  static Check data(DataSource source) {
    try {
      long rows = 0;
      int columns;
      try (org.dure.tabular.Records r = source.records().open()) {   // one record at a time, whatever the size
        columns = r.header().size();
        while (r.next()) rows++;
      }
      if (rows == 0) {
        return Check.problem("data", source.describe() + " has no rows (columns: " + columns + ")",
            "point \"data\" in the configuration at the extract with the patients, or refresh the extract");
      }
      return Check.ok("data", source.describe() + ": " + rows + " rows, " + columns + " columns");
    } catch (IOException | RuntimeException e) {
      return Check.problem("data", "cannot read " + source.describe() + ": " + e.getMessage(),
          "check that it exists and that the agent's user may read it (for a file: ls -l; for a database: the query,"
              + " host and credentials)");
    } catch (Exception e) {
      return Check.problem("data", source.describe() + " is malformed: " + e.getMessage(), "correct the extract at the place named");
    }
  }

  /** The work directory exists, is writable, belongs to this user and is owner-only. */
  static Check workDir(Path dir) {
    String fix = "as the agent's user: mkdir -p " + dir + " && chmod 700 " + dir;
    boolean created = false;
    if (!Files.isDirectory(dir)) {
      try {
        // as the agent creates it at its first start: owner-only from the start, never world-readable
        org.dure.crypto.SecureFiles.createOwnerOnlyDirectories(dir);
        created = true;
      } catch (IOException | RuntimeException e) {
        return Check.problem("work directory", dir.toAbsolutePath() + " does not exist and cannot be created ("
            + e.getMessage() + ")", fix);
      }
    }
    try {
      Path probe = Files.createTempFile(dir, ".doctor", ".tmp");
      Files.delete(probe);
    } catch (IOException | RuntimeException e) {
      return Check.problem("work directory", dir.toAbsolutePath() + " is not writable by " + System.getProperty("user.name")
          + " (" + e.getMessage() + ")", "chown the directory to the agent's user, or run the agent as its owner");
    }
    String perms = ownerOnlyProblem(dir);
    if (perms != null) return Check.problem("work directory", dir.toAbsolutePath() + " " + perms, "chmod 700 " + dir);
    return Check.ok("work directory", dir.toAbsolutePath() + (created ? " created (owner-only, as the agent would) and writable"
        : " is writable and owner-only"));
  }

  /** Null when {@code path} belongs to this user and grants nothing to group or others, else what is wrong. */
  static String ownerOnlyProblem(Path path) {
    try {
      if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) return null;
      String owner = Files.getOwner(path).getName();
      if (!owner.equals(System.getProperty("user.name"))) return "belongs to " + owner + ", not to " + System.getProperty("user.name");
      Set<PosixFilePermission> others = EnumSet.copyOf(Files.getPosixFilePermissions(path));
      others.removeAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
      return others.isEmpty() ? null : "is open to others (" + others.stream().map(p -> p.name().toLowerCase(java.util.Locale.ROOT))
          .sorted().collect(Collectors.joining(", ")) + ")";
    } catch (IOException e) {
      return "cannot be inspected: " + e.getMessage();
    }
  }

  /** Free space where the work directory is (or would be). */
  static Check diskSpace(Path dir, long minFree) {
    Path p = dir.toAbsolutePath();
    while (p != null && !Files.exists(p)) p = p.getParent();
    try {
      FileStore store = Files.getFileStore(p);
      long free = store.getUsableSpace();
      String found = mib(free) + " free on " + store.name() + " (work directory " + dir + ")";
      return free < minFree ? Check.problem("free disk space", "only " + found + "; the agent needs at least " + mib(minFree),
          "free space on that disk, or move workDir in the configuration to a larger one") : Check.ok("free disk space", found);
    } catch (IOException | RuntimeException e) {
      return Check.problem("free disk space", "cannot tell for " + dir + ": " + e.getMessage(), "check that the disk is mounted");
    }
  }

  private static String mib(long bytes) {
    return bytes >= 10L << 30 ? (bytes >> 30) + " GiB" : (bytes >> 20) + " MiB";
  }

  /** The outbound ledger's chain is intact. */
  static Check outboundLedger(Path workDir) {
    Path file = workDir.resolve(OutboundLedger.FILE);
    try {
      OutboundReader.Verification v = OutboundReader.read(file);
      return v.intact() ? Check.ok("outbound ledger", file + ": chain intact, " + v.lines() + " messages recorded")
          : Check.problem("outbound ledger", file + ": " + v.problem(), "keep the file as evidence (copy it away), tell the"
              + " consortium's security contact, and run `dure agent outbound --config ...` to see the entries");
    } catch (IOException e) {
      return Check.problem("outbound ledger", "cannot read " + file + ": " + e.getMessage(), "chown it to the agent's user");
    }
  }

  /** DNS, TCP, then a mutual-TLS WebSocket handshake and hello with the site's certificate (skipped without one). */
  static List<Check> coordinator(URI uri, SiteIdentity identity, Path workDir, Duration timeout) {
    return coordinator(uri, identity, workDir, timeout, null);
  }

  /**
   * As {@link #coordinator(URI, SiteIdentity, Path, Duration)}; through {@code proxy} (null: direct) when it applies to
   * the coordinator's host: then the proxy is checked (reachable, and what it answers to CONNECT to the coordinator)
   * instead of the coordinator's DNS and TCP, which are the proxy's business.
   */
  static List<Check> coordinator(URI uri, SiteIdentity identity, Path workDir, Duration timeout,
                                 org.dure.agent.connection.ProxySettings proxy) {
    List<Check> out = new ArrayList<>();
    String host = uri.getHost();
    int port = uri.getPort() == -1 ? 443 : uri.getPort();
    if (proxy != null && !proxy.appliesTo(uri)) {
      out.add(Check.ok("proxy", "not used for " + host + " (NO_PROXY/noProxy names it): the agent connects directly"));
      proxy = null;
    }
    if (proxy != null) {
      Check tunnel = proxyTunnel(proxy, host, port, timeout);
      out.add(tunnel);
      if (!tunnel.ok()) return out;
      return handshake(out, uri, host, port, identity, workDir, timeout, proxy);
    }
    InetAddress[] addresses;
    try {
      addresses = CompletableFuture.supplyAsync(() -> {
        try {
          return InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      out.add(Check.problem("coordinator DNS", "no answer for " + host + " within " + timeout.toSeconds() + " s",
          "check this computer's DNS servers (/etc/resolv.conf) or ask the hospital network team"));
      return out;
    } catch (Exception e) {
      out.add(Check.problem("coordinator DNS", host + " does not resolve (" + rootMessage(e) + ")",
          "check the host name in \"coordinator\" in the configuration, and this computer's DNS"));
      return out;
    }
    out.add(Check.ok("coordinator DNS", host + " is " + Arrays.stream(addresses).map(InetAddress::getHostAddress).collect(Collectors.joining(", "))));
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(addresses[0], port), Math.toIntExact(timeout.toMillis()));
      out.add(Check.ok("coordinator TCP", "connected to " + addresses[0].getHostAddress() + ":" + port));
    } catch (IOException e) {
      out.add(Check.problem("coordinator TCP", "cannot connect to " + addresses[0].getHostAddress() + ":" + port + " (" + e.getMessage() + ")",
          "check that the coordinator runs and that the hospital firewall allows outbound connections to port " + port
              + " (the agent needs no inbound port)"));
      return out;
    }
    return handshake(out, uri, host, port, identity, workDir, timeout, null);
  }

  /**
   * Asks the proxy for a tunnel to the coordinator ({@code CONNECT host:port}, with basic authentication when
   * configured) and reports what it answers, in plain words: unreachable, refused with its status (403, 407, 502...),
   * or tunnel open. Nothing goes through the tunnel: it is closed at once.
   */
  static Check proxyTunnel(org.dure.agent.connection.ProxySettings proxy, String host, int port, Duration timeout) {
    String name = "proxy";
    int ms = Math.toIntExact(timeout.toMillis());
    try (Socket s = new Socket()) {
      try {
        s.connect(new InetSocketAddress(proxy.host(), proxy.port()), ms);
      } catch (IOException e) {
        return Check.problem(name, org.dure.agent.connection.ProxyDiagnosis.unreachable(proxy, e.getMessage()),
            org.dure.agent.connection.ProxyDiagnosis.fix(-1, proxy));
      }
      s.setSoTimeout(ms);
      String target = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
      StringBuilder request = new StringBuilder("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n");
      if (proxy.username() != null) {
        request.append("Proxy-Authorization: Basic ").append(java.util.Base64.getEncoder().encodeToString(
            (proxy.username() + ":" + proxy.password()).getBytes(java.nio.charset.StandardCharsets.UTF_8))).append("\r\n");
      }
      request.append("\r\n");
      s.getOutputStream().write(request.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      byte[] line = new byte[300];
      int n = 0;
      for (int b; n < line.length && (b = s.getInputStream().read()) != -1 && b != '\n'; ) if (b != '\r') line[n++] = (byte) b;
      String status = new String(line, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("^HTTP/\\d(?:\\.\\d)? (\\d{3}) ?(.*)$").matcher(status);
      if (!m.matches()) {
        return Check.problem(name, "the proxy " + proxy.describe() + " (from " + proxy.source() + ") did not answer CONNECT"
            + " like an HTTP proxy (" + (n == 0 ? "it closed the connection" : "it said: " + status) + ")",
            "check the proxy's host and port with the hospital's network team; the agent needs an HTTP proxy that allows CONNECT");
      }
      int code = Integer.parseInt(m.group(1));
      if (code / 100 == 2) {
        return Check.ok(name, proxy.describe() + " (from " + proxy.source() + ") opens a tunnel to " + target + " (" + status
            + "); mutual TLS runs inside it, end to end");
      }
      return Check.problem(name, org.dure.agent.connection.ProxyDiagnosis.refused(code, m.group(2).trim(), proxy),
          org.dure.agent.connection.ProxyDiagnosis.fix(code, proxy));
    } catch (java.net.SocketTimeoutException e) {
      return Check.problem(name, "the proxy " + proxy.describe() + " (from " + proxy.source() + ") accepted the connection but"
          + " did not answer CONNECT within " + timeout.toSeconds() + " s", org.dure.agent.connection.ProxyDiagnosis.fix(-1, proxy));
    } catch (IOException e) {
      return Check.problem(name, "the proxy " + proxy.describe() + " (from " + proxy.source() + ") failed while asked for a"
          + " tunnel to " + host + ":" + port + " (" + e.getMessage() + ")", org.dure.agent.connection.ProxyDiagnosis.fix(-1, proxy));
    }
  }

  private static List<Check> handshake(List<Check> out, URI uri, String host, int port, SiteIdentity identity, Path workDir,
                                       Duration timeout, org.dure.agent.connection.ProxySettings proxy) {
    if (identity == null) {
      out.add(Check.problem("coordinator handshake", "not attempted: the site has no usable TLS identity", "fix the TLS problems above first"));
      return out;
    }
    OutboundRecorder ledger;
    try {
      ledger = OutboundLedger.open(workDir);
    } catch (IOException e) {
      out.add(Check.problem("coordinator handshake", "not attempted: its hello could not be recorded in the outbound ledger ("
          + e.getMessage() + ")", "fix the work directory problem above first"));
      return out;
    }
    Vertx vertx = Vertx.vertx();
    try {
      CoordinatorLink.Probe p = CoordinatorLink.probe(vertx, uri, identity, SiteAgent.VERSION, ledger, timeout, proxy)
          .toCompletionStage().toCompletableFuture().get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      if (p.welcomed()) {
        out.add(Check.ok("coordinator handshake", "mutual TLS and hello accepted: the coordinator welcomed " + identity.siteId() + (proxy != null ? " (through the proxy " + proxy.describe() + ")" : "")));
      } else if (p.refusal() != null) {
        out.add(Check.problem("coordinator handshake", "the coordinator refused this site: " + p.refusal(),
            "ask the consortium administrator (the reason above is what the coordinator says; a revoked or unregistered"
                + " site must be enrolled again)"));
      } else if (p.failure().contains("closed while handshake")) {
        // TLS 1.3: the coordinator checks the site's certificate after the agent finished its side of the handshake,
        // and a refusal is only a closed connection; the reason is in the coordinator's refusals list, not on the wire.
        out.add(Check.problem("coordinator handshake", "the coordinator closed the TLS handshake: it does not accept this"
            + " site's certificate (revoked, not enrolled, or not from the consortium CA) (" + p.failure() + ")",
            "ask the consortium administrator for the reason recorded for " + identity.certificate().getSubjectX500Principal()
                .getName() + " in the coordinator's refusals list (GET /api/sites/refusals); a revoked site must enrol again"));
      } else {
        String status = proxy != null ? null : answersWithoutSiteCertificate(host, port, timeout);
        if (status != null) {
          // The agents' port asks every client for a site certificate; a server that answers HTTPS without one and
          // has no agent WebSocket at the URL is the coordinator's API (for people and their browsers).
          out.add(Check.problem("coordinator handshake", host + ":" + port + " answers HTTPS without a site certificate ("
              + status + ") but not the agents' WebSocket " + uri.getPath() + " (" + p.failure() + "): this is the"
              + " coordinator's API port for people, not the agents' port",
              "point \"coordinator\" in the configuration at the agents' port: wss://" + host + ":<agents' port>/agents"
                  + " (8471 unless the administrator changed it; the API's is 8470)"));
        } else {
          out.add(Check.problem("coordinator handshake", p.failure(), "check that ca-cert.pem is the consortium CA certificate"
              + " and that the URL names the coordinator's host as in its certificate"));
        }
      }
    } catch (Exception e) {
      out.add(Check.problem("coordinator handshake", "no result: " + rootMessage(e), "run the doctor again; if it persists, check the network"));
    } finally {
      vertx.close();
    }
    return out;
  }

  /**
   * The HTTP status line {@code host:port} answers to a plain HTTPS {@code GET /} without a client certificate, or null
   * when it does not answer HTTP so (the agents' port ends the handshake of a client without a site certificate). The
   * server's certificate is not checked: nothing is sent but the request line, and only the kind of server is learnt.
   */
  static String answersWithoutSiteCertificate(String host, int port, Duration timeout) {
    try {
      javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
      tls.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509ExtendedTrustManager() {
        @Override public void checkClientTrusted(X509Certificate[] c, String a) {}
        @Override public void checkServerTrusted(X509Certificate[] c, String a) {}
        @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {}
        @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) {}
        @Override public void checkClientTrusted(X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {}
        @Override public void checkServerTrusted(X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {}
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
      }}, null);
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress(host, port), Math.toIntExact(timeout.toMillis()));
        raw.setSoTimeout(Math.toIntExact(timeout.toMillis()));
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(raw, host, port, true)) {
          s.startHandshake();
          s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nConnection: close\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          byte[] line = new byte[200];
          int n = 0;
          for (int b; n < line.length && (b = s.getInputStream().read()) != -1 && b != '\r' && b != '\n'; ) line[n++] = (byte) b;
          String status = new String(line, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
          return status.startsWith("HTTP/") ? status : null;
        }
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      return null;
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) t = t.getCause();
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
