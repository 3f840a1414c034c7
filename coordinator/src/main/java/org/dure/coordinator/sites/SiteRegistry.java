package org.dure.coordinator.sites;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hazelcast.map.IMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.dure.coordinator.NetworkLimits;
import org.dure.coordinator.metrics.CoordinatorMetrics;
import org.dure.protocol.logging.LogFields;
import org.dure.coordinator.security.SiteTrust;
import org.dure.crypto.pki.SiteCertificateException;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.WireJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent channel: accepts site agents' outbound WebSocket connections over mutual TLS, identifies each
 * site by the certificate it presented (checked again here against the current CRL and site register, so a
 * resumed TLS session cannot outlive a revocation), reads its first {@code hello}, keeps one live session per
 * site (a reconnecting site replaces its stale session), and hands every later message to
 * {@link SiteEvents}. When the CRL or register changes, {@link #recheck} drops every session whose
 * certificate no longer passes. Site presence is mirrored into the cluster's site map. All methods run on
 * the coordinator's event loop.
 *
 * <p>Limits (issue 13, finding 6; {@link NetworkLimits}): messages are assembled by {@link InboundMessages} under a
 * small size cap until {@code hello} is accepted, a connection must say hello within a deadline, one site's
 * certificate may hold only a few connections at once, and each connection has an inbound byte-rate budget.
 */
public final class SiteRegistry {
  private static final Logger log = LoggerFactory.getLogger(SiteRegistry.class);
  public static final String PATH = "/agents";
  private final Map<String, SiteSession> sessions = new LinkedHashMap<>();
  private final IMap<String, String> siteMap;
  private final String version;
  private final SiteTrust trust;
  private final Vertx vertx;
  private final NetworkLimits limits;
  private final Map<String, Deque<Open>> open = new HashMap<>();
  private SiteEvents events;
  private LongSupplier modelFrameBound = () -> Long.MAX_VALUE;
  private volatile InboundObserver observer = (site, binary, payload) -> {};
  private CoordinatorMetrics metrics = CoordinatorMetrics.NONE;

  /** Sees every message an authenticated site sends, exactly as received (for audit tooling and tests). */
  @FunctionalInterface
  public interface InboundObserver {
    void received(String siteId, boolean binary, byte[] payload);
  }

  public SiteRegistry(Vertx vertx, IMap<String, String> siteMap, String version, SiteTrust trust, NetworkLimits limits) {
    this.vertx = vertx;
    this.limits = limits;
    this.siteMap = siteMap;
    this.version = version;
    this.trust = trust;
  }

  public void observeInbound(InboundObserver observer) {
    this.observer = observer;
  }

  /** The largest model frame the current studies permit (binary messages after hello are capped by it). */
  public void modelFrameBound(LongSupplier bound) {
    this.modelFrameBound = bound;
  }

  /** Where the channel's traffic, disconnections and (through {@link #metrics()}) secure rounds are counted. */
  public void metrics(CoordinatorMetrics metrics) {
    this.metrics = java.util.Objects.requireNonNull(metrics, "metrics");
  }

  public CoordinatorMetrics metrics() {
    return metrics;
  }

  /** The ids of the sites connected now (for the metrics; on the event loop). */
  public java.util.Set<String> onlineSites() {
    return java.util.Set.copyOf(sessions.keySet());
  }

  public void listener(SiteEvents events) {
    this.events = events;
  }

  public Collection<SiteSession> sessions() {
    return sessions.values();
  }

  /**
   * The ids of the sites the register lists as active (enrolled and not revoked), connected or not: the roster a
   * study can hope to hear from.
   */
  public java.util.Set<String> enrolled() {
    java.util.Set<String> ids = new java.util.TreeSet<>();
    if (trust != null) for (var s : trust.sites().sites()) if (s.active()) ids.add(s.siteId());
    return ids;
  }

  public Optional<SiteSession> session(String siteId) {
    return Optional.ofNullable(sessions.get(siteId));
  }

  /** Handles a new agent connection until it closes. */
  public void accept(ServerWebSocket ws) {
    String siteId;
    X509Certificate certificate;
    try {
      X509Certificate[] chain = peerChain(ws);
      siteId = trust.validate(chain, String.valueOf(ws.remoteAddress()));
      certificate = chain[0];
    } catch (SiteCertificateException e) {
      refuse(ws, e.getMessage());
      return;
    }
    SiteSession[] current = new SiteSession[1];
    String[] closeReason = {"closed"};
    admit(siteId, ws, current);
    long helloTimer = vertx.setTimer(limits.agentHelloSeconds() * 1000L, t -> {
      if (current[0] == null && !ws.isClosed()) refuse(ws, "no hello within " + limits.agentHelloSeconds() + " s");
    });
    InboundMessages inbound = new InboundMessages(ws, limits, () -> current[0] != null, () -> modelFrameBound.getAsLong());
    inbound.onText(text -> {
      try (var fields = LogFields.scope(null, null, siteId)) {
        text(ws, siteId, certificate, current, helloTimer, text);
      }
    });
    inbound.onBinary(buf -> {
      try (var fields = LogFields.scope(null, null, siteId)) {
        binary(ws, current, buf);
      }
    });
    inbound.onViolation(reason -> {
      log.warn("closing the connection of site {} from {}: {}", siteId, ws.remoteAddress(), reason.text());
      closeReason[0] = "limit_exceeded";
      if (!ws.isClosed()) {
        ws.writeTextMessage(WireJson.write(new CoordinatorMessage.Refused(reason.text())));
        ws.close(reason.code(), reason.text().length() > 120 ? reason.text().substring(0, 120) : reason.text());
      }
    });
    ws.frameHandler(inbound::frame);
    ws.closeHandler(v -> {
      vertx.cancelTimer(helloTimer);
      release(siteId, ws);
      SiteSession s = current[0];
      if (s != null && sessions.get(s.siteId()) == s) {
        sessions.remove(s.siteId());
        mirror(s, false);
        log.info("site {} disconnected", s.siteId());
        metrics.siteDisconnected(closeReason[0]);
        events.disconnected(s);
      }
    });
    ws.exceptionHandler(e -> log.debug("agent connection error: {}", e.toString()));
  }

  private void text(ServerWebSocket ws, String siteId, X509Certificate certificate, SiteSession[] current, long helloTimer,
                    String text) {
    AgentMessage msg;
    try {
      msg = WireJson.readAgent(text);
    } catch (IllegalArgumentException e) {
      refuse(ws, e.getMessage());
      return;
    }
    if (current[0] == null) {
      if (!(msg instanceof AgentMessage.Hello hello)) {
        refuse(ws, "the first message must be hello");
        return;
      }
      vertx.cancelTimer(helloTimer);
      SiteSession previous = sessions.remove(siteId);
      if (previous != null) {
        log.info("site {} reconnected from {}; closing its previous connection", siteId, ws.remoteAddress());
        previous.close((short) 4000, "replaced by a newer connection");
        metrics.siteDisconnected("replaced");
        events.disconnected(previous);
      }
      SiteSession s = new SiteSession(siteId, certificate, ws, metrics);
      s.ledgerTreeSize(hello.treeSize());
      current[0] = s;
      sessions.put(s.siteId(), s);
      s.send(new CoordinatorMessage.Welcome(s.siteId(), version));
      mirror(s, true);
      log.info("site {} connected from {} (agent {})", s.siteId(), ws.remoteAddress(), hello.agentVersion());
      events.connected(s);
      return;
    }
    current[0].received(text.length());
    observer.received(current[0].siteId(), false, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    if (msg instanceof AgentMessage.Hello) {
      current[0].send(new CoordinatorMessage.Refused("hello was already received on this connection"));
      return;
    }
    events.message(current[0], msg);
  }

  private void binary(ServerWebSocket ws, SiteSession[] current, io.vertx.core.buffer.Buffer buf) {
    SiteSession s = current[0];
    if (s == null) {
      refuse(ws, "send hello before any model frame");
      return;
    }
    s.received(buf.length());
    observer.received(s.siteId(), true, buf.getBytes());
    Frames.Frame frame;
    try {
      frame = Frames.decode(buf.getBytes());
    } catch (Frames.FrameException e) {
      log.warn("site {} sent an undecodable frame: {}", s.siteId(), e.getMessage());
      s.send(new CoordinatorMessage.Refused("undecodable model frame: " + e.getMessage()));
      return;
    }
    events.frame(s, frame);
  }

  /**
   * Counts the connection against its site's budget. Beyond {@link NetworkLimits#agentConnectionsPerSite()} the
   * oldest other connection of the site is closed, one that has not said hello first: a reconnecting agent
   * replaces its stale connection, and a flood of connections for one certificate keeps only the allowed number.
   */
  private void admit(String siteId, ServerWebSocket ws, SiteSession[] current) {
    Deque<Open> mine = open.computeIfAbsent(siteId, k -> new ArrayDeque<>());
    mine.addLast(new Open(ws, current));
    while (mine.size() > limits.agentConnectionsPerSite()) {
      Open victim = mine.stream().filter(o -> o.ws() != ws && o.session()[0] == null).findFirst()
          .orElseGet(() -> mine.stream().filter(o -> o.ws() != ws).findFirst().orElseThrow());
      mine.remove(victim);
      String why = "more than " + limits.agentConnectionsPerSite() + " connections for site " + siteId
          + "; closing the oldest";
      log.warn("{} (from {})", why, victim.ws().remoteAddress());
      if (!victim.ws().isClosed()) {
        victim.ws().writeTextMessage(WireJson.write(new CoordinatorMessage.Refused(why)));
        victim.ws().close((short) 1008, "too many connections for this site");
      }
    }
  }

  private void release(String siteId, ServerWebSocket ws) {
    Deque<Open> mine = open.get(siteId);
    if (mine == null) return;
    mine.removeIf(o -> o.ws() == ws);
    if (mine.isEmpty()) open.remove(siteId);
  }

  /** Open connections presenting this site's certificate, with or without hello (for tests and monitoring). */
  public int connectionsOf(String siteId) {
    Deque<Open> mine = open.get(siteId);
    return mine == null ? 0 : mine.size();
  }

  private record Open(ServerWebSocket ws, SiteSession[] session) {}

  private static X509Certificate[] peerChain(ServerWebSocket ws) throws SiteCertificateException {
    try {
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate c : ws.peerCertificates()) {
        if (c instanceof X509Certificate x) chain.add(x);
      }
      return chain.toArray(X509Certificate[]::new);
    } catch (SSLPeerUnverifiedException | RuntimeException e) {
      throw new SiteCertificateException(SiteCertificateException.Reason.NO_CERTIFICATE,
          "the connection carries no verified client certificate: " + e.getMessage());
    }
  }

  /**
   * Re-validates every live session against the current CRL and site register and closes those that fail
   * (a revoked site is cut off at once). Returns the site ids dropped.
   */
  public List<String> recheck() {
    List<String> dropped = new ArrayList<>();
    for (SiteSession s : List.copyOf(sessions.values())) {
      try {
        trust.validate(new X509Certificate[] {s.certificate()}, s.remoteAddress());
      } catch (SiteCertificateException e) {
        dropped.add(s.siteId());
        LogFields.security(log, org.slf4j.event.Level.WARN, "site.connection.dropped", null, s.siteId(),
            "dropping the live connection of site {}: {}", s.siteId(), e.getMessage());
        metrics.siteDisconnected("certificate_" + e.reason().name().toLowerCase(java.util.Locale.ROOT));
        s.send(new CoordinatorMessage.Refused(e.getMessage()));
        sessions.remove(s.siteId());
        s.close((short) 1008, e.reason().name());
        mirror(s, false);
        events.disconnected(s);
      }
    }
    return dropped;
  }

  private void refuse(ServerWebSocket ws, String reason) {
    LogFields.security(log, org.slf4j.event.Level.WARN, "site.connection.refused", null, null,
        "refusing agent connection from {}: {}", ws.remoteAddress(), reason);
    ws.writeTextMessage(WireJson.write(new CoordinatorMessage.Refused(reason)));
    ws.close((short) 1008, reason.length() > 120 ? reason.substring(0, 120) : reason);
  }

  private void mirror(SiteSession s, boolean online) {
    ObjectNode n = WireJson.mapper().createObjectNode();
    n.put("siteId", s.siteId()).put("online", online).put("remoteAddress", s.remoteAddress())
        .put(online ? "connectedAt" : "disconnectedAt", Instant.now().toString());
    siteMap.setAsync(s.siteId(), n.toString());
  }

  /** Closes every agent connection (coordinator shutdown). */
  public void closeAll() {
    sessions.values().forEach(s -> s.close((short) 1001, "coordinator shutting down"));
    sessions.clear();
  }
}
