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
 * coordinator's certificate must name the host in the URL, directly or through the hospital's HTTP proxy (HTTP
 * {@code CONNECT}: the proxy relays the TLS bytes and mutual TLS runs end to end, see {@link ProxySettings}). It says
 * hello, hands every message to a {@link Listener}, and when the connection fails or drops it reconnects with
 * exponential backoff and jitter ({@link LinkSettings}: by default 0.5 s doubling to 30 s), forever, until closed.
 *
 * <p>Liveness: the agent pings the coordinator every {@link LinkSettings#pingInterval()} and, when not a byte (of the
 * pong or of anything else) arrives within {@link LinkSettings#pongTimeout()} of the ping leaving the socket, declares
 * the connection dead, closes it and reconnects. This finds a half-open connection (a firewall or NAT that forgot it, a proxy that stopped
 * relaying), which sends no reset and which TCP alone would not notice. Any byte received counts as an answer, so a
 * large model arriving slowly over a capped link is not mistaken for a dead one.
 *
 * <p>Every message this class writes (hello, JSON messages, binary frames) is first recorded by the
 * {@link OutboundRecorder} (the site's outbound ledger) with the exact bytes that then go out; when recording fails
 * the message is not sent. Nothing else is written to the socket but WebSocket control frames (close, the agent's
 * empty pings, and the pong Vert.x answers a ping with, echoing the coordinator's own ping bytes), which carry no data
 * from the hospital.
 */
public final class CoordinatorLink {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorLink.class);

  /** What the link reports, on the Vert.x event loop. */
  public interface Listener {
    void connected();

    void message(CoordinatorMessage message);

    void frame(Frames.ModelFrame frame);

    void disconnected();

    /** The connection was given up as dead (a ping unanswered past its deadline); {@link #disconnected()} follows. */
    default void deadConnection() {}

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
  private final LinkSettings settings;
  /** Null when the connection to {@link #uri} is direct (no proxy configured, or NO_PROXY names its host). */
  private final ProxySettings proxy;
  /** Held while a message is recorded and handed to the socket, so the ledger's order is the wire's order. */
  private final Object sendLock = new Object();
  private final WebSocketClient client; // kept referenced: Vert.x closes unreachable clients
  private volatile WebSocket socket;
  private volatile boolean closed;
  private int failures;
  private final java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger deadLinks = new java.util.concurrent.atomic.AtomicInteger();
  private volatile String lastRefusal;

  /**
   * @param outbound records every message before it is sent (the site's outbound ledger); a message it cannot record
   *     is not sent
   */
  public CoordinatorLink(Vertx vertx, URI uri, SiteIdentity identity, String agentVersion, OutboundRecorder outbound,
                         Listener listener) {
    this(vertx, uri, identity, agentVersion, outbound, LinkSettings.defaults(), listener);
  }

  /**
   * @param settings pings, backoff, timeouts and the proxy
   */
  public CoordinatorLink(Vertx vertx, URI uri, SiteIdentity identity, String agentVersion, OutboundRecorder outbound,
                         LinkSettings settings, Listener listener) {
    this.vertx = vertx;
    this.settings = java.util.Objects.requireNonNull(settings, "settings");
    this.proxy = settings.proxy() != null && settings.proxy().appliesTo(uri) ? settings.proxy() : null;
    this.uri = uri;
    this.identity = identity;
    this.siteId = identity.siteId();
    this.agentVersion = agentVersion;
    this.outbound = java.util.Objects.requireNonNull(outbound, "outbound");
    this.listener = listener;
    this.client = vertx.createWebSocketClient(clientOptions(identity, settings.connectTimeout(), proxy));
  }

  private static WebSocketClientOptions clientOptions(SiteIdentity identity, Duration connectTimeout, ProxySettings proxy) {
    WebSocketClientOptions o = new WebSocketClientOptions()
        .setSsl(true).setVerifyHost(true).setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
        .setKeyCertOptions(new PemKeyCertOptions().setKeyPath(identity.keyFile().toString())
            .setCertPath(identity.certificateFile().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(identity.caFile().toString()))
        .setMaxMessageSize(256 * 1024 * 1024 + 64).setMaxFrameSize(1 << 20)
        .setConnectTimeout(Math.toIntExact(connectTimeout.toMillis()))
        .setSslHandshakeTimeout(connectTimeout.toMillis()).setSslHandshakeTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
        // A close on a dead connection gets no answer: give up waiting for it soon, the link has moved on.
        .setClosingTimeout(Math.toIntExact(Math.max(1, Math.min(10, connectTimeout.toSeconds()))));
    if (proxy != null) o.setProxyOptions(proxy.vertx().setConnectTimeout(connectTimeout));
    return o;
  }

  private static WebSocketConnectOptions connectOptions(URI uri, Duration connectTimeout) {
    return new WebSocketConnectOptions().setAbsoluteURI(uri.toString()).setConnectTimeout(connectTimeout.toMillis())
        .setTimeout(connectTimeout.toMillis());
  }

  /** The proxy this link goes through, or null when direct. */
  public ProxySettings proxy() {
    return proxy;
  }

  /** Connection attempts made so far (for tests and metrics). */
  public int attempts() {
    return attempts.get();
  }

  /** Connections this link declared dead because a ping went unanswered (half-open links found). */
  public int deadLinksDetected() {
    return deadLinks.get();
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
    attempts.incrementAndGet();
    java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();
    // Belt and braces: an attempt that neither succeeds nor fails (a proxy or peer that accepts and then says
    // nothing) must not stop the reconnect loop.
    long guard = vertx.setTimer(settings.connectTimeout().toMillis() * 2 + 1000, t -> {
      if (settled.compareAndSet(false, true)) {
        log.warn("connecting to coordinator {}{} did not finish within {} ms; retrying", uri, via(), settings.connectTimeout().toMillis() * 2 + 1000);
        retry();
      }
    });
    client.connect(connectOptions(uri, settings.connectTimeout())).onSuccess(ws -> {
      vertx.cancelTimer(guard);
      if (closed || !settled.compareAndSet(false, true)) {
        ws.close();
        return;
      }
      Connection conn = new Connection(ws);
      socket = ws;
      ws.textMessageHandler(text -> {
        if (conn.ended) return; // given up as dead: what it still delivers belongs to no session
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
        if (conn.ended) return;
        try {
          listener.frame(Frames.decodeModel(buf.getBytes()));
        } catch (Frames.FrameException e) {
          log.warn("ignoring an undecodable model frame: {}", e.getMessage());
        }
      });
      ws.frameHandler(f -> conn.heard()); // every frame, control frames and parts of large messages included
      ws.pongHandler(b -> conn.heard());
      hearBytes(ws, conn);
      ws.closeHandler(v -> conn.ended("connection to coordinator lost; reconnecting"));
      ws.exceptionHandler(e -> log.debug("connection error: {}", e.toString()));
      coordinatorKey = peerKey(ws);
      conn.startPings();
      sayHello(vertx, ws, outbound, sendLock, new AgentMessage.Hello(agentVersion, listener.ledgerTreeSize()));
    }).onFailure(e -> {
      vertx.cancelTimer(guard);
      if (!settled.compareAndSet(false, true)) return;
      // With TLS 1.3 a refused client certificate shows here only as a closed handshake; the coordinator's
      // log and its refusals list (GET /api/sites/refusals) name the reason.
      String proxyProblem = proxy == null ? null : ProxyDiagnosis.explain(e, proxy);
      if (proxyProblem != null) {
        log.warn("cannot reach coordinator {} through {}: {}; retrying", uri, proxy, proxyProblem);
      } else if (timedOut(e)) {
        log.warn("cannot connect to coordinator {}{}: no answer within {} ms ({}): the network, or a firewall or proxy on"
            + " the way, is not delivering; retrying", uri, via(), settings.connectTimeout().toMillis(), causes(e));
      } else {
        org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.WARN, "coordinator.connection.failed", null, siteId, "cannot connect to coordinator {}{} ({}); if this persists, the coordinator may be refusing this site's"
            + " certificate {} (ask the administrator to check the refusals list); retrying", uri, via(), e.getMessage(),
            identity.certificateFile());
      }
      retry();
    });
  }

  /**
   * Counts every byte that arrives on the connection as a sign of life, not only whole frames: a large frame (up to 1
   * MiB) crawling in over a capped link is a live connection, even when it takes longer than the pong deadline. This
   * uses Vert.x's internal access to the Netty pipeline (a handler at its head sees each read, TLS records included);
   * were it unavailable, whole frames still count.
   */
  private static void hearBytes(WebSocket ws, Connection conn) {
    if (!(ws instanceof io.vertx.core.internal.http.WebSocketInternal internal)) return;
    try {
      internal.channelHandlerContext().pipeline().addFirst("dure-liveness", new io.netty.channel.ChannelInboundHandlerAdapter() {
        @Override public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
          conn.heard();
          ctx.fireChannelRead(msg);
        }
      });
    } catch (RuntimeException e) {
      log.debug("liveness from whole frames only: {}", e.toString());
    }
  }

  /** Bytes written to the connection and not yet taken by the socket, or -1 when that cannot be known. */
  private static long pendingOutbound(WebSocket ws) {
    if (!(ws instanceof io.vertx.core.internal.http.WebSocketInternal internal)) return -1;
    try {
      io.netty.channel.ChannelOutboundBuffer b = internal.channelHandlerContext().channel().unsafe().outboundBuffer();
      return b == null ? -1 : b.totalPendingWriteBytes();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private String via() {
    return proxy == null ? "" : " through " + proxy;
  }

  /**
   * One WebSocket connection: its pings and their deadline, and the single place its end is handled (a close, or a
   * ping without an answer), so that a dead connection is given up once and reconnected once.
   */
  private final class Connection {
    final WebSocket ws;
    volatile long lastHeard = System.nanoTime();
    private boolean ended; // on the connection's event loop
    private long pingTimer = -1;

    Connection(WebSocket ws) {
      this.ws = ws;
    }

    void heard() {
      lastHeard = System.nanoTime();
    }

    void startPings() {
      pingTimer = vertx.setPeriodic(settings.pingInterval().toMillis(), t -> ping());
    }

    private boolean pingInFlight;
    private long stalledSince;
    private long pendingAtCheck = -1;

    /**
     * Sends a ping and, once it has left (written to the socket: behind any message still queued, so that a large
     * upload on a slow link does not count against its deadline), gives the coordinator the pong deadline to be heard.
     * A ping that cannot even leave counts as unanswered when the queue ahead of it has not moved for the pong deadline
     * and nothing arrived meanwhile: a full send buffer on a link that takes nothing more is dead, one that drains is not.
     */
    private void ping() {
      if (ended || ws.isClosed()) return;
      long now = System.nanoTime();
      if (pingInFlight) {
        long pending = pendingOutbound(ws);
        boolean draining = pending >= 0 && pendingAtCheck >= 0 && pending < pendingAtCheck;
        pendingAtCheck = pending;
        if (draining || now - lastHeard < settings.pongTimeout().toNanos()) stalledSince = now;
        else if (now - stalledSince > settings.pongTimeout().toNanos()) dead();
        return;
      }
      pingInFlight = true;
      stalledSince = now;
      pendingAtCheck = pendingOutbound(ws);
      ws.writePing(Buffer.buffer()).onComplete(written -> {
        pingInFlight = false;
        if (ended) return;
        long sentAt = System.nanoTime();
        vertx.setTimer(settings.pongTimeout().toMillis(), t -> {
          if (!ended && lastHeard - sentAt < 0) dead();
        });
      });
    }

    private void dead() {
      deadLinks.incrementAndGet();
      listener.deadConnection();
      log.warn("no answer from coordinator {}{} within {} ms of a ping: the connection is dead (half-open: a firewall, NAT"
          + " or proxy on the way stopped relaying without closing it); closing it and reconnecting", uri, via(),
          settings.pongTimeout().toMillis());
      ended("closed the unanswered connection");
      ws.close((short) 1001, "no pong").onComplete(r -> { }); // best effort: the peer may never see it
    }

    /** The connection is over (closed, or given up as dead): report it once and reconnect. */
    void ended(String why) {
      if (ended) return;
      ended = true;
      if (pingTimer != -1) vertx.cancelTimer(pingTimer);
      if (socket == ws) socket = null;
      if (!closed) {
        log.warn("{}", why);
        listener.disconnected();
        retry();
      }
    }
  }

  private void retry() {
    if (closed) return;
    long delay = settings.backoffMillis(failures, ThreadLocalRandom.current().nextDouble());
    failures++;
    vertx.setTimer(Math.max(1, delay), t -> connect());
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
    return probe(vertx, uri, identity, agentVersion, outbound, timeout, null);
  }

  /** {@link #probe(Vertx, URI, SiteIdentity, String, OutboundRecorder, Duration)} through {@code proxy} (null: direct). */
  public static io.vertx.core.Future<Probe> probe(Vertx vertx, URI uri, SiteIdentity identity, String agentVersion,
                                                    OutboundRecorder outbound, Duration timeout, ProxySettings proxy) {
    io.vertx.core.Promise<Probe> result = io.vertx.core.Promise.promise();
    ProxySettings via = proxy != null && proxy.appliesTo(uri) ? proxy : null;
    WebSocketClient client = vertx.createWebSocketClient(clientOptions(identity, timeout, via));
    WebSocket[] open = new WebSocket[1];
    long timer = vertx.setTimer(timeout.toMillis(), t -> result.tryComplete(new Probe(false, null,
        "no answer from the coordinator within " + timeout.toSeconds() + " s")));
    client.connect(connectOptions(uri, timeout)).onSuccess(ws -> {
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
    }).onFailure(e -> {
      String proxyProblem = via == null ? null : ProxyDiagnosis.explain(e, via);
      result.tryComplete(new Probe(false, null, proxyProblem != null ? proxyProblem : causes(e)));
    });
    return result.future().andThen(r -> {
      vertx.cancelTimer(timer);
      if (open[0] != null) open[0].close();
      client.close();
    });
  }

  /** Whether the attempt failed for want of an answer (TCP connect, TLS handshake or upgrade timed out). */
  static boolean timedOut(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String type = t.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
      String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
      if (type.contains("timeout") || m.contains("timed out") || m.contains("timeout")) return true;
    }
    return false;
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
