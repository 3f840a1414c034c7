package org.dure.coordinator.sites;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.time.Instant;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.WireJson;

/** One site agent's live WebSocket connection. */
public final class SiteSession {
  private final String siteId;
  private final ServerWebSocket socket;
  private final Instant connectedAt = Instant.now();
  private volatile long bytesSent, bytesReceived;

  SiteSession(String siteId, ServerWebSocket socket) {
    this.siteId = siteId;
    this.socket = socket;
  }

  public String siteId() {
    return siteId;
  }

  public Instant connectedAt() {
    return connectedAt;
  }

  public String remoteAddress() {
    return String.valueOf(socket.remoteAddress());
  }

  public void send(CoordinatorMessage message) {
    String json = WireJson.write(message);
    bytesSent += json.length();
    socket.writeTextMessage(json);
  }

  public void sendBinary(byte[] frame) {
    bytesSent += frame.length;
    socket.writeBinaryMessage(Buffer.buffer(frame));
  }

  void received(long bytes) {
    bytesReceived += bytes;
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
