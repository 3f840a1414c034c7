package org.dure.coordinator;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.nio.file.Files;
import org.dure.coordinator.api.StudyApi;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.state.ClusterState;
import org.dure.coordinator.study.StudyDirectory;
import org.dure.coordinator.study.StudyStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running coordinator: the researchers' HTTP API and the site agents' WebSocket channel on one port,
 * its state in an embedded Hazelcast member. Everything the coordinator decides runs on one Vert.x
 * event loop; blocking work (disk, state reads) runs on worker threads.
 */
public final class Coordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Coordinator.class);
  public static final String VERSION = "0.1.0";
  /** Largest WebSocket message accepted from an agent (a model of 64M float parameters). */
  static final int MAX_MESSAGE = 256 * 1024 * 1024 + 64;

  private final Vertx vertx;
  private final ClusterState state;
  private final HttpServer server;
  private final SiteRegistry sites;

  private Coordinator(Vertx vertx, ClusterState state, HttpServer server, SiteRegistry sites) {
    this.vertx = vertx;
    this.state = state;
    this.server = server;
    this.sites = sites;
  }

  /** Starts a coordinator and completes once it listens. */
  public static Future<Coordinator> start(CoordinatorConfig config) {
    Vertx vertx = Vertx.vertx();
    Promise<Coordinator> done = Promise.promise();
    vertx.executeBlocking(() -> {
      Files.createDirectories(config.dataDir());
      return ClusterState.start(config.clusterName(), config.host(), config.hazelcastPort(), config.clusterMembers(), config.dataDir());
    }).compose(state -> {
      Promise<Coordinator> started = Promise.promise();
      vertx.runOnContext(v -> {
        try {
          SiteRegistry sites = new SiteRegistry(state.sites(), VERSION);
          StudyDirectory studies = new StudyDirectory(vertx, sites, new StudyStore(state), config.dataDir());
          studies.restore();
          HttpServerOptions opts = new HttpServerOptions().setHost(config.host()).setPort(config.port())
              .setMaxWebSocketMessageSize(MAX_MESSAGE).setMaxWebSocketFrameSize(1 << 20)
              .setCompressionSupported(true);
          HttpServer server = vertx.createHttpServer(opts)
              .webSocketHandshakeHandler(h -> {
                if (SiteRegistry.PATH.equals(h.path())) h.accept(); else h.reject(404);
              })
              .webSocketHandler(sites::accept)
              .requestHandler(new StudyApi(vertx, studies, sites).router());
          server.listen().map(s -> new Coordinator(vertx, state, s, sites)).onComplete(started);
        } catch (RuntimeException e) {
          started.fail(e);
        }
      });
      return started.future().onFailure(e -> state.close());
    }).onSuccess(c -> log.info("coordinator listening on http://{}:{} (API /api, agents {}), data in {}",
            config.host(), c.port(), SiteRegistry.PATH, config.dataDir().toAbsolutePath()))
        .onFailure(e -> vertx.close())
        .onComplete(done);
    return done.future();
  }

  public int port() {
    return server.actualPort();
  }

  /** Stops listening, closes agent connections, and leaves the cluster. */
  @Override public void close() {
    try {
      vertx.runOnContext(v -> sites.closeAll());
      server.close().toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      log.debug("while closing the server: {}", e.toString());
    }
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      log.debug("while closing Vert.x: {}", e.toString());
    }
    state.close();
  }
}
