package org.dure.agent.connection;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.dure.agent.identity.SiteIdentity;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.WireJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one outbound connection to the coordinator (hospitals accept no inbound connections), over
 * TLS 1.3 with the site's certificate (mutual TLS) and the consortium CA as the only trust anchor; the
 * coordinator's certificate must name the host in the URL. It says hello, hands every message to a {@link Listener}, and when the connection fails or drops it
 * reconnects with exponential backoff and jitter (0.5 s doubling to 30 s), forever, until closed.
 */
public final class CoordinatorLink {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorLink.class);
  static final long MIN_BACKOFF_MS = 500, MAX_BACKOFF_MS = 30_000;

  /** What the link reports, on the Vert.x event loop. */
  public interface Listener {
    void connected();

    void message(CoordinatorMessage message);

    void frame(Frames.ModelFrame frame);

    void disconnected();

    /** The size of the last participation-ledger tree head this site accepted (sent in hello). */
    default long ledgerTreeSize() {
      return 0;
    }
  }

  private final Vertx vertx;
  private final URI uri;
  private final String siteId;
  private final String agentVersion;
  private final SiteIdentity identity;
  private final Listener listener;
  private final WebSocketClient client; // kept referenced: Vert.x closes unreachable clients
  private volatile WebSocket socket;
  private volatile boolean closed;
  private int failures;
  private volatile String lastRefusal;

  public CoordinatorLink(Vertx vertx, URI uri, SiteIdentity identity, String agentVersion, Listener listener) {
    this.vertx = vertx;
    this.uri = uri;
    this.identity = identity;
    this.siteId = identity.siteId();
    this.agentVersion = agentVersion;
    this.listener = listener;
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setSsl(true).setVerifyHost(true).setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
        .setKeyCertOptions(new PemKeyCertOptions().setKeyPath(identity.keyFile().toString())
            .setCertPath(identity.certificateFile().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(identity.caFile().toString()))
        .setMaxMessageSize(256 * 1024 * 1024 + 64).setMaxFrameSize(1 << 20).setConnectTimeout(10_000));
  }

  private volatile java.security.PublicKey coordinatorKey;

  /** The public key of the certificate the coordinator presented on the current connection (null if none yet). */
  public java.security.PublicKey coordinatorKey() {
    return coordinatorKey;
  }

  private static java.security.PublicKey peerKey(io.vertx.core.http.WebSocket ws) {
    try {
      java.util.List<java.security.cert.Certificate> chain = ws.peerCertificates();
      return chain == null || chain.isEmpty() ? null : chain.get(0).getPublicKey();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return null;
    }
  }

  public void open() {
    connect();
  }

  private void connect() {
    if (closed) return;
    WebSocketConnectOptions opts = new WebSocketConnectOptions().setAbsoluteURI(uri.toString());
    client.connect(opts).onSuccess(ws -> {
      if (closed) {
        ws.close();
        return;
      }
      socket = ws;
      ws.textMessageHandler(text -> {
        CoordinatorMessage m;
        try {
          m = WireJson.readCoordinator(text);
        } catch (IllegalArgumentException e) {
          log.warn("ignoring a message from the coordinator: {}", e.getMessage());
          return;
        }
        if (m instanceof CoordinatorMessage.Welcome w) {
          if (!siteId.equals(w.siteId())) {
            log.error("the coordinator identified this agent as '{}' but it is configured as '{}'; disconnecting", w.siteId(), siteId);
            ws.close();
            return;
          }
          failures = 0;
          log.info("connected to coordinator {} as {}", uri, siteId);
          listener.connected();
        } else if (m instanceof CoordinatorMessage.Refused r) {
          log.warn("coordinator refused: {}", r.reason());
          lastRefusal = r.reason();
        } else {
          listener.message(m);
        }
      });
      ws.binaryMessageHandler(buf -> {
        try {
          listener.frame(Frames.decodeModel(buf.getBytes()));
        } catch (Frames.FrameException e) {
          log.warn("ignoring an undecodable model frame: {}", e.getMessage());
        }
      });
      ws.closeHandler(v -> {
        socket = null;
        if (!closed) {
          log.warn("connection to coordinator lost; reconnecting");
          listener.disconnected();
          retry();
        }
      });
      ws.exceptionHandler(e -> log.debug("connection error: {}", e.toString()));
      coordinatorKey = peerKey(ws);
      ws.writeTextMessage(WireJson.write(new AgentMessage.Hello(agentVersion, listener.ledgerTreeSize())));
    }).onFailure(e -> {
      // With TLS 1.3 a refused client certificate shows here only as a closed handshake; the coordinator's
      // log and its refusals list (GET /api/sites/refusals) name the reason.
      log.warn("cannot connect to coordinator {} ({}); if this persists, the coordinator may be refusing this site's"
          + " certificate {} (ask the administrator to check the refusals list); retrying", uri, e.getMessage(),
          identity.certificateFile());
      retry();
    });
  }

  private void retry() {
    if (closed) return;
    long base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(failures, 16));
    failures++;
    long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    vertx.setTimer(delay, t -> connect());
  }

  /** Sends a message if connected; returns false (and drops it) when not. Safe from any thread. */
  public boolean send(AgentMessage message) {
    WebSocket ws = socket;
    if (ws == null || ws.isClosed()) return false;
    ws.writeTextMessage(WireJson.write(message));
    return true;
  }

  /** Sends a binary frame if connected; returns false when not. Safe from any thread. */
  public boolean sendBinary(byte[] frame) {
    WebSocket ws = socket;
    if (ws == null || ws.isClosed()) return false;
    ws.writeBinaryMessage(Buffer.buffer(frame));
    return true;
  }

  /** The last reason the coordinator gave for refusing this site or one of its messages, or null. */
  public String lastRefusal() {
    return lastRefusal;
  }

  public boolean isConnected() {
    WebSocket ws = socket;
    return ws != null && !ws.isClosed();
  }

  public void close() {
    closed = true;
    WebSocket ws = socket;
    if (ws != null) ws.close();
    client.close();
  }
}
