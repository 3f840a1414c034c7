package org.dure.coordinator;

/**
 * Timeouts and budgets that keep one client from starving the listeners (issue 13, findings 6 and 8).
 *
 * <p>API port (HTTPS):
 * @param tlsHandshakeSeconds a TLS handshake must complete within this (both ports)
 * @param apiHeaderSeconds a connection must deliver a complete request line and headers within this after the
 *     handshake, and again within this after each response (a slow-header client is closed)
 * @param apiIdleSeconds a connection with no traffic either way for this long is closed
 * @param apiMaxHeaderBytes largest request header block accepted (431 above it)
 * @param apiConnectionsPerClient simultaneous API connections from one client IP address; more are closed at once
 *
 * <p>Agent port (mutual-TLS WebSocket):
 * @param agentHelloSeconds an agent must send {@code hello} within this after the WebSocket opens
 * @param agentMaxMessageBeforeHello largest message (bytes) accepted before {@code hello} is accepted
 * @param agentMaxTextMessage largest JSON control message after {@code hello}
 * @param agentMaxBinaryMessage largest binary model frame after {@code hello}
 * @param agentConnectionsPerSite simultaneous connections presenting one site's certificate; a new one closes the oldest
 * @param agentBytesPerSecond sustained inbound rate one connection may use; bursts up to one largest binary message
 *     plus one largest text message are allowed on top, a connection beyond that is closed
 */
public record NetworkLimits(int tlsHandshakeSeconds, int apiHeaderSeconds, int apiIdleSeconds, int apiMaxHeaderBytes,
                            int apiConnectionsPerClient, int agentHelloSeconds, int agentMaxMessageBeforeHello,
                            int agentMaxTextMessage, int agentMaxBinaryMessage, int agentConnectionsPerSite,
                            long agentBytesPerSecond) {
  /** Largest binary model frame: 48-byte header, 64M float32 parameters and a signature (the agents' own cap). */
  public static final int MAX_MODEL_FRAME = 256 * 1024 * 1024 + 64;
  public static final NetworkLimits DEFAULTS = new NetworkLimits(10, 10, 120, 16 * 1024, 64, 10, 64 * 1024,
      16 * 1024 * 1024, MAX_MODEL_FRAME, 2, 32L * 1024 * 1024);

  public NetworkLimits {
    positive(tlsHandshakeSeconds, "tlsHandshakeSeconds");
    positive(apiHeaderSeconds, "apiHeaderSeconds");
    positive(apiIdleSeconds, "apiIdleSeconds");
    positive(apiMaxHeaderBytes, "apiMaxHeaderBytes");
    positive(apiConnectionsPerClient, "apiConnectionsPerClient");
    positive(agentHelloSeconds, "agentHelloSeconds");
    positive(agentMaxMessageBeforeHello, "agentMaxMessageBeforeHello");
    positive(agentMaxTextMessage, "agentMaxTextMessage");
    positive(agentMaxBinaryMessage, "agentMaxBinaryMessage");
    positive(agentConnectionsPerSite, "agentConnectionsPerSite");
    positive(agentBytesPerSecond, "agentBytesPerSecond");
    if (agentMaxBinaryMessage > MAX_MODEL_FRAME)
      throw new IllegalArgumentException("agentMaxBinaryMessage must be at most " + MAX_MODEL_FRAME);
  }

  private static void positive(long v, String name) {
    if (v <= 0) throw new IllegalArgumentException(name + " must be positive, was " + v);
  }

  public NetworkLimits withApi(int headerSeconds, int idleSeconds, int connectionsPerClient) {
    return new NetworkLimits(tlsHandshakeSeconds, headerSeconds, idleSeconds, apiMaxHeaderBytes, connectionsPerClient,
        agentHelloSeconds, agentMaxMessageBeforeHello, agentMaxTextMessage, agentMaxBinaryMessage, agentConnectionsPerSite,
        agentBytesPerSecond);
  }

  public NetworkLimits withAgents(int helloSeconds, int connectionsPerSite, long bytesPerSecond) {
    return new NetworkLimits(tlsHandshakeSeconds, apiHeaderSeconds, apiIdleSeconds, apiMaxHeaderBytes, apiConnectionsPerClient,
        helloSeconds, agentMaxMessageBeforeHello, agentMaxTextMessage, agentMaxBinaryMessage, connectionsPerSite,
        bytesPerSecond);
  }

  public NetworkLimits withTlsHandshakeSeconds(int seconds) {
    return new NetworkLimits(seconds, apiHeaderSeconds, apiIdleSeconds, apiMaxHeaderBytes, apiConnectionsPerClient,
        agentHelloSeconds, agentMaxMessageBeforeHello, agentMaxTextMessage, agentMaxBinaryMessage, agentConnectionsPerSite,
        agentBytesPerSecond);
  }
}
