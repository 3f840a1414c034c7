package org.dure.coordinator.sites;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.WireJson;

/** One site agent's live WebSocket connection. */
public final class SiteSession {
  private final String siteId;
  private final X509Certificate certificate;
  private final ServerWebSocket socket;
  private final Instant connectedAt = Instant.now();
  private volatile long bytesSent, bytesReceived;
  private volatile long ledgerTreeSize;

  private final org.dure.coordinator.metrics.CoordinatorMetrics metrics;

  SiteSession(String siteId, X509Certificate certificate, ServerWebSocket socket,
              org.dure.coordinator.metrics.CoordinatorMetrics metrics) {
    this.metrics = metrics;
    this.siteId = siteId;
    this.certificate = certificate;
    this.socket = socket;
  }

  public String siteId() {
    return siteId;
  }

  /** The certificate the site presented on this connection: its identity and its signing key. */
  public X509Certificate certificate() {
    return certificate;
  }

  public PublicKey publicKey() {
    return certificate.getPublicKey();
  }

  /** Size of the last participation-ledger tree head this site has accepted (0 = none known). */
  public long ledgerTreeSize() {
    return ledgerTreeSize;
  }

  public void ledgerTreeSize(long size) {
    this.ledgerTreeSize = size;
  }

  public Instant connectedAt() {
    return connectedAt;
  }

  public String remoteAddress() {
    return String.valueOf(socket.remoteAddress());
  }

  public void send(CoordinatorMessage message) {
    sendJson(WireJson.write(message));
  }

  /**
   * Sends a message already written with {@code WireJson.write}: a message broadcast to every site of a round
   * (its roster, its peers' keys) is written once, not once per site.
   */
  public void sendJson(String json) {
    bytesSent += json.length();
    metrics.sent(org.dure.coordinator.metrics.CoordinatorMetrics.AGENTS, json.length());
    socket.writeTextMessage(json);
  }

  public void sendBinary(byte[] frame) {
    bytesSent += frame.length;
    metrics.sent(org.dure.coordinator.metrics.CoordinatorMetrics.AGENTS, frame.length);
    socket.writeBinaryMessage(Buffer.buffer(frame));
  }

  void received(long bytes) {
    bytesReceived += bytes;
    metrics.received(org.dure.coordinator.metrics.CoordinatorMetrics.AGENTS, bytes);
  }

  public long bytesSent() {
    return bytesSent;
  }

  public long bytesReceived() {
    return bytesReceived;
  }

  void close(short code, String reason) {
    if (!socket.isClosed()) socket.close(code, reason);
  }
}
