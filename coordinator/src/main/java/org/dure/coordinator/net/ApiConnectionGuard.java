package org.dure.coordinator.net;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.dure.coordinator.NetworkLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps slow or numerous unauthenticated clients from holding the API port (issue 13, finding 8). Vert.x
 * bounds the TLS handshake ({@code sslHandshakeTimeout}), idle connections ({@code idleTimeout}) and header size
 * ({@code maxHeaderSize}), but has no deadline for a request's headers: a client that sends a request line one
 * byte at a time keeps the connection busy yet never idle. This guard adds
 * <ul>
 *   <li>a <b>header deadline</b>: after the handshake, and again after each response, a connection must deliver
 *       a complete request head within {@link NetworkLimits#apiHeaderSeconds()} or it is closed;</li>
 *   <li>a <b>per-client connection limit</b>: at most {@link NetworkLimits#apiConnectionsPerClient()} open
 *       connections per remote IP address; one beyond it is closed at once.</li>
 * </ul>
 * Runs on the coordinator's event loop (the API server's handlers), so it needs no locks.
 */
public final class ApiConnectionGuard {
  private static final Logger log = LoggerFactory.getLogger(ApiConnectionGuard.class);
  private final Vertx vertx;
  private final NetworkLimits limits;
  private final Map<String, Integer> perClient = new HashMap<>();
  private final Map<HttpConnection, Long> headerTimers = new IdentityHashMap<>();

  public ApiConnectionGuard(Vertx vertx, NetworkLimits limits) {
    this.vertx = vertx;
    this.limits = limits;
  }

  /** The API server's connection handler: counts the client, closes it over the limit, starts the header deadline. */
  public void connected(HttpConnection conn) {
    String client = conn.remoteAddress() == null ? "unknown" : conn.remoteAddress().hostAddress();
    int open = perClient.merge(client, 1, Integer::sum);
    conn.closeHandler(v -> {
      perClient.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
      cancel(conn);
    });
    if (open > limits.apiConnectionsPerClient()) {
      log.warn("closing an API connection from {}: {} connections open, at most {} per client", client, open - 1,
          limits.apiConnectionsPerClient());
      conn.close();
      return;
    }
    arm(conn);
  }

  /** Wraps the API's request handler: a complete request head stops the deadline; its response's end restarts it. */
  public Handler<HttpServerRequest> guard(Handler<HttpServerRequest> api) {
    return req -> {
      HttpConnection conn = req.connection();
      if (conn != null) {
        cancel(conn);
        req.response().endHandler(v -> arm(conn));
      }
      api.handle(req);
    };
  }

  private void arm(HttpConnection conn) {
    cancel(conn);
    long id = vertx.setTimer(limits.apiHeaderSeconds() * 1000L, t -> {
      headerTimers.remove(conn);
      log.info("closing an API connection from {}: no complete request head within {} s", conn.remoteAddress(),
          limits.apiHeaderSeconds());
      conn.close();
    });
    headerTimers.put(conn, id);
  }

  private void cancel(HttpConnection conn) {
    Long id = headerTimers.remove(conn);
    if (id != null) vertx.cancelTimer(id);
  }

  /** Open connections per client address (for tests). */
  public int openFrom(String address) {
    return perClient.getOrDefault(address, 0);
  }
}
