package org.dure.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The site agent's own Prometheus metrics, served only on loopback ({@code http://127.0.0.1:<port>/metrics}) and only
 * when the agent configuration asks for them ({@code "metrics": {"port": 9464}}; off by default):
 * <pre>
 * dure_site_agent_rounds_contributed_total{aggregation}   updates sent (a signed plain update or a masked input)
 * dure_site_agent_training_duration_seconds              local training per round (histogram)
 * dure_site_agent_epsilon_spent{study}                   ε spent on each study (differential privacy)
 * dure_site_agent_outbound_bytes_total{kind}             bytes that left the hospital (json, binary)
 * dure_site_agent_connected                              1 while connected to the coordinator
 * dure_site_agent_reconnects_total                       connections after the first
 * dure_site_agent_dead_connections_total                 connections given up because a ping went unanswered (half-open)
 * </pre>
 * plus JVM and process metrics. The {@code study} label is a study id this site took part in: bounded by the studies
 * its data officer approved. No label carries a patient, a token or a data value. The metrics never leave the host:
 * they are for the hospital's own monitoring, not the coordinator.
 */
public final class AgentMetrics implements AutoCloseable {
  public static final AgentMetrics NONE = new AgentMetrics(new CompositeMeterRegistry(), null);
  static final Duration[] TRAINING_BUCKETS = seconds(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600);
  private final MeterRegistry registry;
  private final PrometheusMeterRegistry prometheus;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<Runnable> beforeScrape = new ArrayList<>();
  private final AtomicInteger connected = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private HttpServer server;

  private AgentMetrics(MeterRegistry registry, PrometheusMeterRegistry prometheus) {
    this.registry = registry;
    this.prometheus = prometheus;
  }

  /** A Prometheus registry with the JVM and process metrics and {@code dure_build_info{component="site-agent"}}. */
  public static AgentMetrics prometheus(String version) {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AgentMetrics m = new AgentMetrics(r, r);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(r);
    m.closeables.add(gc);
    new JvmMemoryMetrics().bindTo(r);
    new JvmThreadMetrics().bindTo(r);
    new ClassLoaderMetrics().bindTo(r);
    new JvmInfoMetrics().bindTo(r);
    new ProcessorMetrics().bindTo(r);
    new UptimeMetrics().bindTo(r);
    new FileDescriptorMetrics().bindTo(r);
    Gauge.builder("dure.build.info", () -> 1).description("The running agent's version (always 1)")
        .tags("component", "site-agent", "version", version).register(r);
    Gauge.builder("dure.site.agent.connected", m.connected, AtomicInteger::get)
        .description("Whether the agent is connected to the coordinator (1) or not (0)").register(r);
    Counter.builder("dure.site.agent.reconnects").description("Connections to the coordinator after the first").register(r);
    Counter.builder("dure.site.agent.dead.connections")
        .description("Connections given up because the coordinator did not answer a ping in time (half-open)").register(r);
    return m;
  }

  public boolean enabled() {
    return prometheus != null;
  }

  /** {@code dure_site_agent_epsilon_spent{study}} from {@code spent} (study id to ε), read at each scrape. */
  public void epsilon(Supplier<Map<String, Double>> spent) {
    if (!enabled()) return;
    MultiGauge g = MultiGauge.builder("dure.site.agent.epsilon.spent")
        .description("Differential privacy: epsilon this site has spent on each study").register(registry);
    beforeScrape.add(() -> {
      List<MultiGauge.Row<?>> rows = new ArrayList<>();
      spent.get().forEach((study, eps) -> rows.add(MultiGauge.Row.of(Tags.of("study", study), eps)));
      g.register(rows, true);
    });
  }

  /** A model update left for the coordinator (one per round this site contributed to). */
  public void roundContributed(boolean secure) {
    Counter.builder("dure.site.agent.rounds.contributed").description("Rounds this site sent an update for")
        .tag("aggregation", secure ? "secure" : "plain").register(registry).increment();
  }

  public void trained(long nanos) {
    Timer.builder("dure.site.agent.training.duration").description("Local training time per round")
        .serviceLevelObjectives(TRAINING_BUCKETS).register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  public void outbound(boolean binary, long bytes) {
    Counter.builder("dure.site.agent.outbound").baseUnit(BaseUnits.BYTES)
        .description("Bytes sent to the coordinator (recorded in the outbound ledger first)")
        .tag("kind", binary ? "binary" : "json").register(registry).increment(bytes);
  }

  public void connected() {
    connected.set(1);
    if (connections.incrementAndGet() > 1) registry.counter("dure.site.agent.reconnects").increment();
  }

  public void disconnected() {
    connected.set(0);
  }

  /** The connection was declared dead: a ping went unanswered past its deadline. */
  public void deadConnection() {
    registry.counter("dure.site.agent.dead.connections").increment();
  }

  /** The Prometheus text exposition (format 0.0.4). */
  public String scrape() {
    beforeScrape.forEach(Runnable::run);
    return prometheus.scrape("text/plain; version=0.0.4; charset=utf-8");
  }

  /** Serves {@code GET /metrics} on 127.0.0.1:{@code port} (0 picks a free one); completes with the bound port. */
  public Future<Integer> serve(Vertx vertx, int port) {
    if (!enabled()) return Future.failedFuture(new IllegalStateException("metrics are not enabled"));
    server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port).setIdleTimeout(60)
        .setMaxHeaderSize(16 * 1024))
        .requestHandler(req -> {
          if ("/metrics".equals(req.path()) && req.method() == io.vertx.core.http.HttpMethod.GET) {
            vertx.executeBlocking(this::scrape, false).onComplete(ar -> {
              if (ar.succeeded()) req.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
              else req.response().setStatusCode(500).end();
            });
          } else {
            req.response().setStatusCode(404).putHeader("Content-Type", "text/plain").end("GET /metrics\n");
          }
        });
    return server.listen().map(HttpServer::actualPort);
  }

  @Override public void close() {
    if (this == NONE) return;
    if (server != null) server.close();
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        // shutting down
      }
    }
    registry.close();
  }

  private static Duration[] seconds(double... s) {
    Duration[] d = new Duration[s.length];
    for (int i = 0; i < s.length; i++) d[i] = Duration.ofNanos((long) (s[i] * 1e9));
    return d;
  }
}
