package org.dure.agent.connection;

import java.time.Duration;
import java.util.Objects;

/**
 * How the agent keeps its connection to the coordinator alive and how it gets it back ({@code "connection"} in the
 * agent configuration; see docs/protocol.md, "Liveness and reconnection").
 *
 * @param pingInterval how often the agent sends a WebSocket ping to the coordinator (default 15 s)
 * @param pongTimeout how long after a ping the agent waits for anything from the coordinator (its pong, or any other
 *     frame) before it declares the connection dead, closes it and reconnects (default 20 s): this is what finds a
 *     half-open connection (a NAT or firewall that dropped it without a reset), which TCP alone may not notice for hours
 * @param minBackoff the first wait before reconnecting (default 0.5 s); it doubles after each failed attempt
 * @param maxBackoff the longest wait between attempts (default 30 s); each wait is drawn between half of it and all
 *     of it (jitter), so a hundred sites do not reconnect in the same instant after an outage
 * @param connectTimeout how long one attempt (TCP connect, proxy CONNECT, TLS handshake, WebSocket upgrade) may take
 *     (default 10 s)
 * @param proxy the hospital's outbound HTTP proxy, or null for a direct connection
 */
public record LinkSettings(Duration pingInterval, Duration pongTimeout, Duration minBackoff, Duration maxBackoff,
                           Duration connectTimeout, ProxySettings proxy) {
  public static final Duration DEFAULT_PING = Duration.ofSeconds(15), DEFAULT_PONG_TIMEOUT = Duration.ofSeconds(20),
      DEFAULT_MIN_BACKOFF = Duration.ofMillis(500), DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30),
      DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  public LinkSettings {
    positive(pingInterval, "connection.pingSeconds");
    positive(pongTimeout, "connection.pongTimeoutSeconds");
    positive(minBackoff, "connection.minBackoffSeconds");
    positive(maxBackoff, "connection.maxBackoffSeconds");
    positive(connectTimeout, "connection.connectTimeoutSeconds");
    if (pingInterval.toMillis() < 10 || pongTimeout.toMillis() < 10 || minBackoff.toMillis() < 10
        || connectTimeout.toMillis() < 100)
      throw new IllegalArgumentException("connection settings too small: pings and pong deadlines are at least 0.01 s,"
          + " the connect timeout at least 0.1 s");
    if (maxBackoff.compareTo(minBackoff) < 0)
      throw new IllegalArgumentException("connection.maxBackoffSeconds (" + maxBackoff.toMillis() / 1000.0
          + ") is below connection.minBackoffSeconds (" + minBackoff.toMillis() / 1000.0 + ")");
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be more than 0, was " + d.toMillis() / 1000.0);
  }

  /** The defaults, direct (no proxy). */
  public static LinkSettings defaults() {
    return new LinkSettings(DEFAULT_PING, DEFAULT_PONG_TIMEOUT, DEFAULT_MIN_BACKOFF, DEFAULT_MAX_BACKOFF,
        DEFAULT_CONNECT_TIMEOUT, null);
  }

  public LinkSettings withProxy(ProxySettings p) {
    return new LinkSettings(pingInterval, pongTimeout, minBackoff, maxBackoff, connectTimeout, p);
  }

  public LinkSettings withLiveness(Duration ping, Duration pong) {
    return new LinkSettings(ping, pong, minBackoff, maxBackoff, connectTimeout, proxy);
  }

  public LinkSettings withBackoff(Duration min, Duration max) {
    return new LinkSettings(pingInterval, pongTimeout, min, max, connectTimeout, proxy);
  }

  public LinkSettings withConnectTimeout(Duration t) {
    return new LinkSettings(pingInterval, pongTimeout, minBackoff, maxBackoff, t, proxy);
  }

  /**
   * The wait before the next attempt after {@code failures} failed ones: {@code minBackoff} doubled per failure, at most
   * {@code maxBackoff}, then drawn in [half, all] of that by {@code random} in [0, 1).
   */
  public long backoffMillis(int failures, double random) {
    long min = minBackoff.toMillis(), max = maxBackoff.toMillis();
    long base = Math.min(max, min << Math.min(Math.max(failures, 0), 20));
    if (base < 0) base = max;
    return base / 2 + (long) (random * (base - base / 2 + 1));
  }

  /** For the startup log: {@code ping every 15 s, dead after 20 s without an answer, ...}. */
  public String describe() {
    return "ping every " + secs(pingInterval) + ", dead after " + secs(pongTimeout) + " without an answer, reconnect after "
        + secs(minBackoff) + " doubling to " + secs(maxBackoff) + ", " + (proxy == null ? "direct" : "through " + proxy);
  }

  private static String secs(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
  }
}
