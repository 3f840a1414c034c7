package org.dure.coordinator.sites;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.dure.coordinator.NetworkLimits;

/**
 * Assembles one agent connection's WebSocket frames into messages under that connection's limits, instead of
 * Vert.x's server-wide message size: until {@code hello} is accepted a message may be at most
 * {@link NetworkLimits#agentMaxMessageBeforeHello()} bytes, afterwards a text message at most
 * {@link NetworkLimits#agentMaxTextMessage()} and a binary model frame at most the largest model frame of a study
 * that is not over (never above {@link NetworkLimits#agentMaxBinaryMessage()}, never below {@value #MIN_BINARY}). A token bucket bounds the inbound rate: a burst of one largest
 * binary plus one largest text message, refilled at {@link NetworkLimits#agentBytesPerSecond()}. A message over
 * its cap is dropped as soon as its size exceeds it (never buffered whole) and the connection is closed (1009);
 * a connection over its rate is closed (1008). Runs on the connection's event loop.
 */
final class InboundMessages {
  /** Why a connection is closed: a WebSocket close code and a reason for the agent's log. */
  record Violation(short code, String text) {}

  static final int MIN_BINARY = 64 * 1024;
  private final ServerWebSocket ws;
  private final NetworkLimits limits;
  private final BooleanSupplier helloAccepted;
  private final LongSupplier modelFrameBound;
  private long messageCap;
  private final long burst;
  private Handler<String> text = t -> {};
  private Handler<Buffer> binary = b -> {};
  private Handler<Violation> violation = v -> {};
  private Buffer assembling;
  private boolean assemblingText;
  private boolean closed;
  private double tokens;
  private long refilledAt = System.nanoTime();

  InboundMessages(ServerWebSocket ws, NetworkLimits limits, BooleanSupplier helloAccepted, LongSupplier modelFrameBound) {
    this.ws = ws;
    this.modelFrameBound = modelFrameBound;
    this.limits = limits;
    this.helloAccepted = helloAccepted;
    this.burst = (long) limits.agentMaxBinaryMessage() + limits.agentMaxTextMessage();
    this.tokens = burst;
  }

  void onText(Handler<String> h) {
    this.text = h;
  }

  void onBinary(Handler<Buffer> h) {
    this.binary = h;
  }

  void onViolation(Handler<Violation> h) {
    this.violation = h;
  }

  /** The connection's frame handler (Vert.x answers pings and close frames itself). */
  void frame(WebSocketFrame f) {
    if (closed || f.isClose() || f.isPing() || f.type() == io.vertx.core.http.WebSocketFrameType.PONG) return;
    Buffer data = f.binaryData();
    if (!spend(data.length())) return;
    if (!f.isContinuation()) {
      assembling = Buffer.buffer();
      assemblingText = f.isText();
      messageCap = cap();
    } else if (assembling == null) {
      fail((short) 1002, "a continuation frame without a message to continue");
      return;
    }
    long size = (long) assembling.length() + data.length();
    long cap = messageCap;
    if (size > cap) {
      fail((short) 1009, (helloAccepted.getAsBoolean() ? "" : "before hello, ") + (assemblingText ? "text" : "binary")
          + " messages may be at most " + cap + " bytes; this one exceeds it");
      return;
    }
    assembling.appendBuffer(data);
    if (!f.isFinal()) return;
    Buffer message = assembling;
    assembling = null;
    if (assemblingText) text.handle(message.toString(StandardCharsets.UTF_8));
    else binary.handle(message);
  }

  private long cap() {
    if (!helloAccepted.getAsBoolean()) return limits.agentMaxMessageBeforeHello();
    if (assemblingText) return limits.agentMaxTextMessage();
    // The largest model frame of a study that is not over, never above the configured cap; a small floor so a
    // frame arriving just after its study ended is still read and refused with a reason.
    return Math.min(limits.agentMaxBinaryMessage(), Math.max(MIN_BINARY, modelFrameBound.getAsLong()));
  }

  private boolean spend(int bytes) {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - refilledAt) / 1e9 * limits.agentBytesPerSecond());
    refilledAt = now;
    tokens -= bytes;
    if (tokens >= 0) return true;
    fail((short) 1008, "inbound rate above " + limits.agentBytesPerSecond() + " bytes/s beyond a burst of " + burst + " bytes");
    return false;
  }

  private void fail(short code, String why) {
    closed = true;
    assembling = null;
    violation.handle(new Violation(code, why));
  }

  boolean isClosed() {
    return closed || ws.isClosed();
  }
}
