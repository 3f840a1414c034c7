package org.dure.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import org.dure.coordinator.admin.ConsortiumAdmin;
import org.dure.coordinator.security.CoordinatorPki;
import org.dure.coordinator.security.Credentials;
import org.dure.coordinator.security.Role;
import org.dure.crypto.pki.SiteKeys;

/**
 * A real coordinator behind a real throwaway consortium: CA, TLS certificate for 127.0.0.1, and API users
 * {@code admin}, {@code alice} and {@code bob} (researchers) and {@code audrey} (auditor).
 */
final class SecuredCoordinator implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final char[] PASSPHRASE = "test passphrase, not secret".toCharArray();
  final ConsortiumAdmin admin;
  Coordinator coordinator;
  private final Path dir;
  final String adminToken, aliceToken, bobToken, auditorToken;
  final X509Certificate ca;
  private final HttpClient http;

  SecuredCoordinator(Path dir) throws Exception {
    this(dir, config -> config);
  }

  /** With the loopback configuration changed by {@code configure} (limits, ports). */
  SecuredCoordinator(Path dir, java.util.function.UnaryOperator<CoordinatorConfig> configure) throws Exception {
    admin = new ConsortiumAdmin(dir.resolve("consortium"));
    adminToken = admin.init("Test consortium", List.of("localhost", "127.0.0.1"), "admin", PASSPHRASE,
        Duration.ofDays(2), Duration.ofDays(2)).admin().token();
    Credentials users = Credentials.load(admin.coordinatorDir().resolve(CoordinatorPki.CREDENTIALS));
    aliceToken = users.issue("alice", Role.RESEARCHER, "test").token();
    bobToken = users.issue("bob", Role.RESEARCHER, "test").token();
    auditorToken = users.issue("audrey", Role.AUDITOR, "test").token();
    ca = SiteKeys.readCertificate(Files.readString(admin.coordinatorDir().resolve(CoordinatorPki.CA_CERT)));
    this.dir = dir;
    coordinator = Coordinator.start(configure.apply(CoordinatorConfig.loopback(dir.resolve("data"), admin.coordinatorDir())))
        .toCompletionStage().toCompletableFuture().get();
    http = HttpClient.newBuilder().sslContext(tls(null, null)).connectTimeout(Duration.ofSeconds(5)).build();
  }

  /**
   * A TLS 1.3 context trusting only the consortium CA, presenting {@code cert} when given, even when the
   * server's list of acceptable issuers does not name the certificate's issuer (as an impostor would).
   */
  SSLContext tls(KeyPair keys, X509Certificate cert) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (cert != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("site", keys.getPrivate(), new char[0], new Certificate[] {cert});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
    }
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    KeyManager[] km = kmf == null ? null : new KeyManager[] {new AlwaysPresent((X509KeyManager) kmf.getKeyManagers()[0])};
    ctx.init(km, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** Presents alias "site" whatever issuers the server asks for. */
  private static final class AlwaysPresent extends X509ExtendedKeyManager {
    private final X509KeyManager keys;

    AlwaysPresent(X509KeyManager keys) {
      this.keys = keys;
    }

    @Override public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return "site";
    }

    @Override public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "site";
    }

    @Override public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"site"};
    }

    @Override public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override public X509Certificate[] getCertificateChain(String alias) {
      return keys.getCertificateChain(alias);
    }

    @Override public PrivateKey getPrivateKey(String alias) {
      return keys.getPrivateKey(alias);
    }
  }

  record Reply(int status, JsonNode body) {}

  Reply send(String token, String method, String path, String body) throws Exception {
    return send(token, method, path, body, new String[0]);
  }

  /** Sends with extra request headers, given as name, value, name, value, .... */
  Reply send(String token, String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + coordinator.apiPort() + path))
        .timeout(Duration.ofSeconds(20));
    if (token != null) b.header("Authorization", "Bearer " + token);
    for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return send(b);
  }

  /** Sends a body of unknown length (chunked, no Content-Length). */
  Reply sendChunked(String token, String method, String path, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + coordinator.apiPort() + path))
        .timeout(Duration.ofSeconds(20));
    if (token != null) b.header("Authorization", "Bearer " + token);
    for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    b.method(method, HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)));
    return send(b);
  }

  private Reply send(HttpRequest.Builder b) throws Exception {
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = null;
    if (!r.body().isEmpty() && r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
      json = JSON.readTree(r.body());
    }
    return new Reply(r.statusCode(), json);
  }

  /** The coordinator's data directory (state, studies, ledger). */
  Path dataDir() {
    return dir.resolve("data");
  }

  /** Stops the coordinator and starts it again on the same consortium and data (new ports). */
  void restart() throws Exception {
    coordinator.close();
    coordinator = Coordinator.start(CoordinatorConfig.loopback(dataDir(), admin.coordinatorDir()))
        .toCompletionStage().toCompletableFuture().get();
  }

  URI agentUri() {
    return URI.create("wss://127.0.0.1:" + coordinator.agentPort() + "/agents");
  }

  @Override public void close() {
    if (coordinator != null) coordinator.close();
  }
}
