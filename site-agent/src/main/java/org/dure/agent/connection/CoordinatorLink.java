package org.dure.agent.connection;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.outbound.OutboundRecorder;
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
 *
 * <p>Every message this class writes (hello, JSON messages, binary frames) is first recorded by the
 * {@link OutboundRecorder} (the site's outbound ledger) with the exact bytes that then go out; when recording fails
 * the message is not sent. Nothing else is written to the socket but WebSocket control frames (close, and the pong
 * Vert.x answers a ping with, echoing the coordinator's own ping bytes), which carry no data from the hospital.
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
  private final OutboundRecorder outbound;
  /** Held while a message is recorded and handed to the socket, so the ledger's order is the wire's order. */
  private final Object sendLock = new Object();
  private final WebSocketClient client; // kept referenced: Vert.x closes unreachable clients
  private volatile WebSocket socket;
  private volatile boolean closed;
  private int failures;
  private volatile String lastRefusal;

  /**
   * @param outbound records every message before it is sent (the site's outbound ledger); a message it cannot record
   *     is not sent
   */
  public CoordinatorLink(Vertx vertx, URI uri, SiteIdentity identity, String agentVersion, OutboundRecorder outbound,
                         Listener listener) {
    this.vertx = vertx;
    this.uri = uri;
    this.identity = identity;
    this.siteId = identity.siteId();
    this.agentVersion = agentVersion;
    this.outbound = java.util.Objects.requireNonNull(outbound, "outbound");
    this.listener = listener;
    this.client = vertx.createWebSocketClient(clientOptions(identity, Duration.ofSeconds(10)));
  }

  private static WebSocketClientOptions clientOptions(SiteIdentity identity, Duration connectTimeout) {
    return new WebSocketClientOptions()
        .setSsl(true).setVerifyHost(true).setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
        .setKeyCertOptions(new PemKeyCertOptions().setKeyPath(identity.keyFile().toString())
            .setCertPath(identity.certificateFile().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(identity.caFile().toString()))
        .setMaxMessageSize(256 * 1024 * 1024 + 64).setMaxFrameSize(1 << 20)
        .setConnectTimeout(Math.toIntExact(connectTimeout.toMillis()));
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
            org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.ERROR, "coordinator.identity.mismatch", null, siteId,
                "the coordinator identified this agent as '{}' but it is configured as '{}'; disconnecting", w.siteId(), siteId);
            ws.close();
            return;
          }
          failures = 0;
          log.info("connected to coordinator {} as {}", uri, siteId);
          listener.connected();
        } else if (m instanceof CoordinatorMessage.Refused r) {
          org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.WARN, "coordinator.refused", null, siteId, "coordinator refused: {}", r.reason());
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
      sayHello(vertx, ws, outbound, sendLock, new AgentMessage.Hello(agentVersion, listener.ledgerTreeSize()));
    }).onFailure(e -> {
      // With TLS 1.3 a refused client certificate shows here only as a closed handshake; the coordinator's
      // log and its refusals list (GET /api/sites/refusals) name the reason.
      org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.WARN, "coordinator.connection.failed", null, siteId, "cannot connect to coordinator {} ({}); if this persists, the coordinator may be refusing this site's"
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

  /**
   * Sends a message if connected and recorded in the outbound ledger; returns false (and drops it) when not
   * connected or when it could not be recorded. Safe from any thread; may block for the ledger's fsync, so not for
   * the event loop.
   */
  public boolean send(AgentMessage message) {
    return send(message, java.util.List.of());
  }

  /** {@link #send(AgentMessage)}, recording the site's privacy filters the message went through with it. */
  public boolean send(AgentMessage message, java.util.List<String> filters) {
    WebSocket ws = socket;
    if (ws == null || ws.isClosed()) return false;
    return write(ws, outbound, false, WireJson.write(message).getBytes(StandardCharsets.UTF_8), filters);
  }

  /** Sends a binary frame if connected and recorded in the outbound ledger; returns false when not. See {@link #send}. */
  public boolean sendBinary(byte[] frame) {
    return sendBinary(frame, java.util.List.of());
  }

  /** {@link #sendBinary(byte[])}, recording the site's privacy filters the frame went through with it. */
  public boolean sendBinary(byte[] frame, java.util.List<String> filters) {
    WebSocket ws = socket;
    if (ws == null || ws.isClosed()) return false;
    return write(ws, outbound, true, frame, filters);
  }

  /** The one place a message is written to the socket: recorded first, and not sent when it cannot be recorded. */
  private boolean write(WebSocket ws, OutboundRecorder recorder, boolean binary, byte[] payload, java.util.List<String> filters) {
    synchronized (sendLock) {
      return recordAndWrite(ws, recorder, binary, payload, filters);
    }
  }

  private static boolean recordAndWrite(WebSocket ws, OutboundRecorder recorder, boolean binary, byte[] payload,
                                        java.util.List<String> filters) {
    try {
      recorder.record(binary, payload, filters);
    } catch (IOException | RuntimeException e) {
      log.error("NOT sending a {}-byte {} message: it could not be recorded in the outbound ledger ({}); fix the ledger"
          + " (disk space, permissions of the work directory) and the agent sends again from the next message on",
          payload.length, binary ? "binary" : "JSON", e.toString());
      return false;
    }
    if (binary) ws.writeBinaryMessage(Buffer.buffer(payload));
    else ws.writeTextMessage(new String(payload, StandardCharsets.UTF_8)); // re-encodes to exactly these UTF-8 bytes
    return true;
  }

  /** Records and sends hello off the event loop (the ledger syncs to disk); closes the connection when it cannot be recorded. */
  private static void sayHello(Vertx vertx, WebSocket ws, OutboundRecorder recorder, Object lock, AgentMessage.Hello hello) {
    byte[] bytes = WireJson.write(hello).getBytes(StandardCharsets.UTF_8);
    vertx.executeBlocking(() -> {
      synchronized (lock) {
        return recordAndWrite(ws, recorder, false, bytes, java.util.List.of());
      }
    }, false).onComplete(r -> {
      if (!Boolean.TRUE.equals(r.result())) ws.close();
    });
  }

  /**
   * What one connection attempt found: {@code welcomed} when the coordinator accepted this site and answered hello,
   * else the coordinator's {@code refusal} reason or the {@code failure} (DNS, TCP, TLS handshake, timeout).
   */
  public record Probe(boolean welcomed, String refusal, String failure) {}

  /**
   * One connection attempt, as the agent makes it (mutual TLS with the site's certificate, hello recorded in
   * {@code outbound} first), that waits for the coordinator's welcome or refusal and then closes. For {@code dure
   * agent doctor}.
   */
  public static io.vertx.core.Future<Probe> probe(Vertx vertx, URI uri, SiteIdentity identity, String agentVersion,
                                                    OutboundRecorder outbound, Duration timeout) {
    io.vertx.core.Promise<Probe> result = io.vertx.core.Promise.promise();
    WebSocketClient client = vertx.createWebSocketClient(clientOptions(identity, timeout));
    WebSocket[] open = new WebSocket[1];
    long timer = vertx.setTimer(timeout.toMillis(), t -> result.tryComplete(new Probe(false, null,
        "no answer from the coordinator within " + timeout.toSeconds() + " s")));
    client.connect(new WebSocketConnectOptions().setAbsoluteURI(uri.toString())).onSuccess(ws -> {
      open[0] = ws;
      ws.textMessageHandler(text -> {
        CoordinatorMessage m;
        try {
          m = WireJson.readCoordinator(text);
        } catch (IllegalArgumentException e) {
          result.tryComplete(new Probe(false, null, "the coordinator sent a message this agent cannot read: " + e.getMessage()));
          return;
        }
        if (m instanceof CoordinatorMessage.Welcome w) {
          result.tryComplete(identity.siteId().equals(w.siteId()) ? new Probe(true, null, null)
              : new Probe(false, null, "the coordinator identified this agent as '" + w.siteId() + "', not '" + identity.siteId() + "'"));
        } else if (m instanceof CoordinatorMessage.Refused r) {
          result.tryComplete(new Probe(false, r.reason(), null));
        }
      });
      ws.closeHandler(v -> result.tryComplete(new Probe(false, null, "the coordinator closed the connection without answering hello")));
      ws.exceptionHandler(e -> { });
      sayHello(vertx, ws, outbound, new Object(), new AgentMessage.Hello(agentVersion, 0L));
    }).onFailure(e -> result.tryComplete(new Probe(false, null, causes(e))));
    return result.future().andThen(r -> {
      vertx.cancelTimer(timer);
      if (open[0] != null) open[0].close();
      client.close();
    });
  }

  /** The distinct messages of {@code e} and its causes, outermost first. */
  private static String causes(Throwable e) {
    java.util.LinkedHashSet<String> messages = new java.util.LinkedHashSet<>();
    for (Throwable t = e; t != null && messages.size() < 5; t = t.getCause()) {
      messages.add(t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName());
    }
    return String.join(": ", messages);
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
