package org.dure.coordinator.metrics;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.dure.coordinator.study.RoundRecord;
import org.dure.coordinator.study.StudyStatus;
import org.dure.coordinator.study.StudyStore;
import org.dure.coordinator.study.StudyView;

/**
 * The coordinator's Prometheus metrics (Micrometer's Prometheus registry), in one place so that the code that does
 * the work calls one method per event. Names follow Prometheus conventions ({@code dure_} prefix, base units,
 * {@code _total} counters); every label value comes from a small fixed set (states, outcomes, stages, reason kinds,
 * route templates, HTTP methods and statuses) or, for {@code site}, from the site register, which enrolment bounds.
 * No label carries a patient, a token, a free-text reason or a data value. docs/guide-administrators.md, "Operations", lists them.
 *
 * <p>{@link #NONE} records nothing (for code built without a coordinator, as in unit tests).
 */
public final class CoordinatorMetrics {
  /** Records into a registry without backends: every call is a no-op. */
  public static final CoordinatorMetrics NONE = new CoordinatorMetrics(new CompositeMeterRegistry(), null);
  public static final String AGENTS = "agents", API = "api";
  /** Round durations: from sub-second plain rounds to the longest deadline worth waiting for. */
  static final Duration[] ROUND_BUCKETS = seconds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800);
  static final Duration[] STAGE_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300);
  static final Duration[] APPEND_BUCKETS = seconds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5);
  /** Why a site dropped out of a round, as a kind (the round record keeps the full reason). */
  public static final Set<String> DROP_KINDS = Set.of("withdrawn", "training_failed", "refused", "disconnected",
      "deadline", "offline", "stale_model", "no_masked_input", "other");
  static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

  private final MeterRegistry registry;
  private final PrometheusMeterRegistry prometheus;
  private final List<Runnable> beforeScrape = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  /** Per study: the last (round, attempt) counted as ended, so a record stored again is not counted twice. */
  private final Map<String, Long> lastEnded = new ConcurrentHashMap<>();

  private CoordinatorMetrics(MeterRegistry registry, PrometheusMeterRegistry prometheus) {
    this.registry = registry;
    this.prometheus = prometheus;
  }

  /** A Prometheus registry with the JVM and process metrics and {@code dure_build_info}. */
  public static CoordinatorMetrics prometheus(String version) {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    CoordinatorMetrics m = new CoordinatorMetrics(r, r);
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
    Gauge.builder("dure.build.info", () -> 1).description("The running coordinator's version (always 1)")
        .tags("component", "coordinator", "version", version).register(r);
    m.zeroes();
    return m;
  }

  /** Registers the counters of every known label value at 0, so that dashboards and rates see them before the first event. */
  private void zeroes() {
    for (String outcome : new String[] {"completed", "aborted"}) {
      for (String aggregation : new String[] {"secure", "plain"}) {
        Counter.builder("dure.rounds").description("Training round attempts that ended, by outcome and aggregation")
            .tags("outcome", outcome, "aggregation", aggregation).register(registry);
      }
      Timer.builder("dure.round.duration").description("Duration of training round attempts")
          .tag("outcome", outcome).serviceLevelObjectives(ROUND_BUCKETS).register(registry);
    }
    for (String kind : DROP_KINDS) {
      Counter.builder("dure.round.site.drops").description("Sites that dropped out of a round attempt, by kind of reason")
          .tag("reason", kind).register(registry);
    }
    for (String reason : new String[] {"closed", "replaced", "limit_exceeded"}) {
      Counter.builder("dure.site.disconnects").description("Site agent connections that ended, by reason")
          .tag("reason", reason).register(registry);
    }
    for (org.dure.crypto.pki.SiteCertificateException.Reason reason : org.dure.crypto.pki.SiteCertificateException.Reason.values()) {
      String r = reason.name().toLowerCase(Locale.ROOT);
      Counter.builder("dure.site.refusals").description("Refused site connections (certificate checks), by reason")
          .tag("reason", r).register(registry);
      Counter.builder("dure.tls.handshake.failures").description("Failed TLS handshakes, by listener and reason")
          .tags("listener", AGENTS, "reason", r).register(registry);
    }
    for (String listener : new String[] {AGENTS, API}) {
      for (String r : TlsFailures.KINDS) {
        Counter.builder("dure.tls.handshake.failures").description("Failed TLS handshakes, by listener and reason")
            .tags("listener", listener, "reason", r).register(registry);
      }
    }
    for (String channel : new String[] {AGENTS, API}) {
      Counter.builder("dure.network.received").baseUnit(BaseUnits.BYTES).description("Bytes received, by channel")
          .tag("channel", channel).register(registry);
      Counter.builder("dure.network.sent").baseUnit(BaseUnits.BYTES).description("Bytes sent, by channel")
          .tag("channel", channel).register(registry);
    }
    Timer.builder("dure.ledger.append.duration").description("Participation ledger appends, until the entry is on disk")
        .serviceLevelObjectives(APPEND_BUCKETS).register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Whether this records anything (false for {@link #NONE}). */
  public boolean enabled() {
    return prometheus != null;
  }

  /**
   * The Prometheus exposition: text format 0.0.4, or OpenMetrics when {@code accept} asks for it. Runs the
   * before-scrape updates first; call on the coordinator's event loop (the gauges read its state).
   */
  public Scrape scrape(String accept) {
    if (prometheus == null) throw new IllegalStateException("metrics are not enabled");
    beforeScrape.forEach(Runnable::run);
    String type = accept != null && accept.contains("application/openmetrics-text")
        ? "application/openmetrics-text; version=1.0.0; charset=utf-8" : "text/plain; version=0.0.4; charset=utf-8";
    return new Scrape(type, prometheus.scrape(type));
  }

  public record Scrape(String contentType, String body) {}

  /** Runs {@code update} before every scrape, on the thread that scrapes (the coordinator's event loop). */
  public void beforeScrape(Runnable update) {
    beforeScrape.add(update);
  }

  // ------------------------------------------------------------------------------------------------ studies

  /** {@code dure_studies{state}}: studies by state, counted by {@code counts} at each scrape. */
  public void studies(Supplier<Map<StudyStatus, Long>> counts) {
    if (!enabled()) return;
    Map<StudyStatus, Long>[] current = new Map[] {Map.of()};
    beforeScrape(() -> current[0] = counts.get());
    for (StudyStatus s : StudyStatus.values()) {
      Gauge.builder("dure.studies", current, c -> c[0].getOrDefault(s, 0L)).description("Studies by state")
          .tag("state", s.name()).register(registry);
    }
  }

  /** The study store's observer: rounds that ended, their durations and who dropped out (see {@link #roundEnded}). */
  public StudyStore.Observer studyObserver() {
    return new StudyStore.Observer() {
      @Override public void round(String studyId, RoundRecord r) {
        boolean completed = r.status() == org.dure.coordinator.study.RoundStatus.COMPLETED;
        if (!completed && r.status() != org.dure.coordinator.study.RoundStatus.ABORTED) return;
        long key = (long) r.round() << 20 | Math.max(0, r.attempt()) & 0xFFFFF;
        Long before = lastEnded.get(studyId);
        if (before != null && before >= key) return;
        lastEnded.put(studyId, key);
        roundEnded(completed, r.secureAggregation() != null, r.seconds(), r.dropped());
      }

      @Override public void study(StudyView v) {
        if (v.status().terminal()) lastEnded.remove(v.id());
      }
    };
  }

  /**
   * A round attempt ended: {@code dure_rounds_total{outcome, aggregation}}, {@code dure_round_duration_seconds{outcome}}
   * and, per site that dropped out, {@code dure_round_site_drops_total{reason}} with the reason's {@link #dropKind kind}.
   */
  public void roundEnded(boolean completed, boolean secure, double seconds, Map<String, String> dropped) {
    String outcome = completed ? "completed" : "aborted";
    Counter.builder("dure.rounds").description("Training round attempts that ended, by outcome and aggregation")
        .tags("outcome", outcome, "aggregation", secure ? "secure" : "plain").register(registry).increment();
    Timer.builder("dure.round.duration").description("Duration of training round attempts")
        .tag("outcome", outcome).serviceLevelObjectives(ROUND_BUCKETS).register(registry)
        .record((long) (seconds * 1e9), TimeUnit.NANOSECONDS);
    for (String reason : dropped.values()) {
      Counter.builder("dure.round.site.drops").description("Sites that dropped out of a round attempt, by kind of reason")
          .tag("reason", dropKind(reason)).register(registry).increment();
    }
  }

  /** The kind of a round-drop reason (one of {@link #DROP_KINDS}); the full text stays in the round record. */
  public static String dropKind(String reason) {
    String r = reason == null ? "" : reason.toLowerCase(Locale.ROOT);
    if (r.startsWith("withdrawn")) return "withdrawn";
    if (r.startsWith("training failed")) return "training_failed";
    if (r.startsWith("update rejected") || r.startsWith("input refused") || r.startsWith("sent a plain update")) return "refused";
    if (r.startsWith("update trained from model version") || r.contains("trained from model version")) return "stale_model";
    if (r.startsWith("disconnected")) return "disconnected";
    if (r.startsWith("no update before") || r.startsWith("no answer before")) return "deadline";
    if (r.startsWith("offline")) return "offline";
    if (r.startsWith("dropped before sending its masked input")) return "no_masked_input";
    return "other";
  }

  /** {@code dure_secagg_stage_duration_seconds{stage, outcome}}: one stage of a secure round, open to close. */
  public void secAggStage(String stage, boolean proceeded, long nanos) {
    Timer.builder("dure.secagg.stage.duration").description("Duration of secure-aggregation stages")
        .tags("stage", stage, "outcome", proceeded ? "proceeded" : "aborted").serviceLevelObjectives(STAGE_BUCKETS)
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  // ------------------------------------------------------------------------------------------------ sites

  /**
   * {@code dure_sites_enrolled}, {@code dure_sites_online} and {@code dure_site_connected{site}} (1 online, 0 not)
   * for every active enrolled site: the site ids come from the register, so enrolment bounds the label.
   */
  public void sites(Supplier<List<String>> enrolled, Supplier<Set<String>> online) {
    if (!enabled()) return;
    MultiGauge perSite = MultiGauge.builder("dure.site.connected").description("Whether an enrolled site is connected (1) or not (0)")
        .register(registry);
    List<String>[] e = new List[] {List.of()};
    Set<String>[] o = new Set[] {Set.of()};
    beforeScrape(() -> {
      e[0] = enrolled.get();
      o[0] = online.get();
      List<MultiGauge.Row<?>> rows = new ArrayList<>();
      for (String site : e[0]) rows.add(MultiGauge.Row.of(Tags.of("site", site), o[0].contains(site) ? 1 : 0));
      perSite.register(rows, true);
    });
    Gauge.builder("dure.sites.enrolled", e, x -> x[0].size()).description("Active enrolled sites").register(registry);
    Gauge.builder("dure.sites.online", o, x -> x[0].size()).description("Sites connected to the agent channel").register(registry);
  }

  /** {@code dure_site_disconnects_total{reason}}: closed, replaced, revoked, limit_exceeded. */
  public void siteDisconnected(String reason) {
    Counter.builder("dure.site.disconnects").description("Site agent connections that ended, by reason")
        .tag("reason", reason).register(registry).increment();
  }

  /** {@code dure_site_refusals_total{reason}}: refused site certificates (the admin's refusals list), by reason. */
  public void siteRefused(String reason) {
    Counter.builder("dure.site.refusals").description("Refused site connections (certificate checks), by reason")
        .tag("reason", reason.toLowerCase(Locale.ROOT)).register(registry).increment();
  }

  /** {@code dure_tls_handshake_failures_total{listener, reason}}. */
  public void tlsHandshakeFailed(String listener, String reason) {
    Counter.builder("dure.tls.handshake.failures").description("Failed TLS handshakes, by listener and reason")
        .tags("listener", listener, "reason", reason).register(registry).increment();
  }

  // ------------------------------------------------------------------------------------------------ traffic

  /** {@code dure_network_received_bytes_total{channel}}: agents (WebSocket messages) or api (request bytes). */
  public void received(String channel, long bytes) {
    if (bytes > 0) Counter.builder("dure.network.received").baseUnit(BaseUnits.BYTES)
        .description("Bytes received, by channel").tag("channel", channel).register(registry).increment(bytes);
  }

  /** {@code dure_network_sent_bytes_total{channel}}. */
  public void sent(String channel, long bytes) {
    if (bytes > 0) Counter.builder("dure.network.sent").baseUnit(BaseUnits.BYTES)
        .description("Bytes sent, by channel").tag("channel", channel).register(registry).increment(bytes);
  }

  /** {@code dure_api_requests_total{route, method, status}}; {@code route} is the route template, never the path. */
  public void apiRequest(String route, String method, int status) {
    Counter.builder("dure.api.requests").description("API requests, by route template, method and status")
        .tags("route", route, "method", METHODS.contains(method) ? method : "other", "status", String.valueOf(status))
        .register(registry).increment();
  }

  // ------------------------------------------------------------------------------------------------ ledger

  /** {@code dure_ledger_entries}: entries in the participation ledger. */
  public <T> void ledger(T ledger, ToDoubleFunction<T> entries) {
    if (!enabled()) return;
    Gauge.builder("dure.ledger.entries", ledger, entries).description("Entries in the participation ledger").register(registry);
  }

  /** {@code dure_ledger_append_duration_seconds}: from append to on disk (fsync, group commit). */
  public void ledgerAppended(long nanos) {
    Timer.builder("dure.ledger.append.duration").description("Participation ledger appends, until the entry is on disk")
        .serviceLevelObjectives(APPEND_BUCKETS).register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  public void close() {
    if (this == NONE) return;
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        // nothing to do at shutdown
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
