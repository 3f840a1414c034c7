package org.dure.coordinator;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.dure.coordinator.api.Readiness;
import org.dure.coordinator.metrics.CoordinatorMetrics;
import org.dure.coordinator.metrics.TlsFailures;
import org.dure.coordinator.net.ApiConnectionGuard;
import org.dure.coordinator.api.StudyApi;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.security.CoordinatorPki;
import org.dure.crypto.SecureFiles;
import org.dure.coordinator.security.Credentials;
import org.dure.coordinator.security.Refusals;
import org.dure.coordinator.security.SiteTrust;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.state.ClusterState;
import org.dure.coordinator.study.StudyDirectory;
import org.dure.coordinator.study.StudyStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running coordinator: the API over HTTPS on one port, the site agents' WebSocket channel over mutual TLS
 * on another, its state in an embedded Hazelcast member. Everything the coordinator decides runs on one
 * Vert.x event loop; blocking work (disk, state reads) runs on worker threads. The CRL and the site register
 * are re-read every {@value #RELOAD_MS} ms when their files change; a revoked site's live connection is
 * closed at once.
 */
public final class Coordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Coordinator.class);
  public static final String VERSION = "0.1.0";
  /** Largest WebSocket message accepted from an agent (a model of 64M float parameters). */
  static final int MAX_MESSAGE = NetworkLimits.MAX_MODEL_FRAME;
  static final long RELOAD_MS = 1000;
  static final Set<String> TLS_PROTOCOLS = Set.of("TLSv1.3");

  private final Vertx vertx;
  private final ClusterState state;
  private final HttpServer api;
  private final HttpServer agents;
  private final SiteRegistry sites;
  private final SiteTrust trust;
  private final ParticipationLedger ledger;
  private final CoordinatorMetrics metrics;
  private final HttpServer metricsServer;

  private Coordinator(Vertx vertx, ClusterState state, HttpServer api, HttpServer agents, SiteRegistry sites, SiteTrust trust,
                      ParticipationLedger ledger, CoordinatorMetrics metrics, HttpServer metricsServer) {
    this.metrics = metrics;
    this.metricsServer = metricsServer;
    this.ledger = ledger;
    this.vertx = vertx;
    this.state = state;
    this.api = api;
    this.agents = agents;
    this.sites = sites;
    this.trust = trust;
  }

  /** What start-up reads from disk and the cluster before the listeners open. */
  private record Loaded(SiteTrust trust, Credentials credentials, ParticipationLedger ledger, ClusterState state) {}

  /** Starts a coordinator and completes once both listeners are up. */
  public static Future<Coordinator> start(CoordinatorConfig config) {
    if (config.clustered()) return Future.failedFuture(new IllegalArgumentException(CoordinatorConfig.CLUSTERING_UNSUPPORTED));
    Vertx vertx = Vertx.vertx();
    Promise<Coordinator> done = Promise.promise();
    Path pki = config.pkiDir();
    vertx.executeBlocking(() -> {
      CoordinatorPki.requireComplete(pki);
      if (SecureFiles.ensureOwnerOnlyDirectory(config.dataDir()))
        log.warn("the data directory {} was readable by others; it is owner-only now", config.dataDir().toAbsolutePath());
      ParticipationLedger ledger = ParticipationLedger.open(config.dataDir().resolve("ledger"),
          pki.resolve(CoordinatorPki.TLS_KEY), pki.resolve(CoordinatorPki.TLS_CERT));
      try {
        SiteTrust siteTrust = SiteTrust.load(pki, Clock.systemUTC());
        ledger.syncRegister(siteTrust.sites());
        return new Loaded(siteTrust, Credentials.load(pki.resolve(CoordinatorPki.CREDENTIALS)), ledger,
            ClusterState.start(config.clusterHost(), config.hazelcastPort(), config.clusterMembers(), config.dataDir()));
      } catch (Exception | Error e) {
        ledger.close();
        throw e;
      }
    }).compose(loaded -> {
      SiteTrust trust = loaded.trust();
      Credentials credentials = loaded.credentials();
      ClusterState state = loaded.state();
      ParticipationLedger ledger = loaded.ledger();
      Promise<Coordinator> started = Promise.promise();
      vertx.runOnContext(v -> {
        try {
          NetworkLimits limits = config.limits();
          CoordinatorMetrics metrics = CoordinatorMetrics.prometheus(VERSION);
          SiteRegistry sites = new SiteRegistry(vertx, state.sites(), VERSION, trust, limits);
          sites.metrics(metrics);
          trust.onRefusal(reason -> metrics.siteRefused(reason.name()));
          ledger.metrics(metrics);
          StudyStore store = new StudyStore(state);
          store.observe(metrics.studyObserver());
          StudyDirectory studies = new StudyDirectory(vertx, sites, store, config.dataDir(), ledger);
          studies.restore();
          metrics.studies(studies::countByStatus);
          metrics.sites(() -> trust.sites().sites().stream().filter(s -> s.active()).map(s -> s.siteId()).sorted().toList(),
              sites::onlineSites);
          Readiness readiness = new Readiness(vertx, state::running, ledger::writable, () -> {
            try {
              trust.ca().checkValidity();
              return true;
            } catch (java.security.cert.CertificateException e) {
              log.warn("the consortium CA certificate is not valid now: {}", e.getMessage());
              return false;
            }
          }, config.dataDir());
          sites.modelFrameBound(studies::largestModelFrame);
          PemKeyCertOptions serverCert = new PemKeyCertOptions()
              .setCertPath(pki.resolve(CoordinatorPki.TLS_CERT).toString())
              .setKeyPath(pki.resolve(CoordinatorPki.TLS_KEY).toString());
          HttpServerOptions agentOpts = new HttpServerOptions().setHost(config.host()).setPort(config.agentPort())
              .setSsl(true).setKeyCertOptions(serverCert).setEnabledSecureTransportProtocols(TLS_PROTOCOLS)
              .setClientAuth(ClientAuth.REQUIRED).setTrustOptions(TrustOptions.wrap(trust.trustManager()))
              .setSslHandshakeTimeout(limits.tlsHandshakeSeconds()).setSslHandshakeTimeoutUnit(TimeUnit.SECONDS)
              .setMaxHeaderSize(limits.apiMaxHeaderBytes())
              // Messages are assembled by SiteRegistry under per-connection limits (small before hello).
              .setMaxWebSocketMessageSize(MAX_MESSAGE).setMaxWebSocketFrameSize(1 << 20);
          HttpServer agents = vertx.createHttpServer(agentOpts)
              .webSocketHandshakeHandler(h -> {
                if (SiteRegistry.PATH.equals(h.path())) h.accept(); else h.reject(404);
              })
              .exceptionHandler(e -> metrics.tlsHandshakeFailed(CoordinatorMetrics.AGENTS, TlsFailures.reason(e)))
              .webSocketHandler(sites::accept)
              .requestHandler(req -> req.response().setStatusCode(404).end("the agent port speaks WebSocket on " + SiteRegistry.PATH));
          HttpServerOptions apiOpts = new HttpServerOptions().setHost(config.host()).setPort(config.apiPort())
              .setSsl(true).setKeyCertOptions(serverCert).setEnabledSecureTransportProtocols(TLS_PROTOCOLS)
              .setCompressionSupported(true)
              .setSslHandshakeTimeout(limits.tlsHandshakeSeconds()).setSslHandshakeTimeoutUnit(TimeUnit.SECONDS)
              .setIdleTimeout(limits.apiIdleSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS)
              .setMaxHeaderSize(limits.apiMaxHeaderBytes());
          ApiConnectionGuard guard = new ApiConnectionGuard(vertx, limits);
          HttpServer api = vertx.createHttpServer(apiOpts)
              .exceptionHandler(e -> metrics.tlsHandshakeFailed(CoordinatorMetrics.API, TlsFailures.reason(e)))
              .connectionHandler(guard::connected)
              .requestHandler(guard.guard(new StudyApi(vertx, studies, sites, credentials, trust, ledger, metrics, readiness).router()));
          HttpServer metricsServer = config.metricsListener() == null ? null
              : vertx.createHttpServer(new HttpServerOptions().setHost(config.metricsListener().host())
                  .setPort(config.metricsListener().port()).setIdleTimeout(limits.apiIdleSeconds())
                  .setIdleTimeoutUnit(TimeUnit.SECONDS).setMaxHeaderSize(limits.apiMaxHeaderBytes()))
                  .requestHandler(StudyApi.metricsRouter(vertx, metrics, readiness));
          if (metricsServer != null && !config.metricsListener().loopback()) {
            log.warn("the metrics listener binds to {}, not loopback: anyone who reaches {}:{} reads the metrics (plain HTTP,"
                + " no token); GET /api/metrics on the API port needs an administrator's or auditor's token",
                config.metricsListener().host(), config.metricsListener().host(), config.metricsListener().port());
          }
          agents.listen().compose(a -> api.listen())
              .compose(a -> metricsServer == null ? Future.succeededFuture(a) : metricsServer.listen())
              .map(a -> new Coordinator(vertx, state, api, agents, sites, trust, ledger, metrics, metricsServer))
              .onFailure(e -> metrics.close())
              .onSuccess(c -> log.info("Hazelcast member on {} (member protocol only, no client endpoint)", state.memberAddress()))
              .onSuccess(c -> vertx.setPeriodic(RELOAD_MS, t -> vertx.executeBlocking(trust::reloadIfChanged, false)
                  .onSuccess(changed -> {
                    if (changed) {
                      sites.recheck();
                      vertx.executeBlocking(() -> ledger.syncRegister(trust.sites()), false);
                    }
                  })))
              .onComplete(started);
        } catch (RuntimeException e) {
          started.fail(e);
        }
      });
      return started.future().onFailure(e -> {
        state.close();
        ledger.close();
      });
    }).onSuccess(c -> log.info("coordinator up: API https://{}:{}/api, agents wss://{}:{}{} (mutual TLS), data in {}{}",
            config.host(), c.apiPort(), config.host(), c.agentPort(), SiteRegistry.PATH, config.dataDir().toAbsolutePath(),
            c.metricsPort() > 0 ? ", metrics http://" + config.metricsListener().host() + ":" + c.metricsPort() + "/metrics" : ""))
        .onFailure(e -> vertx.close())
        .onComplete(done);
    return done.future();
  }

  public int apiPort() {
    return api.actualPort();
  }

  public int agentPort() {
    return agents.actualPort();
  }

  /** The separate metrics listener's port, or -1 when it is off. */
  public int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.actualPort();
  }

  /** The coordinator's metrics (what {@code GET /api/metrics} serves). */
  public CoordinatorMetrics metrics() {
    return metrics;
  }

  /** The embedded cluster state (for tests of readiness). */
  ClusterState clusterState() {
    return state;
  }

  /** The participation ledger (for tests of readiness). */
  ParticipationLedger ledger() {
    return ledger;
  }

  /** Where the embedded Hazelcast member listens (loopback, member protocol only). */
  public java.net.InetSocketAddress hazelcastMemberAddress() {
    return state.memberAddress();
  }

  /** Sees every message an authenticated site sends, as received (for audit tooling and tests). */
  public void observeInbound(SiteRegistry.InboundObserver observer) {
    sites.observeInbound(observer);
  }

  /** Recent refused site connections (for tests and the admin API). */
  public Refusals refusals() {
    return trust.refusals();
  }

  /** Stops listening, closes agent connections, and leaves the cluster. */
  @Override public void close() {
    try {
      vertx.runOnContext(v -> sites.closeAll());
      agents.close().toCompletionStage().toCompletableFuture().get();
      api.close().toCompletionStage().toCompletableFuture().get();
      if (metricsServer != null) metricsServer.close().toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      log.debug("while closing the servers: {}", e.toString());
    }
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      log.debug("while closing Vert.x: {}", e.toString());
    }
    state.close();
    ledger.close();
    metrics.close();
  }
}
